import type { FlagSetSpec, MessageSpec } from '../fields.js';

export type { FieldSpec, FlagSetSpec, MessageSpec } from '../fields.js';

/** Everything the generator reads from mgmt-api.txt. */
export interface ProtocolModel {
  status: Record<number, string>;
  flagSets: FlagSetSpec[];
  commands: MessageSpec[];
  events: MessageSpec[];
}
