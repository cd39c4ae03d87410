import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GattDatabase } from '../../../src/central/database.js';
import { InvalidArgumentError, NotFoundError } from '../../../src/core/index.js';
import { sampleDb } from './fake-backend.js';

const db = new GattDatabase(sampleDb());

test('finds a unique characteristic by 16-bit UUID in any spelling', () => {
  for (const ref of ['2a37', '0x2A37', 0x2a37, '00002a37-0000-1000-8000-00805f9b34fb']) {
    assert.equal(db.find(ref).valueHandle, 0x12);
  }
});

test('a UUID that repeats across services needs the service or a handle', () => {
  assert.throws(() => db.find('2a38'), InvalidArgumentError);
  assert.equal(db.find({ service: '180d', characteristic: '2a38' }).valueHandle, 0x15);
  assert.equal(db.find({ service: 0x180f, characteristic: 0x2a38 }).valueHandle, 0x22);
});

test('finds by value handle and by declaration handle', () => {
  assert.equal(db.find({ handle: 0x12 }).uuid, '00002a37-0000-1000-8000-00805f9b34fb');
  assert.equal(db.find({ handle: '0x0011' }).valueHandle, 0x12);
  assert.throws(() => db.find({ handle: 0x99 }), NotFoundError);
});

test('rejects malformed references and reports missing ones', () => {
  assert.throws(() => db.find({ handle: 0 }), InvalidArgumentError);
  assert.throws(() => db.find('zz'), InvalidArgumentError);
  assert.throws(() => db.find({} as never), InvalidArgumentError);
  assert.throws(() => db.find('2a19'), NotFoundError);
  assert.throws(() => db.find({ service: '1800', characteristic: '2a00' }), NotFoundError);
  assert.throws(() => db.find({ service: '180d', characteristic: '2a19' }), NotFoundError);
});

test('descriptors are found by characteristic and descriptor UUID', () => {
  assert.equal(db.findDescriptor('2a37', '2902'), 0x13);
  assert.throws(() => db.findDescriptor({ handle: 0x15 }, '2902'), NotFoundError);
  assert.equal(db.serviceFor(db.find('2a37'))?.uuid, '0000180d-0000-1000-8000-00805f9b34fb');
  assert.equal(db.characteristics().length, 3);
});

test('a bare UUID resolves the same way the second time; failures are never remembered', () => {
  const fresh = new GattDatabase(sampleDb());
  assert.equal(fresh.resolved('2A37'), undefined);
  const first = fresh.find('2A37');
  assert.equal(fresh.resolved('2A37'), first);
  assert.equal(fresh.find('2A37'), first);
  for (let i = 0; i < 2; i++) {
    assert.throws(() => fresh.find('2a38'), InvalidArgumentError);
    assert.throws(() => fresh.find('2a19'), NotFoundError);
  }
  assert.equal(fresh.resolved('2a38'), undefined);
  assert.equal(fresh.resolved({ handle: 0x12 }), undefined);
});
