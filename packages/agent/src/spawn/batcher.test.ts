// The group commit: a lone item runs at once, items submitted during a run share the next one, and each
// item gets its own result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher } from './batcher.ts';

test('a lone item is flushed at once; items submitted while a flush runs go together in the next; results are per item', async () => {
  const batches: number[][] = [];
  let release: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (release = resolve));
  const b = new Batcher<number, number>(async (items) => {
    batches.push([...items]);
    if (batches.length === 1) await first;
    return items.map((n) => (n < 0 ? { status: 'rejected', reason: new Error(`bad ${n}`) } as const : { status: 'fulfilled', value: n * 10 } as const));
  });
  const one = b.submit(1);
  const later = [b.submit(2), b.submit(-3), b.submit(4)];
  assert.deepEqual(batches, [[1]]);
  release();
  assert.equal(await one, 10);
  const settled = await Promise.allSettled(later);
  assert.deepEqual(batches, [[1], [2, -3, 4]]);
  assert.deepEqual(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)), [20, 'bad -3', 40]);
});

test('a flush that throws rejects every item of its batch, and the next batch still runs', async () => {
  let calls = 0;
  const b = new Batcher<string, string>(async (items) => {
    calls++;
    if (calls === 1) throw new Error('nft refused');
    return items.map((s) => ({ status: 'fulfilled', value: s.toUpperCase() }) as const);
  });
  await assert.rejects(b.submit('a'), /nft refused/);
  assert.equal(await b.submit('b'), 'B');
});
