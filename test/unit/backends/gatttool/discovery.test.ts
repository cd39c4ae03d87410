import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleServices, secondaryRanges } from '../../../../src/backends/gatttool/discovery.js';

const attr = (handle: number, type: string) => ({
  kind: 'descriptor' as const,
  handle,
  uuid: `0000${type}-0000-1000-8000-00805f9b34fb`,
});

test('secondary services run from their 0x2801 declaration to the next service', () => {
  const attrs = [
    attr(1, '2800'),
    attr(2, '2803'),
    attr(3, '2a00'),
    attr(4, '2801'), // secondary between two primaries
    attr(5, '2803'),
    attr(6, 'aaaa'),
    attr(7, '2800'),
    attr(8, '2802'),
    attr(9, '2801'), // the last service: to 0xffff
    attr(10, '2803'),
    attr(11, 'bbbb'),
  ];
  // char-desc order is not relied on.
  assert.deepEqual(secondaryRanges([...attrs].reverse()), [
    { start: 4, end: 6 },
    { start: 9, end: 0xffff },
  ]);
  assert.deepEqual(secondaryRanges(attrs.filter((a) => a.uuid.startsWith('00002800'))), []);
  const services = assembleServices(
    [
      { kind: 'primary', start: 1, end: 3, uuid: '1800' },
      { kind: 'primary', start: 7, end: 8, uuid: '180a' },
    ],
    [
      { kind: 'characteristic', handle: 5, properties: 0x02, valueHandle: 6, uuid: 'aaaa' },
      { kind: 'characteristic', handle: 10, properties: 0x10, valueHandle: 11, uuid: 'bbbb' },
    ],
    attrs,
    [
      { start: 4, end: 6, uuid: 'cccc' },
      { start: 9, end: 0xffff, uuid: 'dddd' },
    ],
  );
  assert.deepEqual(
    services.map((s) => [s.uuid.slice(4, 8), s.primary, s.startHandle, s.characteristics.length]),
    [
      ['1800', true, 1, 0],
      ['cccc', false, 4, 1],
      ['180a', true, 7, 0],
      ['dddd', false, 9, 1],
    ],
  );
});
