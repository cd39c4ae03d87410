import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describeValue, MAX_ECHO_CHARS } from '../../../src/core/describe.js';
import { BleError } from '../../../src/core/errors.js';
import { normalizeUuid, uuidToBytes, uuidFromBytes } from '../../../src/core/uuid.js';
import {
  addressFromBytes,
  addressToBytes,
  normalizeAddress,
  randomAddressKind,
} from '../../../src/core/address.js';
import { formatHandle, validateHandle } from '../../../src/core/handle.js';
import { formatValue, parseHex, parseValue, toBuffer } from '../../../src/core/bytes.js';
import { flagsToProperties, propertiesToFlags } from '../../../src/protocol/gatt-properties.js';
import { encodeAdvertisingData } from '../../../src/protocol/ad-encode.js';
import { parseAdvertisingData, splitAdStructures } from '../../../src/protocol/ad-decode.js';
import { delay } from '../../../src/core/abort.js';

const HUGE = 'x'.repeat(100_000);
const throwingToString = {
  toString(): string {
    throw new Error('toString exploded');
  },
  valueOf(): number {
    throw new Error('valueOf exploded');
  },
};
const revoked = Proxy.revocable({}, {});
revoked.revoke();

/**
 * Inputs that once made validators throw TypeError or echo megabytes. A revoked proxy is left
 * out here: even `instanceof` throws on it, so only describeValue is asked to survive one.
 */
const HOSTILE: [string, unknown][] = [
  ['bigint', 10n],
  ['huge bigint', 10n ** 200n],
  ['negative bigint', -5n],
  ['symbol', Symbol('s')],
  ['symbol with a huge description', Symbol(HUGE)],
  ['100 KB string', HUGE],
  ['object with throwing toString', throwingToString],
  ['null-prototype object', Object.create(null) as unknown],
  ['NaN', NaN],
  ['-1', -1],
  ['-0.5', -0.5],
  ['1.5', 1.5],
  ['Infinity', Infinity],
  ['null', null],
  ['undefined', undefined],
  ['function', () => 1],
  ['array', [1, 2, 3]],
];

type Call = (v: never) => unknown;
const VALIDATORS: [string, Call][] = [
  ['normalizeUuid', normalizeUuid as Call],
  ['uuidToBytes', uuidToBytes as Call],
  ['uuidToBytes size', ((v: never) => uuidToBytes('180d', v)) as Call],
  ['uuidFromBytes', uuidFromBytes as Call],
  ['normalizeAddress', normalizeAddress as Call],
  ['addressToBytes', addressToBytes as Call],
  ['addressFromBytes', addressFromBytes as Call],
  ['addressFromBytes offset', ((v: never) => addressFromBytes(Buffer.alloc(6), v)) as Call],
  ['randomAddressKind', randomAddressKind as Call],
  ['validateHandle', validateHandle as Call],
  ['formatHandle', formatHandle as Call],
  ['parseHex', parseHex as Call],
  ['parseValue format', ((v: never) => parseValue('00', v)) as Call],
  ['formatValue format', ((v: never) => formatValue(Buffer.alloc(1), v)) as Call],
  ['toBuffer', toBuffer as Call],
  ['toBuffer element', ((v: never) => toBuffer([1, v] as never)) as Call],
  ['propertiesToFlags', propertiesToFlags as Call],
  ['propertiesToFlags extended', ((v: never) => propertiesToFlags(0, v)) as Call],
  ['flagsToProperties', flagsToProperties as Call],
  ['flagsToProperties element', ((v: never) => flagsToProperties(['read', v])) as Call],
  ['encodeAdvertisingData', encodeAdvertisingData as Call],
  ['encodeAdvertisingData txPower', ((v: never) => encodeAdvertisingData({ txPower: v })) as Call],
  ['splitAdStructures', splitAdStructures as Call],
  ['parseAdvertisingData', parseAdvertisingData as Call],
  // Already aborted, so a valid time starts no timer that would keep the test alive.
  ['delay', ((v: never) => delay(v, AbortSignal.abort())) as Call],
];

// Arrays of valid bytes and the like are legitimate for a few validators; a hostile
// input must either be accepted or refused with a typed, short error.
const LONGEST_MESSAGE = 300;

for (const [fname, fn] of VALIDATORS) {
  test(`${fname} refuses hostile input with a typed, short error`, async () => {
    for (const [label, input] of HOSTILE) {
      let caught: unknown;
      try {
        await fn(input as never);
      } catch (e) {
        caught = e;
      }
      if (caught === undefined) continue;
      assert.ok(
        caught instanceof BleError,
        `${fname}(${label}) threw ${String((caught as Error)?.name)}: ${String((caught as Error)?.message)}`,
      );
      assert.ok(
        caught.message.length <= LONGEST_MESSAGE,
        `${fname}(${label}) message is ${caught.message.length} chars`,
      );
    }
  });
}

test('the validators named in issue 18 refuse 10n with InvalidArgumentError', () => {
  for (const fn of [normalizeUuid, normalizeAddress, validateHandle] as Call[]) {
    assert.throws(() => fn(10n as never), { name: 'InvalidArgumentError', message: /10n/ });
  }
});

test('a 100 KB argument is quoted only up to the cap, with its length', () => {
  assert.throws(
    () => normalizeUuid(HUGE),
    (e: Error) => {
      assert.ok(e.message.includes(`"${'x'.repeat(MAX_ECHO_CHARS)}"…(100000 chars)`), e.message);
      assert.ok(!e.message.includes('x'.repeat(MAX_ECHO_CHARS + 1)));
      return true;
    },
  );
});

test('describeValue renders each kind briefly and never throws', () => {
  assert.equal(describeValue('ab'), '"ab"');
  assert.equal(describeValue(10n), '10n');
  assert.equal(describeValue(10n ** 200n), '<bigint over 64 digits>');
  assert.equal(describeValue(Symbol('s')), 'Symbol("s")');
  assert.equal(describeValue(NaN), 'NaN');
  assert.equal(describeValue(null), 'null');
  assert.equal(describeValue(undefined), 'undefined');
  assert.equal(describeValue([1, 2]), '<array of 2>');
  assert.equal(describeValue(Buffer.alloc(3)), '<Buffer of 3 bytes>');
  assert.equal(describeValue(throwingToString), '{"toString": <function>, "valueOf": <function>}');
  assert.equal(describeValue(Object.create(null)), '{}');
  assert.equal(
    describeValue({ handle: 10n, ref: { deep: 1 } }),
    '{"handle": 10n, "ref": <Object>}',
  );
  assert.equal(
    describeValue({ a: 1, b: 2, c: 3, d: 4, e: 5 }),
    '{"a": 1, "b": 2, "c": 3, "d": 4, …}',
  );
  assert.equal(describeValue(new Map()), '<Map>');
  assert.equal(describeValue(revoked.proxy), '<unprintable value>');
  assert.equal(
    describeValue(() => 1),
    '<function>',
  );
  const tagged = {
    get [Symbol.toStringTag](): string {
      throw new Error('no');
    },
  };
  assert.equal(describeValue(tagged), '{}');
  const throwingGetter = {
    get x(): string {
      throw new Error('no');
    },
  };
  assert.equal(describeValue(throwingGetter), '<unprintable value>');
  class Custom {}
  assert.equal(describeValue(new Custom()), '<Object>');
});

test('fuzz: any value into any validator gives its result or a short BleError', async () => {
  const late: Promise<unknown>[] = [];
  const anyValue = fc.oneof(
    fc.anything({ withBigInt: true, withBoxedValues: true, withNullPrototype: true }),
    fc.string({ maxLength: 2000 }),
    fc.bigInt(),
    fc.double(),
    fc.constant(Symbol('x')),
  );
  fc.assert(
    fc.property(fc.constantFrom(...VALIDATORS), anyValue, ([name, fn], input) => {
      try {
        const out = fn(input as never);
        if (out instanceof Promise) {
          late.push(
            out.catch((e: unknown) => {
              assert.ok(e instanceof BleError, `${name}: ${String((e as Error)?.name)}`);
            }),
          );
        }
      } catch (e) {
        assert.ok(e instanceof BleError, `${name}: ${String((e as Error)?.name)}`);
        assert.ok(e.message.length <= LONGEST_MESSAGE, `${name}: ${e.message.length} chars`);
      }
    }),
    { numRuns: 2000 },
  );
  await Promise.all(late);
});
