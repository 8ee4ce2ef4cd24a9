// The PostgreSQL test harness itself: a real server comes up on loopback, serves a fresh database, and is
// gone (process and files) after stop; a missing installation fails with a message naming the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import process from 'node:process';
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

test('the server is stopped and its files removed even when the test using it fails', () => {
  const fixture = new URL('./postgres-fixture-failing.ts', import.meta.url).pathname;
  // Without NODE_TEST_CONTEXT the child is a test run of its own, not a reporter for ours.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--test-reporter=tap', fixture], { encoding: 'utf8', timeout: 90_000, env });
  assert.notEqual(r.status, 0, 'the fixture test fails');
  const m = /PGPID=(\d+) PGDIR=(\S+)/.exec(r.stdout);
  assert.ok(m !== null, `the fixture started a server: ${r.stdout.slice(-500)}`);
  assert.throws(() => process.kill(Number(m[1]), 0), /ESRCH/);
  assert.ok(!existsSync(m[2]!));
});
