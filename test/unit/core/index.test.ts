import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as blekit from '../../../src/index.js';

// Other modules import these by name; a rename must fail here first.
const API = [
  'BleError',
  'InvalidArgumentError',
  'TimeoutError',
  'AbortError',
  'NotConnectedError',
  'NotFoundError',
  'NotSupportedError',
  'PermissionError',
  'BusyError',
  'BackendError',
  'DecodeError',
  'AttError',
  'AttErrorCode',
  'attErrorName',
  'isApplicationAttError',
  'normalizeUuid',
  'shortUuid',
  'uuidToBytes',
  'uuidFromBytes',
  'isUuid',
  'uuidName',
  'uuidKind',
  'uuidAlias',
  'SIG_NAMES',
  'normalizeAddress',
  'isAddress',
  'addressToBytes',
  'addressFromBytes',
  'randomAddressKind',
  'parseHex',
  'toHex',
  'parseValue',
  'formatValue',
  'toBuffer',
  'validateHandle',
  'formatHandle',
  'parseAdvertisingData',
  'encodeAdvertisingData',
  'splitAdStructures',
  'emptyAdvertisingData',
  'AdType',
  'AdFlags',
  'LEGACY_AD_MAX_LENGTH',
  'withTimeout',
  'throwIfAborted',
  'delay',
  'CharacteristicPropertyBit',
  'ExtendedPropertyBit',
  'CccdValue',
  'CHARACTERISTIC_FLAGS',
  'propertiesToFlags',
  'flagsToProperties',
  'isCharacteristicFlag',
  'MAX_ATTRIBUTE_LENGTH',
  'ATT_DEFAULT_MTU',
  'ATT_MAX_MTU',
  'GattUuid16',
  'uuid16Bytes',
  'decodeValue',
  'hasDecoder',
  'tryDecode',
  'readSfloat',
  'readFloat32',
];

test('the package root exports the core API', () => {
  const exported = blekit as Record<string, unknown>;
  for (const name of API) assert.notEqual(exported[name], undefined, name);
});

test('a thrown core error is recognisable through the package root', () => {
  try {
    blekit.normalizeAddress('nope');
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof blekit.InvalidArgumentError);
    assert.ok(e instanceof blekit.BleError);
  }
});
