// `make run` end to end (root): scripts/run.ts with a temp data dir, its own ports and host names; the
// example answers through the edge; SIGINT stops every program and leaves no instance, namespace, veth,
// nft table or tmpfs; a second run reuses the state, and a second SIGINT forces. Without root it refuses
// before starting anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findLeftovers, hostIsClean, missingTools } from './host.ts';
import { hostNames } from './options.ts';

const RUN = new URL('../run.ts', import.meta.url).pathname;
const NODE = process.execPath;
const isRoot = process.getuid?.() === 0;
const missing = isRoot ? missingTools() : [];
const skip = !isRoot ? 'needs root' : missing.length > 0 ? `needs ${missing.join(', ')} (scripts/system-deps.sh)` : false;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Run {
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  signal(name: NodeJS.Signals): void;
}

function start(args: readonly string[]): Run {
  const child = spawn(NODE, [RUN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { output: () => out, exited, signal: (s) => child.kill(s) };
}

async function waitFor(run: Run, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = performance.now() + timeoutMs;
  for (let i = 0; i < 10_000 && performance.now() < deadline; i++) {
    const m = pattern.exec(run.output());
    if (m !== null) return m;
    const done = await Promise.race([run.exited.then(() => true), sleep(200).then(() => false)]);
    if (done) break;
  }
  const m = pattern.exec(run.output());
  if (m !== null) return m;
  throw new Error(`no ${pattern} in scripts/run.ts output:\n${run.output().slice(-4000)}`);
}

async function stopAndCheck(run: Run, timeoutMs: number): Promise<number[]> {
  run.signal('SIGINT');
  const code = await Promise.race([run.exited, sleep(timeoutMs, undefined, { ref: false }).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    run.signal('SIGKILL');
    assert.fail(`scripts/run.ts did not stop within ${timeoutMs} ms:\n${run.output().slice(-3000)}`);
  }
  assert.equal(code, 0, run.output().slice(-3000));
  return [...run.output().matchAll(/started \S+ \(pid (\d+),/g)].map((m) => Number(m[1]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('make run starts the platform, the example answers with its secret through the edge, and SIGINT stops everything and leaves the host clean; a second run reuses the state, and a second SIGINT forces a clean stop', { skip, timeout: 240_000 }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'trc-run-test-'));
  const name = `r${(process.pid % 36 ** 4).toString(36)}`;
  const names = hostNames(name);
  const [control, agentAdmin, edgeAdmin, registry, route] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const args = (greeting: string): string[] => [
    '--data-dir', dataDir, '--name', name, '--subnet', `198.19.${process.pid % 250}.0/24`, '--greeting', greeting,
    '--control-port', String(control), '--agent-admin-port', String(agentAdmin), '--edge-admin-port', String(edgeAdmin),
    '--registry-port', String(registry), '--route-port', String(route),
  ];
  let run: Run | undefined;
  try {
    run = start(args('first-run'));
    const url = (await waitFor(run, /reachable at (http:\/\/127\.0\.0\.1:\d+\/)/, 150_000))[1]!;
    assert.equal(url, `http://127.0.0.1:${route}/`);
    const answer = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
    assert.match(answer, new RegExp(`^hello from web at 198\\.19\\.\\d+\\.\\d+, GREETING=first-run, you are \\S+\\n$`));
    assert.match(run.output(), /bin\/platform events --follow/);
    // The tokens stay in the data dir (0600), never in the output.
    for (const file of ['operator.token', 'org.token']) assert.doesNotMatch(run.output(), new RegExp(readFileSync(path.join(dataDir, file), 'utf8').trim()));
    const agentDir = path.join(dataDir, 'agent');
    assert.equal(hostIsClean(findLeftovers(names, agentDir)), false, 'an instance runs while make run does');

    const pids = await stopAndCheck(run, 60_000);
    assert.equal(pids.length, 4, run.output());
    assert.deepEqual(pids.filter(alive), []);
    assert.deepEqual(findLeftovers(names, agentDir), { containers: [], namespaces: [], interfaces: [], table: false, mounts: [] });
    assert.equal(existsSync(names.runDir), false, 'the secrets tmpfs is unmounted and its directory removed');

    // Same data dir: the stored operator token and org are reused; the secret keeps its first value.
    run = start(args('ignored-now'));
    await waitFor(run, /reachable at /, 150_000);
    assert.match(await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text(), /GREETING=first-run,/);
    // A second SIGINT during the graceful stop forces: every program killed, the instance removed by name.
    run.signal('SIGINT');
    await waitFor(run, /stopping the hello instances/, 10_000);
    run.signal('SIGINT');
    assert.equal(await Promise.race([run.exited, sleep(30_000, undefined, { ref: false }).then(() => 'timeout')]), 130, run.output().slice(-3000));
    const again = [...run.output().matchAll(/started \S+ \(pid (\d+),/g)].map((m) => Number(m[1]));
    assert.equal(again.length, 4);
    assert.deepEqual(again.filter(alive), []);
    assert.deepEqual(findLeftovers(names, agentDir), { containers: [], namespaces: [], interfaces: [], table: false, mounts: [] });
    assert.equal(existsSync(names.runDir), false);
  } finally {
    if (run !== undefined && (await Promise.race([run.exited.then(() => true), sleep(0).then(() => false)])) === false) {
      run.signal('SIGINT');
      run.signal('SIGINT');
      await Promise.race([run.exited, sleep(20_000, undefined, { ref: false })]);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('without root, make run names what needs root and exits non-zero without starting anything', { skip: isRoot && spawnSync('setpriv', ['--version']).status === 0 ? false : 'needs root to drop to nobody with setpriv' }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'trc-run-nonroot-'));
  try {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', NODE, RUN, '--data-dir', path.join(dataDir, 'state')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^TRC_RUN_NEEDS_ROOT: make run needs root: .*runc.*network namespace.*nftables.*Nothing was started\.\nHint: /s);
    assert.equal(existsSync(path.join(dataDir, 'state')), false);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
