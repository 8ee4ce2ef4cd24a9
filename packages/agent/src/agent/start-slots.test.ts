// The start semaphore: never more than its size at once, waiters served in arrival order, double release harmless.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StartSlots } from './start-slots.ts';

test('start slots let at most their size run at once and serve waiters in arrival order', async () => {
  await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 30 }), async (size, work) => {
    const slots = new StartSlots(size);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(work.map(async (ticks, i) => {
      const release = await slots.acquire();
      order.push(i);
      running++;
      peak = Math.max(peak, running);
      for (let t = 0; t < ticks; t++) await Promise.resolve();
      running--;
      release();
      release();
    }));
    assert.ok(peak <= size);
    assert.equal(peak, Math.min(size, work.length));
    assert.deepEqual(order, work.map((_, i) => i));
    assert.equal(slots.busy, 0);
    assert.equal(slots.waiting, 0);
  }), { numRuns: 100 });
});

test('start slots refuse a size below one', () => {
  assert.throws(() => new StartSlots(0), RangeError);
});
