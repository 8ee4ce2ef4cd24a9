// A test file that starts the PostgreSQL harness and then fails on purpose; postgres.test.ts runs it to show
// the server is stopped even when a test fails. Not named *.test.ts, so the suite never runs it directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePostgres } from './postgres.ts';

const postgres = usePostgres();

test('fails after starting PostgreSQL (expected by postgres.test.ts)', async () => {
  const server = await postgres.server();
  console.log(`PGPID=${server.pid} PGDIR=${server.socketDir}`);
  assert.fail('failing on purpose');
});
