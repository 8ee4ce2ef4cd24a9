// Runs the EventStore conformance suite on PostgreSQL (a real server from test-support/postgres.ts), plus what
// only a shared log promises: several control planes on one log, gap-free following, cross-process subscribe.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { usePostgres } from '../../test-support/postgres.ts';
import { runEventStoreConformance, steppingClock, assertLogInvariants } from '../conformance.ts';
import type { StoredEvent } from '../store.ts';
import { PostgresEventStore } from './postgres.ts';

const postgres = usePostgres();
let url = '';
let schemas = 0;
before(async () => {
  url = await postgres.database('store');
});

async function dropSchema(schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}

function freshSchema(): string {
  return `conformance_${++schemas}`;
}

runEventStoreConformance('PostgreSQL', async () => {
  const schema = freshSchema();
  return {
    open: (clock) => PostgresEventStore.open({ url, clock, schema }),
    dispose: () => dropSchema(schema),
  };
});

test('two control planes on one PostgreSQL log: concurrent appends conflict correctly and seqs stay contiguous', async () => {
  const schema = freshSchema();
  const [a, b] = await Promise.all([PostgresEventStore.open({ url, schema, clock: steppingClock() }), PostgresEventStore.open({ url, schema, clock: steppingClock() })]);
  try {
    await a.append([{ aggregateId: 'app:x', expectedVersion: 0, events: [{ type: 'AppCreated', actor: 'u', payload: {} }] }]);
    const race = await Promise.allSettled([a, b, a, b].map((s, i) => s.append([{ aggregateId: 'app:x', expectedVersion: 1, events: [{ type: 'ReleaseCreated', actor: 'u', payload: { i } }] }])));
    assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1);
    await Promise.all(
      [a, b].flatMap((s, w) =>
        Array.from({ length: 4 }, async (_, k) => {
          let v = 0;
          for (let i = 0; i < 10; i++) v = (await s.append([{ aggregateId: `node:${w}:${k}`, expectedVersion: v, events: [{ type: 'NodeCapacityReported', actor: 'u', payload: { i } }] }])).at(-1)!.aggregateVersion;
        }),
      ),
    );
    const log = await b.read();
    assert.equal(log.length, 2 + 80);
    assertLogInvariants(log);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await dropSchema(schema);
  }
});

test('a reader following by seq never skips an event while two control planes append concurrently', async () => {
  const schema = freshSchema();
  const writers = await Promise.all([0, 1].map(() => PostgresEventStore.open({ url, schema, clock: steppingClock() })));
  const reader = await PostgresEventStore.open({ url, schema, clock: steppingClock() });
  const total = 2 * 8 * 15;
  let done = false;
  try {
    const writing = Promise.all(
      writers.flatMap((s, w) =>
        Array.from({ length: 8 }, async (_, k) => {
          for (let i = 0; i < 15; i++) await s.append([{ aggregateId: `agg:${w}:${k}:${i}`, expectedVersion: 0, events: [{ type: 'T', actor: 'u', payload: { big: 'p'.repeat((i * 997) % 5000) } }] }]);
        }),
      ),
    ).finally(() => (done = true));
    // Follow as a projection would: only ever ask for what comes after the last seq seen.
    let cursor = 0;
    for (let rounds = 0; rounds < 100_000 && cursor < total; rounds++) {
      const finished = done;
      for (const e of await reader.read({ afterSeq: cursor })) {
        assert.equal(e.seq, cursor + 1, 'the follower skipped an event');
        cursor = e.seq;
      }
      if (finished && cursor < total) break;
    }
    await writing;
    assert.equal(cursor, total);
  } finally {
    await Promise.all([...writers, reader].map((s) => s.close()));
    await dropSchema(schema);
  }
});

test('a subscriber on one control plane sees appends made by another (LISTEN/NOTIFY), in order, without gaps', async () => {
  const schema = freshSchema();
  const a = await PostgresEventStore.open({ url, schema, clock: steppingClock() });
  // A long poll interval: delivery within the test must come from the notification.
  const b = await PostgresEventStore.open({ url, schema, clock: steppingClock(), pollIntervalMs: 600_000 });
  try {
    const got: StoredEvent[] = [];
    const all = new Promise<void>((resolve) => {
      const stop = b.subscribe((events) => {
        got.push(...events);
        if (got.length >= 30) {
          stop();
          resolve();
        }
      });
    });
    assert.equal(await b.listening(), true);
    await Promise.all(Array.from({ length: 10 }, async (_, k) => {
      for (let i = 0; i < 3; i++) await a.append([{ aggregateId: `app:${k}`, expectedVersion: i, events: [{ type: 'T', actor: 'u', payload: { k, i } }] }]);
    }));
    await all;
    assert.deepEqual(got.map((e) => e.seq), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.deepEqual(got, await a.read());
  } finally {
    await Promise.all([a.close(), b.close()]);
    await dropSchema(schema);
  }
});

test('without notifications a subscriber still catches up within the poll bound', async () => {
  const schema = freshSchema();
  const a = await PostgresEventStore.open({ url, schema, clock: steppingClock() });
  const b = await PostgresEventStore.open({ url, schema, clock: steppingClock(), pollIntervalMs: 50 });
  try {
    const seen = new Promise<readonly StoredEvent[]>((resolve) => {
      const stop = b.subscribe((events) => {
        stop();
        resolve(events);
      });
    });
    // Written behind the store's back, with no NOTIFY: only the poll can find it.
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    await raw.query(`INSERT INTO "${schema}".events VALUES (1, 'T', 'app:a', 1, 'u', now(), '{"n":1}')`);
    await raw.end();
    const events = await seen;
    assert.deepEqual(events.map((e) => [e.seq, e.aggregateId, e.payload]), [[1, 'app:a', { n: 1 }]]);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await dropSchema(schema);
  }
});

test('group commit on PostgreSQL: a burst of appends shares one transaction', async () => {
  const schema = freshSchema();
  const store = await PostgresEventStore.open({ url, schema, clock: steppingClock() });
  try {
    const burst = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => store.append([{ aggregateId: `app:${i % 49}`, expectedVersion: 0, events: [{ type: 'AppCreated', actor: 'u', payload: { i } }] }])));
    assert.equal(burst.filter((r) => r.status === 'rejected').length, 1);
    assert.equal(store.diagnostics().commits, 1);
    assertLogInvariants(await store.read());
  } finally {
    await store.close();
    await dropSchema(schema);
  }
});

test('an unreachable PostgreSQL fails open with TRC_STORE_UNAVAILABLE and a hint', async () => {
  const { port } = await postgres.server();
  // The same server's port with a database that does not exist: refused by the server itself, on loopback.
  const bad = `postgres://postgres@127.0.0.1:${port}/no_such_database`;
  await assert.rejects(PostgresEventStore.open({ url: bad, clock: steppingClock() }), (e: unknown) => {
    assert.ok(e instanceof Error && 'code' in e && e.code === 'TRC_STORE_UNAVAILABLE');
    assert.match(String((e as { hint?: string }).hint), /PostgreSQL/);
    return true;
  });
});
