// The PostgreSQL test harness itself: a real server comes up on loopback, serves a fresh database, and is
// gone (process and files) after stop; a missing installation fails with a message naming the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { startPostgres } from './postgres.ts';

test('startPostgres runs PostgreSQL 15 on 127.0.0.1, creates databases, and stop removes the server and its files', async () => {
  const server = await startPostgres();
  let stopped = false;
  try {
    assert.equal(server.host, '127.0.0.1');
    const url = await server.createDatabase('harness');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const r = await client.query<{ v: string; user: string }>("SELECT current_setting('server_version_num') AS v, current_user AS user");
    await client.end();
    assert.match(r.rows[0]!.v, /^15/);
    assert.equal(r.rows[0]!.user, 'postgres');
    assert.ok(existsSync(server.socketDir));
    await server.stop();
    stopped = true;
    assert.ok(!existsSync(server.socketDir));
    assert.throws(() => process.kill(server.pid, 0), /ESRCH/);
  } finally {
    if (!stopped) await server.stop();
  }
});

test('a missing PostgreSQL installation fails with a message naming scripts/system-deps.sh', async () => {
  await assert.rejects(startPostgres({ binDir: '/nonexistent/postgresql/bin' }), /scripts\/system-deps\.sh/);
});
