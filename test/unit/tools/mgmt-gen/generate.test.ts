import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { generateProtocol } from '../../../../tools/mgmt-gen/generate.js';
import { camelName, pascalName } from '../../../../tools/mgmt-gen/parse-doc.js';
import {
  COMMANDS,
  EVENTS,
  FLAG_SETS,
  STATUS_NAMES,
} from '../../../../src/mgmt/generated/protocol.js';

// dist/test/unit/tools/mgmt-gen → project root
const root = fileURLToPath(new URL('../../../../../', import.meta.url));

test('the committed table is exactly what the generator makes from the stored doc', () => {
  const committed = readFileSync(`${root}src/mgmt/generated/protocol.ts`, 'utf8');
  assert.equal(generateProtocol(root), committed);
});

test('generation is deterministic', () => {
  assert.equal(generateProtocol(root), generateProtocol(root));
});

test('every command and event code of the doc is in the table', () => {
  const doc = readFileSync(`${root}tools/mgmt-gen/spec/mgmt-api.txt`, 'utf8');
  const docCommands = [...doc.matchAll(/^\tCommand Code:\s+0x([0-9a-f]{4})/gim)].map((m) =>
    parseInt(m[1]!, 16),
  );
  const docEvents = [...doc.matchAll(/^\tEvent Code:\s+0x([0-9a-f]{4})/gim)].map((m) =>
    parseInt(m[1]!, 16),
  );
  assert.equal(docCommands.length, 91);
  assert.equal(docEvents.length, 50);
  assert.deepEqual(
    Object.values(COMMANDS).map((c) => c.code),
    [...docCommands].sort((a, b) => a - b),
  );
  assert.deepEqual(
    Object.values(EVENTS).map((e) => e.code),
    [...docEvents].sort((a, b) => a - b),
  );
});

test('table entries checked by hand against the doc', () => {
  assert.equal(COMMANDS.SetPowered.code, 0x0005);
  assert.deepEqual(COMMANDS.SetPowered.params, [{ name: 'powered', type: 'u8' }]);
  assert.equal(COMMANDS.ReadManagementVersionInformation.index, 'none');
  assert.equal(COMMANDS.ReadExperimentalFeaturesInformation.index, 'any');
  assert.equal(COMMANDS.SendHciCommandAndWaitForEvent.code, 0x005b);
  assert.equal(EVENTS.DeviceFound.code, 0x0012);
  assert.equal(EVENTS.MeshPacketTransmitComplete.code, 0x0032);
  assert.equal(STATUS_NAMES[0x0d], 'Invalid Parameters');
  assert.equal(STATUS_NAMES[0x14], 'Permission Denied');
  assert.equal(FLAG_SETS.settings.length, 23);
  assert.equal(FLAG_SETS.settings[9], 'le');
  assert.equal(FLAG_SETS.settings[22], 'll-privacy');
  assert.equal(FLAG_SETS.phys[13], 'le-coded-tx');
  assert.equal(FLAG_SETS.deviceFoundFlags[3], null);
  // Add Advertising: both lengths come before both data blocks.
  assert.deepEqual(
    COMMANDS.AddAdvertising.params.map((f) => `${f.name}:${f.type}`),
    [
      'instance:u8',
      'flags:flags',
      'duration:u16',
      'timeout:u16',
      'advDataLen:len',
      'scanRspLen:len',
      'advData:var',
      'scanRsp:var',
    ],
  );
  // Discovery's Address_Type is a bitmask, a device's is a value.
  assert.equal(COMMANDS.StartDiscovery.params[0].type, 'flags');
  assert.equal(COMMANDS.Disconnect.params[1].type, 'addressType');
});

test('names follow the doc headings', () => {
  assert.equal(pascalName('Set BR/EDR Command'), 'SetBrEdr');
  assert.equal(pascalName('PIN Code Reply Command'), 'PinCodeReply');
  assert.equal(camelName('Current_Settings'), 'currentSettings');
  assert.equal(camelName('Enc. Diversifier'), 'encDiversifier');
  assert.equal(camelName('TxPower'), 'txPower');
  assert.equal(camelName('Supported_PHYs'), 'supportedPhys');
});
