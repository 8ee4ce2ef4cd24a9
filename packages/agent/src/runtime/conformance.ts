// The one conformance suite every RuntimeDriver passes (runc now, the QEMU microVM driver later): each
// driver's test file calls runRuntimeConformance with a factory. Instances run a busybox rootfs.
import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isTrcError } from '@trc/core';
import { makeBusyboxRootfs } from '../test-support/rootfs.ts';
import { isFreezer, type ExitInfo, type InstanceSpec, type RuntimeDriver } from './runtime.ts';

export interface ConformanceDriverOptions {
  /** Log rotation limits the driver must use (small, so the suite can see rotation). */
  readonly logs: { readonly maxBytes: number; readonly keep: number };
}

/** Makes a driver over `stateDir`; called again with the same directory to play an agent restart. */
export type MakeDriver = (stateDir: string, options: ConformanceDriverOptions) => Promise<RuntimeDriver>;

export interface ConformanceOptions {
  /** Test name -> why this driver skips it. */
  readonly skip?: Readonly<Record<string, string>>;
}

const MI = 1024 * 1024;
const LOGS = { maxBytes: 4096, keep: 1 };
/** Bound on every wait in the suite, so a broken driver fails instead of hanging. */
const BOUND_MS = 30_000;

let counter = 0;

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (error) {
    assert.ok(isTrcError(error), `expected a TrcError ${code}, got ${String(error)}`);
    assert.equal(error.code, code);
    return;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${BOUND_MS}ms`)), BOUND_MS);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

async function waitForPidGone(pid: number): Promise<void> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive after ${BOUND_MS}ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function runRuntimeConformance(name: string, makeDriver: MakeDriver, options: ConformanceOptions = {}): void {
  describe(`RuntimeDriver conformance: ${name}`, () => {
    let work: string;
    let rootfs: string;
    let stateDir: string;
    const drivers: RuntimeDriver[] = [];

    const it = (title: string, fn: () => Promise<void>): void => {
      const reason = options.skip?.[title];
      if (reason !== undefined) test(title, { skip: reason }, () => {});
      else test(title, { timeout: 2 * BOUND_MS }, fn);
    };
    const driver = async (): Promise<RuntimeDriver> => {
      const d = await makeDriver(stateDir, { logs: LOGS });
      drivers.push(d);
      return d;
    };
    const spec = (overrides: Partial<InstanceSpec> & { command: readonly string[] }): InstanceSpec => ({
      id: `conf-${process.pid}-${++counter}`,
      rootfs,
      image: { env: ['PATH=/bin'] },
      resources: { cpu: 0.5, memory: 64 * MI },
      ...overrides,
    });
    const run = async (d: RuntimeDriver, s: InstanceSpec): Promise<void> => {
      await d.create(s);
      await d.start(s.id);
    };

    before(async () => {
      work = await mkdtemp(path.join(tmpdir(), 'trc-conformance-'));
      rootfs = await makeBusyboxRootfs(work);
    });
    beforeEach(() => {
      // A state directory per test, so adopt() in one test never sees another test's instances.
      stateDir = path.join(work, `state-${++counter}`);
    });
    afterEach(async () => {
      // Every instance a test made is removed, even when the test failed.
      const d = drivers[drivers.length - 1] ?? (await driver());
      for (const info of await d.list()) await d.remove(info.id, { force: true }).catch(() => {});
      for (const x of drivers.splice(0)) await x.close();
    });
    after(async () => {
      await rm(work, { recursive: true, force: true });
    });

    it('runs entrypoint + cmd with the merged env, working directory and named user, and reports the exit code', async () => {
      const d = await driver();
      const s = spec({
        image: { entrypoint: ['/bin/sh', '-c'], cmd: ['exit 1'], env: ['PATH=/bin', 'A=image', 'B=image'], user: 'app', workingDir: '/work' },
        command: ['echo "$A $B"; pwd; id -u; id -g; id -G; echo oops >&2; exit 3'],
        env: { B: 'instance' },
      });
      await run(d, s);
      const exit = await bounded(d.wait(s.id), 'wait');
      assert.deepEqual({ reason: exit.reason, exitCode: exit.exitCode, message: exit.message }, { reason: 'exited', exitCode: 3, message: 'exited with code 3' });
      assert.equal(await d.tail(s.id, { stream: 'stdout' }), 'image instance\n/work\n1000\n1000\n1000 2000\n');
      assert.equal(await d.tail(s.id, { stream: 'stderr' }), 'oops\n');
    });

    it('inspect reports created, then running with a pid, then stopped with the exit', async () => {
      const d = await driver();
      const s = spec({ command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done'] });
      assert.equal((await d.create(s)).state, 'created');
      assert.equal((await d.inspect(s.id)).state, 'created');
      await d.start(s.id);
      await expectCode(d.start(s.id), 'TRC_RUNTIME_INVALID_STATE');
      const running = await d.inspect(s.id);
      assert.equal(running.state, 'running');
      assert.ok(typeof running.pid === 'number' && running.pid > 0);
      await bounded(d.stop(s.id, { graceMs: BOUND_MS }), 'stop');
      const stopped = await d.inspect(s.id);
      assert.equal(stopped.state, 'stopped');
      assert.equal(stopped.exit?.reason, 'stopped');
      assert.deepEqual((await d.list()).map((i) => i.id), [s.id]);
    });

    it('stop: a process that handles SIGTERM ends within the grace period, without SIGKILL', async () => {
      const d = await driver();
      const s = spec({ command: ['sh', '-c', 'trap "echo got TERM; exit 0" TERM; while :; do sleep 0.05; done'] });
      await run(d, s);
      const exit = await bounded(d.stop(s.id, { graceMs: BOUND_MS }), 'stop');
      assert.deepEqual({ reason: exit.reason, exitCode: exit.exitCode, signal: exit.signal, message: exit.message }, { reason: 'stopped', exitCode: 0, signal: undefined, message: 'stopped: ended after SIGTERM' });
      assert.equal(await d.tail(s.id, { stream: 'stdout' }), 'got TERM\n');
    });

    it('stop: a process that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
      const d = await driver();
      const s = spec({ command: ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'] });
      await run(d, s);
      const exit = await bounded(d.stop(s.id, { graceMs: 300 }), 'stop');
      assert.deepEqual({ reason: exit.reason, exitCode: exit.exitCode, signal: exit.signal }, { reason: 'stopped', exitCode: 137, signal: 'SIGKILL' });
      assert.equal(exit.message, 'stopped: killed with SIGKILL after the 300ms grace period');
    });

    it('an instance that allocates past its memory cap is killed and reported as memory limit exceeded', async () => {
      const d = await driver();
      // dd allocates its whole block and fills it from /dev/zero: 128Mi of anonymous memory against a 32Mi cap.
      const s = spec({ command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1'], resources: { cpu: 0.25, memory: 32 * MI } });
      await run(d, s);
      const exit: ExitInfo = await bounded(d.wait(s.id), 'wait');
      assert.deepEqual(
        { reason: exit.reason, memoryLimitBytes: exit.memoryLimitBytes, message: exit.message, signal: exit.signal },
        { reason: 'memory limit exceeded', memoryLimitBytes: 32 * MI, message: 'memory limit exceeded (cap 32Mi)', signal: 'SIGKILL' },
      );
    });

    it('the same allocation under a larger cap runs to completion', async () => {
      const d = await driver();
      const s = spec({ command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=16M', 'count=1'], resources: { cpu: 0.25, memory: 64 * MI } });
      await run(d, s);
      const exit = await bounded(d.wait(s.id), 'wait');
      assert.equal(exit.reason, 'exited');
      assert.equal(exit.exitCode, 0);
    });

    it('a new driver over the same state re-adopts running instances without restarting them, and reports those that ended meanwhile', async () => {
      const first = await driver();
      const keeps = spec({ command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done'] });
      const exits = spec({ command: ['sh', '-c', 'sleep 1; exit 7'] });
      const ooms = spec({ command: ['sh', '-c', 'sleep 1; exec dd if=/dev/zero of=/dev/null bs=128M count=1'], resources: { cpu: 0.25, memory: 32 * MI } });
      const idle = spec({ command: ['true'] });
      await run(first, keeps);
      await run(first, exits);
      await run(first, ooms);
      await first.create(idle);
      const pids = new Map<string, number>();
      for (const s of [keeps, exits, ooms]) pids.set(s.id, (await first.inspect(s.id)).pid ?? 0);
      await first.close(); // the agent goes away
      await waitForPidGone(pids.get(exits.id)!);
      await waitForPidGone(pids.get(ooms.id)!);

      const second = await driver();
      const report = await second.adopt();
      assert.deepEqual(report.running.map((i) => [i.id, i.state, i.pid]), [[keeps.id, 'running', pids.get(keeps.id)]]);
      assert.deepEqual(report.created.map((i) => i.id), [idle.id]);
      const exited = new Map(report.exited.map((i) => [i.id, i.exit]));
      assert.deepEqual([...exited.keys()].sort(), [exits.id, ooms.id].sort());
      assert.deepEqual({ reason: exited.get(exits.id)?.reason, exitCode: exited.get(exits.id)?.exitCode }, { reason: 'exited', exitCode: 7 });
      assert.equal(exited.get(ooms.id)?.reason, 'memory limit exceeded');
      assert.deepEqual(report.unknown, []);
      assert.equal((await second.list()).length, 4, 'nothing duplicated');
      // The adopted instance is fully under the new driver's control.
      const exit = await bounded(second.stop(keeps.id, { graceMs: BOUND_MS }), 'stop');
      assert.equal(exit.reason, 'stopped');
    });

    it('logs: stdout and stderr are kept apart, rotated at the size limit, and readable as a tail', async () => {
      const d = await driver();
      // Ten bursts with pauses between them, so the driver sees the log grow while the instance runs.
      const s = spec({ command: ['sh', '-c', 'i=0; while [ $i -lt 1000 ]; do echo "line $i"; i=$((i+1)); if [ $((i % 100)) = 0 ]; then sleep 0.03; fi; done; echo to-stderr >&2; echo last'] });
      await run(d, s);
      await bounded(d.wait(s.id), 'wait');
      const all = await d.tail(s.id, { stream: 'stdout', maxBytes: 1 << 20 });
      assert.ok(all.endsWith('line 998\nline 999\nlast\n'), all.slice(-40));
      assert.ok(Buffer.byteLength(all) <= LOGS.maxBytes * (LOGS.keep + 1), `kept ${Buffer.byteLength(all)} bytes, more than the limit allows`);
      assert.ok(!all.includes('line 0\n'), 'the oldest lines were rotated away');
      assert.equal(await d.tail(s.id, { stream: 'stdout', maxBytes: 14 }), 'line 999\nlast\n');
      assert.equal(await d.tail(s.id, { stream: 'stderr' }), 'to-stderr\n');
    });

    it('ids are checked: a duplicate, an invalid id and an unknown id are refused with their codes', async () => {
      // (and a stopped instance cannot be started again)
      const d = await driver();
      const s = spec({ command: ['true'] });
      await d.create(s);
      await expectCode(d.create(s), 'TRC_RUNTIME_INSTANCE_EXISTS');
      await expectCode(d.create({ ...s, id: '../escape' }), 'TRC_RUNTIME_INSTANCE_ID_INVALID');
      await expectCode(d.inspect('conf-no-such-instance'), 'TRC_RUNTIME_INSTANCE_NOT_FOUND');
      await expectCode(d.start('conf-no-such-instance'), 'TRC_RUNTIME_INSTANCE_NOT_FOUND');
      await expectCode(d.create(spec({ command: ['true'], image: { user: 'nobody-here' } })), 'TRC_RUNTIME_USER_UNKNOWN');
      await expectCode(d.create(spec({ command: [] })), 'TRC_RUNTIME_NO_COMMAND');
      await d.stop(s.id, { graceMs: 0 });
      await expectCode(d.start(s.id), 'TRC_RUNTIME_INVALID_STATE');
    });

    it('remove refuses a running instance unless forced; forced, it stops and removes it', async () => {
      const d = await driver();
      const s = spec({ command: ['sleep', '60'] });
      await run(d, s);
      await expectCode(d.remove(s.id), 'TRC_RUNTIME_INVALID_STATE');
      await bounded(d.remove(s.id, { force: true }), 'remove');
      await expectCode(d.inspect(s.id), 'TRC_RUNTIME_INSTANCE_NOT_FOUND');
      assert.deepEqual(await d.list(), []);
    });

    it('freeze and thaw (optional Freezer capability)', async () => {
      const d = await driver();
      if (!isFreezer(d)) return;
      const s = spec({ command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done'] });
      await run(d, s);
      await d.freeze(s.id);
      assert.equal((await d.inspect(s.id)).state, 'paused');
      await expectCode(d.freeze(s.id), 'TRC_RUNTIME_INVALID_STATE');
      await d.thaw(s.id);
      assert.equal((await d.inspect(s.id)).state, 'running');
    });
  });
}
