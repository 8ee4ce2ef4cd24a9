// The pool's bookkeeping without devices: one entry per taker, bounded, refilled only when idle, free slots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { NamespacePool, type PoolEntry } from './namespace-pool.ts';

function pool(size: number, state: { idle: boolean; taken: Set<number>; made: number[] }): NamespacePool {
  return new NamespacePool({
    size,
    delayMs: 5,
    names: (k) => ({ netns: `ns_p${k}`, hostInterface: `if_${k}` }),
    taken: () => state.taken,
    make: async (entry: PoolEntry) => {
      state.made.push(entry.slot);
    },
    idle: () => state.idle,
  });
}

test('entries are taken once each, given back untouched, and new ones skip slots instances hold', async () => {
  const state = { idle: true, taken: new Set([1]), made: [] as number[] };
  const p = pool(3, state);
  await p.fill();
  assert.deepEqual(state.made, [0, 2, 3]);
  const taken = [p.take(), p.take(), p.take(), p.take()];
  assert.deepEqual(taken.map((e) => e?.slot), [0, 2, 3, undefined], 'an empty pool hands out nothing');
  p.giveBack(taken[0]!);
  assert.deepEqual(p.ready.map((e) => e.slot), [0]);
  state.taken.add(2).add(3);
  await p.fill();
  assert.deepEqual(state.made, [0, 2, 3, 4, 5]);
});

test('the debounced refill waits while a start is in progress, and a closed pool makes nothing', async () => {
  const state = { idle: false, taken: new Set<number>(), made: [] as number[] };
  const p = pool(2, state);
  p.schedule();
  await sleep(30);
  assert.deepEqual(state.made, []);
  state.idle = true;
  for (let i = 0; i < 100 && p.ready.length < 2; i++) await sleep(5);
  assert.equal(p.ready.length, 2);
  p.close();
  assert.equal(p.ready.length, 0);
  await p.fill();
  p.schedule();
  assert.deepEqual(state.made, [0, 1]);
  assert.throws(() => pool(65, state), RangeError);
});
