// The store is chosen by configuration: SQLite by default, PostgreSQL for a postgres:// URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usePostgres } from '../test-support/postgres.ts';
import { steppingClock } from './conformance.ts';
import { openEventStore } from './open.ts';
import { SqliteEventStore } from './sqlite/sqlite.ts';
import { PostgresEventStore } from './postgres/postgres.ts';

const postgres = usePostgres();

test('openEventStore uses SQLite in the data directory without a URL, PostgreSQL with one, and refuses other schemes', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trc-open-'));
  try {
    const sqlite = await openEventStore({ dataDir, clock: steppingClock() });
    assert.ok(sqlite instanceof SqliteEventStore);
    await sqlite.close();
    const pg = await openEventStore({ dataDir, databaseUrl: await postgres.database('open'), clock: steppingClock() });
    assert.ok(pg instanceof PostgresEventStore);
    await pg.close();
    await assert.rejects(openEventStore({ dataDir, databaseUrl: 'mysql://root:hunter2@db/x', clock: steppingClock() }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'TRC_INVALID_INPUT');
      assert.ok(!e.message.includes('hunter2'), 'the password is not echoed');
      return true;
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
