// encrypt-read: refused to an unpaired central, served after pairing through our agent.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  Agent,
  Peripheral,
  type Advertisement,
  type LocalService,
} from '../../../src/peripheral/index.js';
import { startBtmon } from '../../support/btmon.js';
import { assertInLab, HCI1_ADDR, run } from '../../support/proc.js';
import { acceptingAgent, runClient, waitClean, forgetPeers } from './support.js';

const SVC = 'b1e0ee00-0000-4000-8000-00000000b1e0';
const ENC = 'b1e0ee01-0000-4000-8000-00000000b1e0';

let p: Peripheral;
let svc: LocalService;
let ad: Advertisement;
const asked: string[] = [];

before(async () => {
  assertInLab();
  await forgetPeers();
  p = await Peripheral.open({ adapter: 'hci1', handleSignals: false });
  svc = await p.addService({
    uuid: SVC,
    characteristics: [{ uuid: ENC, flags: ['encrypt-read'], value: 'secret' }],
  });
  ad = await p.advertise({ localName: 'blekit-pair', serviceUuids: [SVC] });
});

after(async () => {
  await ad?.stop();
  await p?.close();
  await forgetPeers();
  const dirty = await waitClean();
  assert.equal(dirty, undefined, dirty);
});

test(
  'an unpaired raw ATT read of an encrypt-read value gets Insufficient Encryption (0x0f)',
  { timeout: 120_000 },
  async () => {
    const h = svc.characteristics[0]!.handle;
    // gatttool reacts to 0x0f by trying to pair (which fails here, no agent yet) and then prints
    // a later error, so the ATT Error Response itself is read from a live btmon.
    const mon = await startBtmon();
    let trace: string;
    try {
      await run(
        'gatttool',
        ['-i', 'hci0', '-b', HCI1_ADDR, '--char-read', '-a', `0x${h.toString(16)}`],
        60_000,
      );
    } finally {
      trace = await mon.stop();
    }
    const hex = h.toString(16).padStart(4, '0');
    const re = new RegExp(
      `Error Response \\(0x01\\)[^\\n]*\\n\\s*Read Request \\(0x0a\\)\\n\\s*Handle: 0x${hex}\\n\\s*Error: Insufficient Encryption \\(0x0f\\)`,
    );
    assert.match(trace, re, trace.slice(-3000));
  },
);

test(
  'with our default agent rejecting, pairing fails and so does the read',
  { timeout: 240_000 },
  async () => {
    const agent = new Agent({ capability: 'NoInputNoOutput' });
    await p.registerAgent(agent, { asDefault: true });
    try {
      const c = runClient(
        'gatt_client.py',
        [HCI1_ADDR, JSON.stringify([{ op: 'read', uuid: ENC }])],
        200_000,
      );
      const { code, stderr } = await c.done;
      assert.equal(code, 0, stderr);
      const r = c.lines.find((l) => l.step === 0)!;
      assert.ok('error' in r && !('value' in r), JSON.stringify(r));
    } finally {
      await p.unregisterAgent(agent);
    }
  },
);

test(
  'after pairing through an agent that opts in, the read succeeds',
  { timeout: 240_000 },
  async () => {
    const agent = acceptingAgent(asked);
    await p.registerAgent(agent, { asDefault: true });
    try {
      const c = runClient(
        'gatt_client.py',
        [HCI1_ADDR, JSON.stringify([{ op: 'read', uuid: ENC }])],
        200_000,
      );
      const { code, stderr } = await c.done;
      assert.equal(code, 0, stderr);
      const r = c.lines.find((l) => l.step === 0)!;
      assert.equal(
        r.value,
        Buffer.from('secret').toString('hex'),
        `${JSON.stringify(r)} agent: ${asked.join('; ')}`,
      );
    } finally {
      await p.unregisterAgent(agent);
    }
  },
);
