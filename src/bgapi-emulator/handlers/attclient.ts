import type { BackendConnection } from '../../central/backend.js';
import {
  AttributeValueType,
  BgapiResult,
  type CommandName,
} from '../../backends/bgapi/codec/index.js';
import { BGAPI_MTU } from '../../backends/bgapi/connection.js';
import { GattUuid16 } from '../../protocol/index.js';
import { attributeTable, inRange, type Attribute } from '../att-table.js';
import { errorResult, type DongleState, type Link } from '../state.js';
import { Procedure } from './att-access.js';
import type { ClassHandlers, Command, Handler } from './handler.js';

/** The attclient commands that start an ATT procedure; they end in events, not the response. */
type ProcedureName = Extract<
  CommandName,
  | 'attclient_find_by_type_value'
  | 'attclient_read_by_group_type'
  | 'attclient_read_by_type'
  | 'attclient_find_information'
  | 'attclient_read_by_handle'
  | 'attclient_attribute_write'
  | 'attclient_read_long'
  | 'attclient_prepare_write'
  | 'attclient_execute_write'
  | 'attclient_read_multiple'
>;

type Steps = { [N in ProcedureName]: (p: Procedure, c: Command<N>) => Promise<void> | void };

const STEPS: Steps = {
  attclient_read_by_group_type: (p, c) => {
    const type = c.params.uuid.length === 2 ? c.params.uuid.readUInt16LE(0) : -1;
    if (type !== GattUuid16.PrimaryService && type !== GattUuid16.SecondaryService) {
      return p.completed(BgapiResult.attUnsupportedGroupType, c.params.start);
    }
    p.groupsFound(c.params.start, c.params.end, type);
  },
  attclient_find_by_type_value: (p, c) => {
    const { start, end, uuid, value } = c.params;
    p.groupsFound(start, end, uuid, value);
  },
  attclient_read_by_type: async (p, c) => {
    const found = inRange(p.t, c.params.start, c.params.end).filter((a) =>
      a.type.equals(c.params.uuid),
    );
    for (const a of found) {
      const v = await p.read(a);
      p.value(a.handle, AttributeValueType.readByType, v.subarray(0, BGAPI_MTU - 4));
    }
    if (found.length) p.completed(0, c.params.end);
    else p.completed(BgapiResult.attNotFound, c.params.start);
  },
  attclient_find_information: (p, c) => {
    const found = inRange(p.t, c.params.start, c.params.end);
    for (const a of found) {
      p.d.event('attclient_find_information_found', {
        connection: p.l.handle,
        chrhandle: a.handle,
        uuid: a.type,
      });
    }
    if (found.length) p.completed(0, c.params.end);
    else p.completed(BgapiResult.attNotFound, c.params.start);
  },
  attclient_read_by_handle: async (p, c) => {
    const a = p.t.get(c.params.chrhandle);
    if (!a) return p.completed(BgapiResult.attInvalidHandle, c.params.chrhandle);
    const v = await p.read(a);
    // Success is the value alone; only failures end with procedure_completed.
    p.value(a.handle, AttributeValueType.read, v.subarray(0, BGAPI_MTU - 1));
  },
  attclient_read_long: async (p, c) => {
    const a = p.t.get(c.params.chrhandle);
    if (!a) return p.completed(BgapiResult.attInvalidHandle, c.params.chrhandle);
    const v = await p.read(a);
    const part = BGAPI_MTU - 1;
    for (let off = 0; off === 0 || off < v.length; off += part) {
      const type = off === 0 ? AttributeValueType.read : AttributeValueType.readBlob;
      p.value(a.handle, type, v.subarray(off, off + part));
    }
    p.completed(0, a.handle);
  },
  attclient_attribute_write: async (p, c) => {
    const a = p.t.get(c.params.atthandle);
    if (!a) return p.completed(BgapiResult.attInvalidHandle, c.params.atthandle);
    await p.write(a, c.params.data);
    p.completed(0, a.handle);
  },
  attclient_prepare_write: (p, c) => {
    const { atthandle, offset, data } = c.params;
    if (!p.t.has(atthandle)) return p.completed(BgapiResult.attInvalidHandle, atthandle);
    p.l.prepared.push({ handle: atthandle, offset, data });
    p.completed(0, atthandle);
  },
  attclient_execute_write: async (p, c) => {
    const queue = p.l.prepared;
    p.l.prepared = [];
    if (c.params.commit === 0 || queue.length === 0) return p.completed(0, 0);
    const byHandle = new Map<number, Buffer>();
    for (const q of queue) {
      const cur = byHandle.get(q.handle) ?? Buffer.alloc(0);
      if (q.offset > cur.length) return p.completed(BgapiResult.attInvalidOffset, q.handle);
      byHandle.set(q.handle, Buffer.concat([cur.subarray(0, q.offset), q.data]));
    }
    for (const [h, v] of byHandle) await p.write(p.t.get(h) as Attribute, v);
    p.completed(0, queue[0]?.handle ?? 0);
  },
  attclient_read_multiple: async (p, c) => {
    const parts: Buffer[] = [];
    for (let i = 0; i + 1 < c.params.handles.length; i += 2) {
      const h = c.params.handles.readUInt16LE(i);
      const a = p.t.get(h);
      if (!a) return p.completed(BgapiResult.attInvalidHandle, h);
      parts.push(await p.read(a));
    }
    p.d.event('attclient_read_multiple_response', {
      connection: p.l.handle,
      handles: Buffer.concat(parts).subarray(0, BGAPI_MTU - 1),
    });
  },
};

async function table(l: Link): Promise<Map<number, Attribute>> {
  if (!l.table) l.table = attributeTable(await (l.conn as BackendConnection).discover(false));
  return l.table;
}

/** Accepts an ATT procedure (response), then carries it out and reports its events. */
function procedure<N extends ProcedureName>(name: N): Handler<N> {
  return (d: DongleState, command: Command<N>) => {
    const c = command as Command<ProcedureName>;
    const answer = name as 'attclient_read_by_handle';
    const l = d.linkFor(answer, c.params.connection);
    if (!l) return;
    if (l.busy) return d.respond(answer, { connection: l.handle, result: BgapiResult.wrongState });
    const data = 'data' in c.params ? c.params.data : undefined;
    const room =
      name === 'attclient_attribute_write'
        ? BGAPI_MTU - 3
        : name === 'attclient_prepare_write'
          ? BGAPI_MTU - 5
          : Infinity;
    if (data && data.length > room) {
      return d.respond(answer, { connection: l.handle, result: BgapiResult.invalidParameter });
    }
    l.busy = true;
    d.respond(answer, { connection: l.handle, result: 0 });
    // Run the procedure off the command chain: the host may send other commands meanwhile.
    void (async () => {
      const p = new Procedure(d, l, await table(l), l.conn as BackendConnection);
      await (STEPS[name] as (p: Procedure, c: Command<ProcedureName>) => Promise<void> | void)(
        p,
        c,
      );
    })()
      .catch((err: unknown) =>
        d.event('attclient_procedure_completed', {
          connection: l.handle,
          result: errorResult(err, 0x040e),
          chrhandle: 0,
        }),
      )
      .finally(() => (l.busy = false));
  };
}

/** The ATT client class: GATT procedures carried out through the central's connection. */
export const attclient: ClassHandlers<'attclient'> = {
  // BlueZ confirmed the indication when it arrived.
  attclient_indicate_confirm: (d, c) => d.respond(c.name, { result: 0 }),
  attclient_write_command: async (d, c) => {
    const l = d.linkFor(c.name, c.params.connection);
    if (!l) return;
    const a = l.table?.get(c.params.atthandle);
    if (c.params.data.length > BGAPI_MTU - 3 || !a || a.kind !== 'value') {
      return d.respond(c.name, {
        connection: l.handle,
        result: !a ? BgapiResult.attInvalidHandle : BgapiResult.invalidParameter,
      });
    }
    d.respond(c.name, { connection: l.handle, result: 0 });
    await l.conn
      ?.write(a.char, c.params.data, false)
      .catch((err: unknown) => d.trace(`!! write command: ${String(err)}`));
  },
  attclient_find_by_type_value: procedure('attclient_find_by_type_value'),
  attclient_read_by_group_type: procedure('attclient_read_by_group_type'),
  attclient_read_by_type: procedure('attclient_read_by_type'),
  attclient_find_information: procedure('attclient_find_information'),
  attclient_read_by_handle: procedure('attclient_read_by_handle'),
  attclient_attribute_write: procedure('attclient_attribute_write'),
  attclient_read_long: procedure('attclient_read_long'),
  attclient_prepare_write: procedure('attclient_prepare_write'),
  attclient_execute_write: procedure('attclient_execute_write'),
  attclient_read_multiple: procedure('attclient_read_multiple'),
};
