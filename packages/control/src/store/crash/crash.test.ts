// Crash test on both stores: a child appends in bursts and is SIGKILLed at seeded random points; after each
// kill the reopened log holds every acknowledged event, with contiguous seqs and per-aggregate versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usePostgres } from '../../test-support/postgres.ts';
import type { StoredEvent } from '../store.ts';
import { checkAfterCrash, runCrashTest } from './crash-test.ts';

const postgres = usePostgres();
const SEED = 20261126;

test('SQLite: after SIGKILLs at seeded random points no acknowledged event is lost and the log stays contiguous', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trc-crash-sqlite-'));
  try {
    let verified = 0;
    const report = await runCrashTest({ location: { kind: 'sqlite', dataDir }, seed: SEED, rounds: 5, verify: async () => void verified++ });
    assert.equal(verified, 5);
    assert.ok(report.rounds.every((r) => r.acknowledged >= r.killedAfterAcks && r.head >= r.acknowledged));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('PostgreSQL: after SIGKILLs at seeded random points no acknowledged event is lost and the log stays contiguous', async () => {
  const url = await postgres.database('crash');
  const report = await runCrashTest({ location: { kind: 'postgres', url, schema: 'crash' }, seed: SEED + 1, rounds: 5 });
  assert.equal(report.rounds.length, 5);
});

test('the crash check rejects a lost acknowledged event, a seq gap and a version gap', () => {
  const event = (seq: number, aggregateId: string, aggregateVersion: number): StoredEvent => ({ seq, type: 'T', aggregateId, aggregateVersion, actor: 'u', time: '2026-01-01T00:00:00.000Z', payload: null });
  const log = [event(1, 'a', 1), event(2, 'b', 1), event(3, 'a', 2)];
  checkAfterCrash(log, [{ seq: 2, aggregateId: 'b', aggregateVersion: 1 }]);
  assert.throws(() => checkAfterCrash(log, [{ seq: 4, aggregateId: 'a', aggregateVersion: 3 }]), /is lost/);
  assert.throws(() => checkAfterCrash(log, [{ seq: 2, aggregateId: 'c', aggregateVersion: 1 }]), /differs/);
  assert.throws(() => checkAfterCrash([event(1, 'a', 1), event(3, 'a', 2)], []), /gap/);
  assert.throws(() => checkAfterCrash([event(1, 'a', 1), event(2, 'a', 3)], []), /version/);
});
