import { AttError } from '../../core/index.js';
import type { BackendConnection } from '../../central/backend.js';
import { AttributeValueType, BgapiResult } from '../../backends/bgapi/codec/index.js';
import { BGAPI_MTU } from '../../backends/bgapi/connection.js';
import { inRange, type Attribute } from '../att-table.js';
import type { DongleState, Link } from '../state.js';

/** One ATT procedure under way on a link: the attribute table and the events it sends. */
export class Procedure {
  constructor(
    readonly d: DongleState,
    readonly l: Link,
    readonly t: Map<number, Attribute>,
    readonly conn: BackendConnection,
  ) {}

  completed(result: number, chrhandle: number): void {
    this.d.event('attclient_procedure_completed', { connection: this.l.handle, result, chrhandle });
  }

  value(atthandle: number, type: number, value: Buffer): void {
    this.d.event('attclient_attribute_value', {
      connection: this.l.handle,
      atthandle,
      type,
      value,
    });
  }

  /** Service groups of `type` in range (with `value`, when given, as their UUID). */
  groupsFound(start: number, end: number, type: number, value?: Buffer): void {
    let n = 0;
    for (const a of inRange(this.t, start, end)) {
      if (a.kind !== 'service' || a.type.readUInt16LE(0) !== type) continue;
      if (value && !a.value.equals(value)) continue;
      n++;
      this.d.event('attclient_group_found', {
        connection: this.l.handle,
        start: a.service.startHandle,
        end: a.service.endHandle,
        uuid: a.value,
      });
    }
    this.completed(n ? 0 : BgapiResult.attNotFound, n ? end : start);
  }

  async read(a: Attribute): Promise<Buffer> {
    switch (a.kind) {
      case 'service':
      case 'declaration':
        return a.value;
      case 'value':
        return this.conn.read(a.char);
      case 'descriptor': {
        if (!a.cccd) return this.conn.readDescriptor(a.handle);
        const v = Buffer.alloc(2);
        v.writeUInt16LE(this.l.cccd.get(a.handle) ?? 0);
        return v;
      }
    }
  }

  /** Writes go to the characteristic; a CCCD write becomes a subscribe or unsubscribe. */
  async write(a: Attribute, v: Buffer): Promise<void> {
    const { l, conn } = this;
    if (a.kind === 'value') return conn.write(a.char, v, true);
    if (a.kind !== 'descriptor') throw new AttError(0x03);
    if (!a.cccd) return conn.writeDescriptor(a.handle, v);
    if (v.length !== 2) throw new AttError(0x0d);
    const bits = v.readUInt16LE(0);
    const was = l.cccd.get(a.handle) ?? 0;
    if (bits === was) return;
    const c = a.char;
    if (was !== 0) await conn.unsubscribe(c);
    if (bits !== 0) {
      const indicate = (bits & 0x02) !== 0;
      await conn.subscribe(c, { indicate, forceStartNotify: true }, (value) =>
        this.value(
          c.valueHandle,
          indicate ? AttributeValueType.indicate : AttributeValueType.notify,
          value.subarray(0, BGAPI_MTU - 3),
        ),
      );
    }
    l.cccd.set(a.handle, bits);
  }
}
