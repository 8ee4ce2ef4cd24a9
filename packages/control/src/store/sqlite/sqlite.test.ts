// Runs the EventStore conformance suite on the SQLite store, plus what only SQLite promises (WAL, group commit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEventStoreConformance, steppingClock, assertLogInvariants } from '../conformance.ts';
import { SqliteEventStore, SQLITE_FILE_NAME } from './sqlite.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'trc-sqlite-store-'));
}

runEventStoreConformance('SQLite', async () => {
  const dataDir = tempDir();
  return {
    open: (clock) => SqliteEventStore.open({ dataDir, clock }),
    dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
});

test('the SQLite log is one file in the data directory, in WAL mode with synchronous=FULL', async () => {
  const dataDir = join(tempDir(), 'data');
  try {
    const store = await SqliteEventStore.open({ dataDir, clock: steppingClock() });
    await store.append([{ aggregateId: 'app:a', expectedVersion: 0, events: [{ type: 'AppCreated', actor: 'u', payload: {} }] }]);
    assert.ok(existsSync(join(dataDir, SQLITE_FILE_NAME)));
    const d = store.diagnostics();
    assert.equal(d.journalMode, 'wal');
    assert.equal(d.synchronous, 2, 'synchronous=FULL');
    await store.close();
  } finally {
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }
});

test('group commit: a burst of concurrent appends is committed in one transaction, each with its own conflict check', async () => {
  const dataDir = tempDir();
  let clockReads = 0;
  const base = steppingClock();
  try {
    const store = await SqliteEventStore.open({ dataDir, clock: () => (clockReads++, base()) });
    const burst = Array.from({ length: 64 }, (_, i) => store.append([{ aggregateId: i === 5 ? 'app:0' : `app:${i}`, expectedVersion: 0, events: [{ type: 'AppCreated', actor: 'u', payload: { i } }] }]));
    const results = await Promise.allSettled(burst);
    assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
    assert.equal(results[5]!.status, 'rejected');
    assert.equal(store.diagnostics().commits, 1, 'one commit (one fsync) for the whole burst');
    assert.equal(clockReads, 1);
    const log = await store.read();
    assert.equal(log.length, 63);
    assertLogInvariants(log);
    assert.ok(log.every((e) => e.time === log[0]!.time));
    await store.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a data directory that cannot hold the log fails open with TRC_STORE_UNAVAILABLE', async () => {
  const dir = tempDir();
  try {
    const notADir = join(dir, 'file');
    writeFileSync(notADir, 'x');
    await assert.rejects(SqliteEventStore.open({ dataDir: notADir, clock: steppingClock() }), { code: 'TRC_STORE_UNAVAILABLE' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
