import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  groupNames,
  kernelAdapters,
  parseBluetoothdVersion,
  parseCapabilities,
  policyGroups,
  processRunning,
  readRfkill,
} from '../../../src/cli/doctor-checks.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'blekit-doctor-'));
  for (const [p, v] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), v);
  }
  return root;
}

test('capabilities from CapEff', () => {
  assert.deepEqual(parseCapabilities('Name:\tnode\nCapEff:\t0000000000003000\n'), {
    netAdmin: true,
    netRaw: true,
  });
  assert.deepEqual(parseCapabilities('CapEff:\t0000000000001000\n'), {
    netAdmin: true,
    netRaw: false,
  });
  assert.deepEqual(parseCapabilities('CapEff:\t0000000000000000\n'), {
    netAdmin: false,
    netRaw: false,
  });
  assert.deepEqual(parseCapabilities(''), { netAdmin: false, netRaw: false });
});

test('D-Bus policy groups, group names, bluetoothd version', () => {
  const xml = `<busconfig>
  <policy user="root"><allow own="org.bluez"/><allow send_destination="org.bluez"/></policy>
  <policy group="bluetooth">
    <allow send_destination="org.bluez"/>
  </policy>
  <policy group="audio"><deny send_destination="org.bluez"/></policy>
</busconfig>`;
  assert.deepEqual(policyGroups(xml), ['bluetooth']);
  assert.deepEqual(groupNames('root:x:0:\nbluetooth:x:112:ann\nusers:x:100:\n', [100, 112, 5]), [
    'users',
    'bluetooth',
  ]);
  assert.equal(parseBluetoothdVersion('5.66\n'), '5.66');
  assert.equal(parseBluetoothdVersion('bluetoothd - Bluetooth daemon 5.72'), '5.72');
  assert.equal(parseBluetoothdVersion('nothing'), undefined);
});

test('sysfs: rfkill and kernel adapters; /proc: processes', async () => {
  const root = tree({
    'class/rfkill/rfkill0/type': 'bluetooth\n',
    'class/rfkill/rfkill0/name': 'hci0\n',
    'class/rfkill/rfkill0/soft': '1\n',
    'class/rfkill/rfkill0/hard': '0\n',
    'class/rfkill/rfkill1/type': 'wlan\n',
    'class/rfkill/rfkill1/soft': '1\n',
    'class/bluetooth/hci0/x': '',
    'class/bluetooth/hci1/x': '',
    'proc/17/comm': 'bluetoothd\n',
    'proc/self/comm': 'node\n',
  });
  assert.deepEqual(await readRfkill(root), [{ name: 'hci0', soft: true, hard: false }]);
  assert.deepEqual(await kernelAdapters(root), ['hci0', 'hci1']);
  assert.equal(await kernelAdapters(join(root, 'nothing')), undefined);
  assert.equal(await processRunning('bluetoothd', join(root, 'proc')), true);
  assert.equal(await processRunning('obexd', join(root, 'proc')), false);
});
