// The runc driver against the real runc and this host's cgroups: the shared conformance suite, plus what is
// specific to runc (bundle files, cgroup values, log files on disk, cleanup).
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cpuShares, cpuWeight, isTrcError } from '@trc/core';
import { runRuntimeConformance } from '../conformance.ts';
import { allDirs, controllerDir, detectCgroupLayout, type CgroupLayout } from '../../cgroups/layout.ts';
import { removeCgroup } from '../../cgroups/limits.ts';
import { makeBusyboxRootfs } from '../../test-support/rootfs.ts';
import type { InstanceSpec } from '../runtime.ts';
import { RuncCli } from './runc-cli.ts';
import { createRuncDriver, type RuncDriver } from './runc-driver.ts';

/** Unique per test process and removed at the end, so no cgroup outlives the run. */
const CGROUP_PARENT = `/trc-test-${process.pid}`;
const MI = 1024 * 1024;

runRuntimeConformance('runc', (stateDir, options) => createRuncDriver({ stateDir, cgroupParent: CGROUP_PARENT, logs: options.logs, pollMs: 50 }));

describe('runc driver specifics', () => {
  let work: string;
  let rootfs: string;
  let layout: CgroupLayout;
  let driver: RuncDriver;
  let n = 0;
  let stateDir = '';
  const logs = { maxBytes: 2048, keep: 1 };

  const spec = (command: string[], extra: Partial<InstanceSpec> = {}): InstanceSpec => ({
    id: `runc-${process.pid}-${++n}`, rootfs, image: { env: ['PATH=/bin'] }, command, resources: { cpu: 0.5, memory: 48 * MI }, ...extra,
  });

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'trc-runc-'));
    rootfs = await makeBusyboxRootfs(work);
    layout = await detectCgroupLayout('/');
  });
  afterEach(async () => {
    for (const info of await driver.list()) await driver.remove(info.id, { force: true }).catch(() => {});
    await driver.close();
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });
  const newDriver = async (): Promise<RuncDriver> => {
    stateDir = path.join(work, `state-${++n}`);
    driver = await createRuncDriver({ stateDir, cgroupParent: CGROUP_PARENT, logs, pollMs: 20 });
    return driver;
  };

  test('the instance cgroup gets a cpu weight from the vCPU request, the memory cap, no swap and no cpu quota', async () => {
    const d = await newDriver();
    const s = spec(['sleep', '60'], { resources: { cpu: 0.5, memory: 48 * MI } });
    await d.create(s);
    await d.start(s.id);
    const cgroup = `${CGROUP_PARENT}/${s.id}`;
    const read = (controller: string, file: string): string => readFileSync(path.join(controllerDir(layout, controller, cgroup)!, file), 'utf8').trim();
    if (layout.mode === 'v1') {
      assert.equal(read('cpu', 'cpu.shares'), String(cpuShares(0.5)));
      assert.equal(read('cpu', 'cpu.cfs_quota_us'), '-1');
      assert.equal(read('memory', 'memory.limit_in_bytes'), String(48 * MI));
      if (existsSync(path.join(controllerDir(layout, 'memory', cgroup)!, 'memory.memsw.limit_in_bytes'))) assert.equal(read('memory', 'memory.memsw.limit_in_bytes'), String(48 * MI));
      assert.equal(read('memory', 'memory.swappiness'), '0');
    } else {
      assert.equal(read('cpu', 'cpu.weight'), String(cpuWeight(0.5)));
      assert.equal(read('cpu', 'cpu.max').split(' ')[0], 'max');
      assert.equal(read('memory', 'memory.max'), String(48 * MI));
      assert.equal(read('memory', 'memory.swap.max'), '0');
    }
  });

  test('config.json is only readable by root; removal leaves no runc container, cgroup or files', async () => {
    const d = await newDriver();
    const s = spec(['sleep', '60'], { env: { SECRET_TOKEN: 'hunter2-value' } });
    await d.create(s);
    const instanceDir = path.join(stateDir, 'instances', s.id);
    assert.equal(statSync(path.join(instanceDir, 'config.json')).mode & 0o777, 0o600);
    assert.equal(statSync(instanceDir).mode & 0o777, 0o700);
    assert.ok(!readFileSync(path.join(instanceDir, 'instance.json'), 'utf8').includes('hunter2'));
    await d.start(s.id);
    const memoryDir = controllerDir(layout, 'memory', `${CGROUP_PARENT}/${s.id}`)!;
    assert.ok(existsSync(memoryDir));
    await d.remove(s.id, { force: true });
    assert.ok(!existsSync(memoryDir), 'the cgroup is gone');
    assert.ok(!existsSync(instanceDir), 'the instance directory is gone');
    const runc = new RuncCli({ binary: 'runc', root: path.join(stateDir, 'runc'), timeoutMs: 10_000 });
    assert.deepEqual(await runc.list(), []);
  });

  test('log files on disk: each rotated copy holds at most maxBytes and only keep copies exist', async () => {
    const d = await newDriver();
    const s = spec(['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); if [ $((i % 200)) = 0 ]; then sleep 0.05; fi; done']);
    await d.create(s);
    await d.start(s.id);
    await d.wait(s.id);
    await d.tail(s.id, { stream: 'stdout', maxBytes: 1 });
    const log = path.join(stateDir, 'instances', s.id, 'stdout.log');
    assert.ok(statSync(log).size <= logs.maxBytes);
    assert.ok(existsSync(`${log}.1`) && statSync(`${log}.1`).size <= logs.maxBytes);
    assert.ok(!existsSync(`${log}.2`));
  });

  test('a command that cannot be executed fails start with runc\'s reason and leaves the instance stopped', async () => {
    const d = await newDriver();
    const s = spec(['/bin/no-such-program']);
    await d.create(s);
    // runc may report the failed exec before or just after the instance counts as running: start() throws in
    // the first case, and in both the exit says why.
    await d.start(s.id).catch((error: unknown) => {
      assert.ok(isTrcError(error), String(error));
      assert.equal(error.code, 'TRC_RUNTIME_FAILED');
      assert.match(error.message, /no-such-program/);
    });
    const exit = await d.wait(s.id);
    assert.equal(exit.reason, 'start failed');
    assert.match(exit.message, /^failed to start: .*no-such-program/);
  });

  test('the instance joins the network namespace it is given (an interface made there is visible inside)', async () => {
    const d = await newDriver();
    const netns = `trc-t${process.pid}-${n}`;
    execFileSync('ip', ['netns', 'add', netns]);
    try {
      // A veth pair with one end inside the namespace; deleting the namespace deletes both ends.
      execFileSync('ip', ['link', 'add', `th${process.pid}x${n}`.slice(0, 15), 'type', 'veth', 'peer', 'name', 'trcdummy0', 'netns', netns]);
      const s = spec(['cat', '/proc/net/dev'], { networkNamespace: `/run/netns/${netns}` });
      await d.create(s);
      await d.start(s.id);
      assert.equal((await d.wait(s.id)).exitCode, 0);
      assert.match(await d.tail(s.id, { stream: 'stdout' }), /trcdummy0:/);
      const fresh = spec(['cat', '/proc/net/dev']);
      await d.create(fresh);
      await d.start(fresh.id);
      await d.wait(fresh.id);
      assert.doesNotMatch(await d.tail(fresh.id, { stream: 'stdout' }), /trcdummy0/, 'without a path the instance gets a fresh namespace');
    } finally {
      execFileSync('ip', ['netns', 'del', netns]);
    }
  });

  test('bind mounts are visible inside; a read-only one refuses writes, a read-write one takes them; a read-only rootfs refuses writes', async () => {
    const d = await newDriver();
    const ro = path.join(work, `ro-${n}`);
    const rw = path.join(work, `rw-${n}`);
    await mkdir(ro);
    await mkdir(rw);
    await writeFile(path.join(ro, 'config.txt'), 'from host\n');
    const s = spec(['sh', '-c', 'cat /config/config.txt; echo x > /config/new 2>/dev/null && echo ro-writable; echo y > /data/out && echo rw-ok; echo z > /root/file 2>/dev/null && echo root-writable; true'], {
      mounts: [{ source: ro, destination: '/config', readOnly: true }, { source: rw, destination: '/data', readOnly: false }],
      readOnlyRootfs: true,
    });
    await d.create(s);
    await d.start(s.id);
    assert.equal((await d.wait(s.id)).exitCode, 0);
    assert.equal(await d.tail(s.id, { stream: 'stdout' }), 'from host\nrw-ok\n');
    assert.equal(readFileSync(path.join(rw, 'out'), 'utf8'), 'y\n');
    assert.ok(!existsSync(path.join(ro, 'new')));
  });

  test('an instance whose shim was killed is reported stopped with an unknown exit status once it ends', async () => {
    const d = await newDriver();
    const s = spec(['sh', '-c', 'sleep 0.3; exit 5']);
    await d.create(s);
    const { pid } = await d.start(s.id);
    // "<pid> <start time>": the supervisor that waits for runc.
    const shimPid = Number(readFileSync(path.join(stateDir, 'instances', s.id, 'shim.pid'), 'utf8').split(' ')[0]);
    process.kill(shimPid, 'SIGKILL');
    await waitUntilGone(pid!);
    const exit = await d.wait(s.id);
    assert.deepEqual({ reason: exit.reason, exitCode: exit.exitCode }, { reason: 'unknown', exitCode: undefined });
  });

  test('onExit is called once for an instance that ends on its own, without anyone waiting for it', async () => {
    const exits: [string, string][] = [];
    stateDir = path.join(work, `state-${++n}`);
    driver = await createRuncDriver({ stateDir, cgroupParent: CGROUP_PARENT, logs, pollMs: 20, onExit: (id, exit) => exits.push([id, exit.message]) });
    const s = spec(['sh', '-c', 'exit 4']);
    await driver.create(s);
    await driver.start(s.id);
    for (let i = 0; i < 500 && exits.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(exits, [[s.id, 'exited with code 4']]);
    assert.equal((await driver.wait(s.id)).exitCode, 4);
    assert.equal(exits.length, 1);
  });

  test('adopt() lists containers in runc\'s state that the driver has no record of, and leaves them alone', async () => {
    const d = await newDriver();
    const s = spec(['sleep', '60']);
    await d.create(s);
    await d.start(s.id);
    await rm(path.join(stateDir, 'instances', s.id, 'instance.json'));
    const runc = new RuncCli({ binary: 'runc', root: path.join(stateDir, 'runc'), timeoutMs: 10_000 });
    try {
      const again = await createRuncDriver({ stateDir, cgroupParent: CGROUP_PARENT, logs, pollMs: 20 });
      const report = await again.adopt();
      await again.close();
      assert.deepEqual(report.unknown, [s.id]);
      assert.equal((await runc.state(s.id))?.status, 'running');
    } finally {
      // The driver no longer knows it, so the test cleans it up itself.
      await runc.delete(s.id, true);
      await rm(path.join(stateDir, 'instances', s.id), { recursive: true });
    }
  });
});

async function waitUntilGone(pid: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`pid ${pid} did not end`);
}

/**
 * Last line of defence: whatever a failed test left in this run's cgroup tree (processes included, they are
 * all ours) is killed and removed, deepest first.
 */
async function removeTestCgroups(layout: CgroupLayout, cgroupPath: string): Promise<void> {
  for (const dir of allDirs(layout, cgroupPath)) {
    if (!existsSync(dir)) continue;
    for (const child of readdirSync(dir, { withFileTypes: true })) {
      if (child.isDirectory()) await removeTestCgroups(layout, `${cgroupPath}/${child.name}`);
    }
    const procs = existsSync(path.join(dir, 'cgroup.procs')) ? readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter((p) => p !== '') : [];
    for (const pid of procs) process.kill(Number(pid), 'SIGKILL');
    for (let i = 0; i < 100 && procs.length > 0 && readFileSync(path.join(dir, 'cgroup.procs'), 'utf8') !== ''; i++) await new Promise((r) => setTimeout(r, 20));
  }
  await removeCgroup(layout, cgroupPath);
}

after(async () => {
  await removeTestCgroups(await detectCgroupLayout('/'), CGROUP_PARENT);
});
