import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { BTHOME_UUID, decodeBthome } from '../../../src/formats/bthome.js';
import { bthomeAdvertisement } from '../../../src/peripheral/bthome.js';
import { advertisementProperties } from '../../../src/bluez/advertising.js';

test('bthomeAdvertisement gives service data the advertising API accepts', () => {
  const o = bthomeAdvertisement(
    [
      { object: 'temperature', value: 21.5 },
      { object: 'battery', value: 90 },
    ],
    { localName: 'th' },
  );
  assert.equal(o.type, 'broadcast');
  assert.equal(o.localName, 'th');
  const data = (o.serviceData as Map<string, Buffer>).get(BTHOME_UUID);
  assert.ok(data);
  assert.deepEqual(
    decodeBthome(data).measurements.map((m) => [m.name, m.value]),
    [
      ['battery', 90],
      ['temperature', 21.5],
    ],
  );
  // The advertising layer validates and turns it into LEAdvertisement1 properties.
  const props = advertisementProperties(o);
  assert.ok(props.ServiceData);
  assert.equal(props.Type?.get(), 'broadcast');
  assert.equal(bthomeAdvertisement([], { connectable: true }).type, 'peripheral');
});

test('bthomeAdvertisement refuses what does not fit 31 bytes', () => {
  const many = Array.from({ length: 8 }, () => ({ object: 'temperature', value: 1 }));
  assert.throws(() => bthomeAdvertisement(many), InvalidArgumentError);
  assert.throws(
    () => bthomeAdvertisement([{ object: 'battery', value: 1 }], { localName: 'x'.repeat(20) }),
    InvalidArgumentError,
  );
});
