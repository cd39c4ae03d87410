import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GattClient } from '../../../src/central/facade.js';
import { FakeBackend } from './fake-backend.js';

test('the pybtle facade resolves to { result, reason, value } and never throws', async () => {
  const backend = new FakeBackend();
  const client = new GattClient(() => backend);
  const bad = await client.connect(0, 'not-an-address');
  assert.equal(bad.result, 'error');
  assert.match(bad.reason, /Invalid Bluetooth address/);
  assert.deepEqual(await client.read(0, '2a38'), {
    result: 'error',
    reason: 'No connection on adapter 0: call connect() first',
    error: (await client.read(0, '2a38')).error,
  });
  assert.deepEqual(await client.connect(0, '00:AA:01:01:00:01', 'public', 'low'), {
    result: 'ok',
    reason: '',
  });
  const db = await client.getDb(0);
  assert.equal(db.result, 'ok');
  assert.equal(db.value?.length, 2);
  assert.equal((await client.writeReq(0, undefined, 0x15, [9])).result, 'ok');
  assert.deepEqual((await client.read(0, undefined, 0x15)).value, Buffer.from([9]));
  assert.equal((await client.writeCmd(0, '2a37', undefined, 'x')).result, 'ok');
  const amb = await client.read(0, '2a38');
  assert.equal(amb.result, 'error');
  assert.match(amb.reason, /appears 2 times/);
  assert.equal((await client.subscribeNotification(0, '2a37', () => {})).result, 'ok');
  assert.equal((await client.unsubscribeNotification(0, '2a37')).result, 'ok');
  assert.equal((await client.close()).result, 'ok');
});
