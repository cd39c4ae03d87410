import type { FlagSetSpec, MessageSpec } from '../../src/mgmt/fields.js';

export type { FieldSpec, FlagSetSpec, MessageSpec } from '../../src/mgmt/fields.js';

/** Everything the generator reads from mgmt-api.txt. */
export interface ProtocolModel {
  status: Record<number, string>;
  flagSets: FlagSetSpec[];
  commands: MessageSpec[];
  events: MessageSpec[];
}
