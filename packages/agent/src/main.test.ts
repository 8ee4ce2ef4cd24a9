// bin/platform-agent as a program: documented options, a missing control plane URL and a refused join token
// are user errors (exit 2) with their codes, and a refused join writes no identity.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startControl } from '../../control/src/test-support/program.ts';

const BIN = new URL('../../../bin/platform-agent', import.meta.url).pathname;
const work = mkdtempSync(path.join(tmpdir(), 'trc-agent-main-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }));
  });
}

test('platform-agent --help documents its options', async () => {
  const r = await run(['--help']);
  assert.equal(r.status, 0);
  for (const option of ['--control', '--join-token', '--join-token-file', '--state-dir', '--node-name', '--subnet', '--reserved-memory', '--secrets-dir', '--admin-listen', '--resync', '--max-concurrent-starts', '--netns-pool']) assert.match(r.stdout, new RegExp(`${option} `));
});

test('--max-concurrent-starts takes a whole number of at least 1, refused with exit 2 before anything is stored', async () => {
  for (const value of ['0', '-2', '1.5', 'many']) {
    const stateDir = path.join(work, `starts-${value}`);
    const r = await run([`--max-concurrent-starts=${value}`, '--state-dir', stateDir, '--node-name', 'n1']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^TRC_AGENT_CONFIG_INVALID: --max-concurrent-starts must be a whole number of at least 1/);
    assert.equal(existsSync(stateDir), false);
  }
});

test('--netns-pool takes a whole number from 0 to 64, refused with exit 2 before anything is stored', async () => {
  for (const value of ['-1', '65', '1.5', 'many']) {
    const stateDir = path.join(work, `pool-${value}`);
    const r = await run([`--netns-pool=${value}`, '--state-dir', stateDir, '--node-name', 'n1']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^TRC_AGENT_CONFIG_INVALID: --netns-pool must be a whole number from 0 to 64/);
    assert.equal(existsSync(stateDir), false);
  }
});

test('without a control plane URL, or with a join token the control plane refuses, the agent exits 2 with its code and stores nothing', async () => {
  const stateDir = path.join(work, 'state');
  const none = await run(['--state-dir', stateDir, '--node-name', 'n1']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^TRC_AGENT_CONFIG_INVALID: no control plane URL/);
  const control = await startControl(path.join(work, 'control'));
  try {
    const refused = await run(['--control', control.base, '--join-token', 'trc_join_not-a-real-token', '--state-dir', stateDir, '--node-name', 'n1']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^TRC_AGENT_UNAUTHORIZED: /);
    assert.doesNotMatch(refused.stderr, /not-a-real-token/);
    assert.equal(existsSync(path.join(stateDir, 'node.json')), false);
  } finally {
    await control.stop();
  }
});
