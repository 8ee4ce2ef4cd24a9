// Crash test on both stores: a child appends in bursts and is SIGKILLed at seeded random points; after each
// kill the reopened log holds every acknowledged event, with contiguous seqs and per-aggregate versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usePostgres } from '../../test-support/postgres.ts';
import { runCrashTest } from './crash-test.ts';

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
