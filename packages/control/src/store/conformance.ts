// The one conformance suite every EventStore passes (store/sqlite, store/postgres): each implementation's test
// file calls runEventStoreConformance with a factory, like Hono's router common.case.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isTrcError } from '@trc/core';
import type { AggregateAppend, Clock, EventStore, StoredEvent } from './store.ts';

/** A fresh, empty location for a store (a directory, a schema) that can be opened again after close. */
export interface StoreUnderTest {
  open(clock: Clock): Promise<EventStore>;
  dispose(): Promise<void>;
}

/** An aggregate id that would break naive SQL quoting (quote, backslash, comment) and is not ASCII. */
const WEIRD_ID = "app:ü🚀'; DROP TABLE events; --\\";

export const T0 = Date.parse('2026-01-02T03:04:05.000Z');

/** A clock that moves one second per reading, so every batch gets a distinct, known time. */
export function steppingClock(start = T0): Clock {
  let t = start;
  return () => new Date((t += 1000));
}

function ev(type: string, payload: unknown = {}, actor = 'user:alice'): { type: string; actor: string; payload: unknown } {
  return { type, actor, payload };
}

function one(aggregateId: string, expectedVersion: number, ...types: string[]): AggregateAppend[] {
  return [{ aggregateId, expectedVersion, events: types.map((t) => ev(t, { t })) }];
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    assert.ok(isTrcError(error), `expected a TrcError, got ${String(error)}`);
    assert.equal(error.code, code);
    return error;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

/** Checks what a log must always satisfy: seqs 1..n contiguous, versions contiguous per aggregate. */
export function assertLogInvariants(events: readonly StoredEvent[]): void {
  const versions = new Map<string, number>();
  events.forEach((e, i) => {
    assert.equal(e.seq, i + 1, `seq ${e.seq} at position ${i}: the log has a gap or is out of order`);
    const v = (versions.get(e.aggregateId) ?? 0) + 1;
    assert.equal(e.aggregateVersion, v, `aggregate ${e.aggregateId} version ${e.aggregateVersion} where ${v} was next`);
    versions.set(e.aggregateId, v);
  });
}

function nextEvents(store: EventStore, count: number, afterSeq?: number): { done: Promise<StoredEvent[]>; stop: () => void } {
  const got: StoredEvent[] = [];
  let stop = (): void => {};
  const done = new Promise<StoredEvent[]>((resolve) => {
    stop = store.subscribe((events) => {
      got.push(...events);
      if (got.length >= count) resolve(got);
    }, afterSeq === undefined ? {} : { afterSeq });
  });
  return { done, stop: () => stop() };
}

export function runEventStoreConformance(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  async function withStore(fn: (store: EventStore, target: StoreUnderTest, clock: Clock) => Promise<void>): Promise<void> {
    const target = await makeStore();
    const clock = steppingClock();
    const store = await target.open(clock);
    try {
      await fn(store, target, clock);
    } finally {
      await store.close();
      await target.dispose();
    }
  }

  describe(`EventStore conformance: ${name}`, { timeout: 60_000 }, () => {
    test('an empty store has head seq 0 and aggregates at version 0', () =>
      withStore(async (store) => {
        assert.equal(await store.headSeq(), 0);
        assert.equal(await store.aggregateVersion('app:a'), 0);
        assert.deepEqual(await store.read(), []);
      }));

    test('append stores seq, type, aggregate id and version, actor, clock time and payload', () =>
      withStore(async (store) => {
        const stored = await store.append([{ aggregateId: 'app:a', expectedVersion: 0, events: [ev('AppCreated', { name: 'a', n: 1 }, 'user:bob'), ev('ReleaseCreated', { v: 1 })] }]);
        assert.deepEqual(stored, [
          { seq: 1, type: 'AppCreated', aggregateId: 'app:a', aggregateVersion: 1, actor: 'user:bob', time: new Date(T0 + 1000).toISOString(), payload: { name: 'a', n: 1 } },
          { seq: 2, type: 'ReleaseCreated', aggregateId: 'app:a', aggregateVersion: 2, actor: 'user:alice', time: new Date(T0 + 1000).toISOString(), payload: { v: 1 } },
        ]);
        assert.deepEqual(await store.read(), stored);
        assert.equal(await store.headSeq(), 2);
        assert.equal(await store.aggregateVersion('app:a'), 2);
      }));

    test('read filters by afterSeq, limit, aggregate and types, always in seq order', () =>
      withStore(async (store) => {
        await store.append(one('app:a', 0, 'AppCreated'));
        await store.append(one('app:b', 0, 'AppCreated'));
        await store.append(one('app:a', 1, 'ReleaseCreated', 'DeployStarted'));
        await store.append(one('app:b', 1, 'ReleaseCreated'));
        const seqs = (es: StoredEvent[]): number[] => es.map((e) => e.seq);
        assert.deepEqual(seqs(await store.read()), [1, 2, 3, 4, 5]);
        assert.deepEqual(seqs(await store.read({ afterSeq: 2 })), [3, 4, 5]);
        assert.deepEqual(seqs(await store.read({ afterSeq: 1, limit: 2 })), [2, 3]);
        assert.deepEqual(seqs(await store.read({ aggregateId: 'app:a' })), [1, 3, 4]);
        assert.deepEqual(seqs(await store.read({ types: ['ReleaseCreated'] })), [3, 5]);
        assert.deepEqual(seqs(await store.read({ types: ['AppCreated', 'DeployStarted'], afterSeq: 1 })), [2, 4]);
        assert.deepEqual(seqs(await store.read({ aggregateId: 'app:b', types: ['ReleaseCreated'] })), [5]);
        assert.deepEqual(seqs(await store.read({ types: [] })), []);
        assert.deepEqual(seqs(await store.read({ afterSeq: 5 })), []);
        assert.deepEqual(seqs(await store.read({ limit: 0 })), []);
      }));

    test('an append at a stale expected version fails with TRC_CONFLICT (409, retry hint) and stores nothing', () =>
      withStore(async (store) => {
        await store.append(one('app:a', 0, 'AppCreated'));
        for (const stale of [0, 2, 7]) {
          const error = await rejectsWith(store.append(one('app:a', stale, 'ReleaseCreated')), 'TRC_CONFLICT');
          assert.ok(isTrcError(error));
          assert.equal(error.status, 409);
          assert.equal(error.kind, 'user');
          assert.match(error.hint ?? '', /re-read/);
          assert.deepEqual(error.details, { aggregateId: 'app:a', expectedVersion: stale, actualVersion: 1 });
        }
        assert.equal(await store.headSeq(), 1);
        assert.equal(await store.aggregateVersion('app:a'), 1);
      }));

    test('a multi-aggregate append is atomic: one conflicting aggregate and nothing is stored', () =>
      withStore(async (store) => {
        await store.append(one('app:b', 0, 'AppCreated'));
        await rejectsWith(store.append([...one('app:a', 0, 'AppCreated'), ...one('app:b', 0, 'AppCreated'), ...one('app:c', 0, 'AppCreated')]), 'TRC_CONFLICT');
        assert.equal(await store.aggregateVersion('app:a'), 0);
        assert.equal(await store.aggregateVersion('app:c'), 0);
        const stored = await store.append([...one('app:a', 0, 'AppCreated'), ...one('app:b', 1, 'ReleaseCreated'), ...one('app:c', 0, 'AppCreated', 'ReleaseCreated')]);
        assert.deepEqual(stored.map((e) => [e.seq, e.aggregateId, e.aggregateVersion]), [[2, 'app:a', 1], [3, 'app:b', 2], [4, 'app:c', 1], [5, 'app:c', 2]]);
        assertLogInvariants(await store.read());
      }));

    test('an aggregate with no events in an append only asserts its version', () =>
      withStore(async (store) => {
        await store.append(one('quota:org1', 0, 'QuotasChanged'));
        await store.append([{ aggregateId: 'quota:org1', expectedVersion: 1, events: [] }, ...one('app:a', 0, 'AppCreated')]);
        await rejectsWith(store.append([{ aggregateId: 'quota:org1', expectedVersion: 0, events: [] }, ...one('app:b', 0, 'AppCreated')]), 'TRC_CONFLICT');
        assert.equal(await store.aggregateVersion('app:b'), 0);
        assert.equal(await store.aggregateVersion('quota:org1'), 1);
        assert.deepEqual(await store.append([]), []);
      }));

    test('concurrent appends to one aggregate at the same expected version: exactly one wins, the others get TRC_CONFLICT', () =>
      withStore(async (store) => {
        await store.append(one('app:a', 0, 'AppCreated'));
        const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => store.append([{ aggregateId: 'app:a', expectedVersion: 1, events: [ev('ReleaseCreated', { i })] }])));
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        assert.equal(won.length, 1);
        for (const r of lost) assert.equal((r.reason as { code: string }).code, 'TRC_CONFLICT');
        assert.equal(await store.aggregateVersion('app:a'), 2);
        assertLogInvariants(await store.read());
      }));

    test('in a burst of concurrent appends a conflicting one fails alone and every other one commits', () =>
      withStore(async (store) => {
        await store.append(one('app:x', 0, 'AppCreated'));
        const burst = Array.from({ length: 40 }, (_, i) => (i % 10 === 3 ? store.append(one('app:x', 0, 'AppCreated')) : store.append(one(`app:${i}`, 0, 'AppCreated', 'ReleaseCreated'))));
        const results = await Promise.allSettled(burst);
        results.forEach((r, i) => {
          if (i % 10 === 3) assert.equal(r.status === 'rejected' && (r.reason as { code: string }).code, 'TRC_CONFLICT');
          else assert.equal(r.status, 'fulfilled', `append ${i}`);
        });
        const log = await store.read();
        assert.equal(log.length, 1 + 36 * 2);
        assertLogInvariants(log);
        // Each append's events are consecutive and in the order given.
        for (const r of results) if (r.status === 'fulfilled') assert.deepEqual(r.value.map((e) => e.seq), [r.value[0]!.seq, r.value[0]!.seq + 1]);
      }));

    test('many concurrent writers: every acknowledged event is stored once, seqs contiguous, versions contiguous', () =>
      withStore(async (store) => {
        const acknowledged: StoredEvent[] = [];
        await Promise.all(
          Array.from({ length: 8 }, async (_, w) => {
            let version = 0;
            for (let i = 0; i < 25; i++) {
              const events = await store.append([{ aggregateId: `node:${w}`, expectedVersion: version, events: [ev('NodeCapacityReported', { w, i })] }]);
              version = events.at(-1)!.aggregateVersion;
              acknowledged.push(...events);
            }
          }),
        );
        const log = await store.read();
        assertLogInvariants(log);
        assert.equal(log.length, 200);
        assert.deepEqual([...acknowledged].sort((a, b) => a.seq - b.seq), log);
      }));

    test('invalid appends fail with TRC_INVALID_INPUT listing every problem, and store nothing', () =>
      withStore(async (store) => {
        const error = await rejectsWith(
          store.append([
            { aggregateId: '', expectedVersion: -1, events: [{ type: '', actor: '', payload: 1n }] },
            { aggregateId: 'app:a', expectedVersion: 0.5, events: [] },
            { aggregateId: 'app:a', expectedVersion: 0, events: [] },
          ]),
          'TRC_INVALID_INPUT',
        );
        assert.ok(isTrcError(error));
        assert.deepEqual(error.problems.map((p) => p.path), ['appends[0].aggregateId', 'appends[0].expectedVersion', 'appends[0].events[0].type', 'appends[0].events[0].actor', 'appends[0].events[0].payload', 'appends[1].expectedVersion', 'appends[2].aggregateId']);
        assert.equal(await store.headSeq(), 0);
      }));

    test('payloads round-trip exactly: large (1 MiB), unicode, nested, and copied from the caller', () =>
      withStore(async (store) => {
        const big = 'x'.repeat(1024 * 1024);
        const unicode = { s: 'héllo 世界 🚀 مرحبا \u0000 \u2028 \ud800 "quoted" \\ back', n: -0.5, deep: [[{ a: [null, true, 1e21] }]] };
        const payload = { unicode, list: [1, 2, 3] };
        const stored = await store.append([{ aggregateId: WEIRD_ID, expectedVersion: 0, events: [ev('AppCreated', { big }, 'user:zoë'), ev('ReleaseCreated', payload)] }]);
        payload.list.push(4);
        const log = await store.read();
        assert.deepEqual(log, stored);
        assert.equal((log[0]!.payload as { big: string }).big.length, 1024 * 1024);
        assert.deepEqual(log[1]!.payload, { unicode, list: [1, 2, 3] });
        assert.equal(log[0]!.actor, 'user:zoë');
        assert.deepEqual((await store.read({ aggregateId: WEIRD_ID })).length, 2);
      }));

    test('subscribers get each durable append in seq order; unsubscribe stops delivery', () =>
      withStore(async (store) => {
        const seen: number[][] = [];
        const all = nextEvents(store, 4);
        let sawFour = (): void => {};
        const seenFour = new Promise<void>((resolve) => (sawFour = resolve));
        const stop = store.subscribe((events) => {
          seen.push(events.map((e) => e.seq));
          if (seen.flat().length >= 4) sawFour();
        });
        await store.append(one('app:a', 0, 'AppCreated', 'ReleaseCreated'));
        await Promise.all([store.append(one('app:b', 0, 'AppCreated')), store.append(one('app:c', 0, 'AppCreated'))]);
        const got = await all.done;
        // Each subscriber is delivered to on its own schedule (PostgreSQL: after a notification), so wait
        // for this one too before unsubscribing; the suite's timeout bounds the wait.
        await seenFour;
        all.stop();
        stop();
        await store.append(one('app:d', 0, 'AppCreated'));
        // A fresh subscriber seeing seq 5 shows the append was delivered; the stopped one must not get it.
        const later = nextEvents(store, 5, 0);
        await later.done;
        later.stop();
        assert.deepEqual(got.map((e) => e.seq), [1, 2, 3, 4]);
        assert.deepEqual(seen.flat(), [1, 2, 3, 4]);
        // A store may batch appends that were durable before it delivered (PostgreSQL delivers after
        // a notification), but never splits one append across deliveries.
        assert.deepEqual(seen[0]!.slice(0, 2), [1, 2]);
        assert.deepEqual(got, (await store.read()).slice(0, 4));
      }));

    test('subscribe with afterSeq catches up on the stored log, then continues live without a gap', () =>
      withStore(async (store) => {
        await store.append(one('app:a', 0, 'AppCreated', 'ReleaseCreated', 'DeployStarted'));
        const sub = nextEvents(store, 4, 1);
        await store.append(one('app:a', 3, 'ProcessScaled', 'RestartRequired'));
        const got = await sub.done;
        sub.stop();
        assert.deepEqual(got.map((e) => e.seq), [2, 3, 4, 5]);
        const whole = nextEvents(store, 5, 0);
        assert.deepEqual((await whole.done).map((e) => e.seq), [1, 2, 3, 4, 5]);
        whole.stop();
      }));

    test('a throwing subscriber does not break appends or other subscribers', () =>
      withStore(async (store) => {
        const other = nextEvents(store, 2);
        const stopBad = store.subscribe(() => {
          throw new Error('listener bug (expected by this test)');
        });
        await store.append(one('app:a', 0, 'AppCreated'));
        await store.append(one('app:a', 1, 'ReleaseCreated'));
        assert.equal((await other.done).length, 2);
        stopBad();
        other.stop();
      }));

    test('closing and reopening keeps every acknowledged event, and seqs and versions continue', () =>
      withStore(async (store, target, clock) => {
        await store.append(one('app:a', 0, 'AppCreated', 'ReleaseCreated'));
        const pending = store.append(one('app:b', 0, 'AppCreated'));
        await store.close();
        const before = await pending;
        assert.equal(before[0]!.seq, 3);
        await rejectsWith(store.append(one('app:c', 0, 'AppCreated')), 'TRC_STORE_CLOSED');
        const reopened = await target.open(clock);
        try {
          assert.equal(await reopened.headSeq(), 3);
          assert.equal(await reopened.aggregateVersion('app:a'), 2);
          await rejectsWith(reopened.append(one('app:a', 1, 'DeployStarted')), 'TRC_CONFLICT');
          const next = await reopened.append(one('app:a', 2, 'DeployStarted'));
          assert.deepEqual([next[0]!.seq, next[0]!.aggregateVersion], [4, 3]);
          assertLogInvariants(await reopened.read());
        } finally {
          await reopened.close();
        }
      }));

    test('property: any sequence of appends behaves like the reference model', () =>
      withStore(async (store) => {
        const model: { aggregateId: string; type: string }[] = [];
        const versions = new Map<string, number>();
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.array(fc.record({ agg: fc.integer({ min: 0, max: 3 }), skew: fc.constantFrom(0, 0, 0, 1, -1), n: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 3 }), { maxLength: 8 }),
            async (calls) => {
              run++;
              for (const call of calls) {
                const seen = new Set<string>();
                const appends = call
                  .map((c) => ({ ...c, id: `r${run}:agg${c.agg}` }))
                  .filter((c) => !seen.has(c.id) && seen.add(c.id))
                  .map((c) => ({ aggregateId: c.id, expectedVersion: Math.max(0, (versions.get(c.id) ?? 0) + c.skew), events: Array.from({ length: c.n }, (_, k) => ev(`T${k}`)) }));
                const conflict = appends.some((a) => a.expectedVersion !== (versions.get(a.aggregateId) ?? 0));
                const result = await store.append(appends).then(
                  (events) => events,
                  (error: unknown) => error,
                );
                if (conflict) {
                  assert.equal((result as { code: string }).code, 'TRC_CONFLICT');
                  continue;
                }
                assert.ok(Array.isArray(result), String(result));
                for (const a of appends) {
                  for (const e of a.events) model.push({ aggregateId: a.aggregateId, type: e.type });
                  versions.set(a.aggregateId, (versions.get(a.aggregateId) ?? 0) + a.events.length);
                }
              }
              const log = await store.read();
              assertLogInvariants(log);
              assert.deepEqual(log.map((e) => ({ aggregateId: e.aggregateId, type: e.type })), model);
              for (const [id, v] of versions) assert.equal(await store.aggregateVersion(id), v);
            },
          ),
          { numRuns: 25, seed: 7 },
        );
      }));
  });
}
