// bin/platform-control as a program: first start prints the operator token once and creates the master
// key; a restart keeps both (state rebuilt from the log), and the token still works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../../../bin/platform-control', import.meta.url).pathname;

async function start(dataDir: string): Promise<{ base: string; stdout: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(bin, ['--data-dir', dataDir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform-control did not start: ${err}`)), 15_000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`platform-control exited ${code}: ${err}`)));
  });
  return {
    base,
    stdout: () => out,
    stop: () =>
      new Promise((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', (code) => (clearTimeout(kill), resolve(code)));
        child.kill('SIGTERM');
      }),
  };
}

test('first start prints the operator token once and creates the master key; a restart keeps both', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trc-main-'));
  try {
    const first = await start(dataDir);
    const token = /operator token \(shown once, store it now\): (trc_op_\S+)/.exec(first.stdout())?.[1];
    assert.ok(token, first.stdout());
    assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
    const created = await fetch(`${first.base}/v1/orgs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"name":"acme"}', signal: AbortSignal.timeout(10_000) });
    assert.equal(created.status, 201);
    assert.equal(await first.stop(), 0);

    const second = await start(dataDir);
    assert.doesNotMatch(second.stdout(), /operator token/);
    const orgs = await fetch(`${second.base}/v1/orgs`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    assert.deepEqual(((await orgs.json()) as { name: string }[]).map((o) => o.name), ['acme']);
    assert.equal(await second.stop(), 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
