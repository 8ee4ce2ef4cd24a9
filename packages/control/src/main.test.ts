// bin/platform-control as a program: first start prints the operator token once and creates the master
// key; a restart keeps both (state rebuilt from the log); a SIGKILL mid-burst loses no acknowledged write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControl } from './test-support/program.ts';

function call(base: string, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
}

test('first start prints the operator token once and creates the master key; a restart keeps both', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trc-main-'));
  try {
    const first = await startControl(dataDir);
    const token = /operator token \(shown once, store it now\): (trc_op_\S+)/.exec(first.stdout())?.[1];
    assert.ok(token, first.stdout());
    assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
    assert.equal((await call(first.base, token, 'POST', '/v1/orgs', { name: 'acme' })).status, 201);
    assert.equal(await first.stop(), 0);

    const second = await startControl(dataDir);
    assert.doesNotMatch(second.stdout(), /operator token/);
    const orgs = await call(second.base, token, 'GET', '/v1/orgs');
    assert.deepEqual(((await orgs.json()) as { name: string }[]).map((o) => o.name), ['acme']);
    assert.equal(await second.stop(), 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a SIGKILL during a burst of writes loses no acknowledged write, and the restarted projection verifies', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trc-crash-'));
  try {
    const first = await startControl(dataDir);
    const token = /operator token \(shown once, store it now\): (trc_op_\S+)/.exec(first.stdout())![1]!;
    await call(first.base, token, 'POST', '/v1/orgs', { name: 'acme' });
    const acknowledged: string[] = [];
    let sent = 0;
    // Eight writers create apps until 40 are acknowledged; then the process dies mid-flight.
    const writer = async (): Promise<void> => {
      while (acknowledged.length < 40 && sent < 200) {
        const name = `app-${sent++}`;
        const res = await call(first.base, token, 'POST', '/v1/apps', { org: 'acme', name }).catch(() => undefined);
        if (res?.status === 201) acknowledged.push(name);
        else if (res === undefined) return;
      }
    };
    const writers = Array.from({ length: 8 }, writer);
    const deadline = Date.now() + 15_000;
    while (acknowledged.length < 40 && sent < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.ok(acknowledged.length >= 40, `only ${acknowledged.length} writes acknowledged`);
    await first.kill();
    await Promise.allSettled(writers);

    const second = await startControl(dataDir);
    const apps = ((await (await call(second.base, token, 'GET', '/v1/apps')).json()) as { name: string }[]).map((a) => a.name);
    for (const name of acknowledged) assert.ok(apps.includes(name), `acknowledged ${name} was lost`);
    const verify = await call(second.base, token, 'POST', '/v1/admin/verify');
    assert.equal(verify.status, 200);
    assert.equal(((await verify.json()) as { ok: boolean }).ok, true);
    assert.equal(await second.stop(), 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
