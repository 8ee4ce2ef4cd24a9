// The free-capacity index agrees with a linear scan after any sequence of updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MaxTree } from './max-tree.ts';

test('max and argMax (lowest index on ties) match a linear scan after updates', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 40 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: -5, max: 5 })), { maxLength: 40 }), (values, updates) => {
    const tree = new MaxTree(values);
    const plain = [...values];
    for (const [at, v] of updates) {
      tree.set(at % plain.length, v);
      plain[at % plain.length] = v;
      const max = Math.max(...plain);
      assert.equal(tree.max(), max);
      assert.equal(tree.argMax(), plain.indexOf(max));
      assert.equal(tree.get(at % plain.length), v);
    }
  }));
  assert.equal(new MaxTree([]).argMax(), -1);
  assert.equal(new MaxTree([-Infinity, -Infinity]).argMax(), -1);
});
