// The seeded PRNG is reproducible, seed-sensitive and unbiased enough for sampling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrng, shuffle } from './prng.ts';

test('the same seed gives the same sequence; another seed another one', () => {
  const a = createPrng(42);
  const b = createPrng(42);
  const c = createPrng(2 ** 32 + 42);
  const seqA = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(Array.from({ length: 8 }, () => b.nextUint32()), seqA);
  assert.notDeepEqual(Array.from({ length: 8 }, () => c.nextUint32()), seqA, 'the high half of the seed matters');
  assert.throws(() => createPrng(1.5), RangeError);
});

test('below(n) stays in range and covers it; shuffle is a permutation', () => {
  const prng = createPrng(7);
  const seen = new Array<number>(10).fill(0);
  for (let i = 0; i < 10_000; i++) seen[prng.below(10)]!++;
  for (const count of seen) assert.ok(count > 800 && count < 1200, `bucket count ${count}`);
  const items = Array.from({ length: 50 }, (_, i) => i);
  shuffle(items, prng);
  assert.deepEqual([...items].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.throws(() => prng.below(0), RangeError);
});
