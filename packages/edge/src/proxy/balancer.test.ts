import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pickTwoChoices, seededRandom } from './balancer.ts';

test('power of two choices returns the less loaded of two distinct sampled backends', () => {
  fc.assert(fc.property(fc.array(fc.nat(50), { minLength: 2, maxLength: 20 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (loads, r1, r2) => {
    const cs = loads.map((activeConnections, id) => ({ id, activeConnections }));
    const draws = [r1, r2];
    const picked = pickTwoChoices(cs, () => draws.shift()!);
    const i = Math.floor(r1 * cs.length);
    let j = Math.floor(r2 * (cs.length - 1));
    if (j >= i) j += 1;
    assert.notEqual(i, j);
    assert.equal(picked!.activeConnections, Math.min(cs[i]!.activeConnections, cs[j]!.activeConnections));
  }));
  assert.equal(pickTwoChoices([], Math.random), undefined);
  assert.deepEqual(pickTwoChoices([{ activeConnections: 3 }], Math.random), { activeConnections: 3 });
});

test('with a seeded random, the choice is deterministic and spreads load across backends', () => {
  const run = (): number[] => {
    const cs = [0, 1, 2, 3].map(() => ({ activeConnections: 0 }));
    const random = seededRandom(42);
    for (let k = 0; k < 400; k++) pickTwoChoices(cs, random)!.activeConnections += 1;
    return cs.map((c) => c.activeConnections);
  };
  const a = run();
  assert.deepEqual(a, run());
  assert.equal(a.reduce((x, y) => x + y, 0), 400);
  assert.ok(Math.max(...a) - Math.min(...a) <= 2, `balanced: ${a.join(',')}`);
});
