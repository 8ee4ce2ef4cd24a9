// Gated starts on the real runc (root): the container's first process waits at the createRuntime hook until
// the gate is released; a failed release, or a driver that comes back to a gate nobody released, ends the
// start with nothing left (no runc container, no cgroup).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { controllerDir, detectCgroupLayout, type CgroupLayout } from '../../cgroups/layout.ts';
import { removeCgroup } from '../../cgroups/limits.ts';
import { makeBusyboxRootfs } from '../../test-support/rootfs.ts';
import { waitAtGate } from '../../test-support/runc-gate.ts';
import type { InstanceSpec } from '../runtime.ts';
import { isStartGate } from '../runtime.ts';
import { createRuncDriver, type RuncDriver } from './runc-driver.ts';

const isRoot = process.getuid?.() === 0;
const hasRunc = spawnSync('runc', ['--version']).status === 0;
const skip = !isRoot ? 'needs root' : !hasRunc ? 'needs runc (scripts/system-deps.sh installs it)' : false;
const CGROUP_PARENT = `/trc-test-gate-${process.pid}`;
const MI = 1024 * 1024;

let work = '';
let rootfs = '';
let shared = '';
let layout: CgroupLayout;
const drivers: RuncDriver[] = [];
let n = 0;

before(async () => {
  if (skip !== false) return;
  work = await mkdtemp(path.join(tmpdir(), 'trc-gate-'));
  rootfs = await makeBusyboxRootfs(work);
  shared = path.join(work, 'shared');
  await mkdir(shared);
  layout = await detectCgroupLayout('/');
});

after(async () => {
  if (skip !== false) return;
  for (const d of drivers) {
    for (const info of await d.list()) await d.remove(info.id, { force: true }).catch(() => undefined);
    await d.close();
  }
  await removeCgroup(layout, CGROUP_PARENT).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

const newDriver = async (stateDir: string): Promise<RuncDriver> => {
  const d = await createRuncDriver({ stateDir, cgroupParent: CGROUP_PARENT, pollMs: 20, gateTimeoutS: 20 });
  drivers.push(d);
  return d;
};

const spec = (script: string): InstanceSpec => ({
  id: `gate-${process.pid}-${++n}`, rootfs, image: { env: ['PATH=/bin'] }, command: ['sh', '-c', script],
  resources: { cpu: 0.25, memory: 32 * MI }, mounts: [{ source: shared, destination: '/shared', readOnly: false }], gated: true,
});

const cgroupGone = (id: string): boolean => {
  const dir = controllerDir(layout, 'memory', `${CGROUP_PARENT}/${id}`);
  assert.ok(dir !== undefined, 'no memory cgroup controller');
  return !existsSync(dir);
};
const runcKnows = (stateDir: string, id: string): boolean => execFileSync('runc', ['--root', path.join(stateDir, 'runc'), 'list', '-q'], { encoding: 'utf8' }).split('\n').includes(id);

test('a gated instance does not run before its release: what is done before releaseGate is there when the process starts', { skip }, async () => {
  const d = await newDriver(path.join(work, 'held'));
  assert.ok(isStartGate(d));
  const s = spec('if [ -e /shared/ready-$HOSTNAME ]; then echo after > /shared/seen-$HOSTNAME; else echo before > /shared/seen-$HOSTNAME; fi');
  await d.create({ ...s, hostname: s.id });
  const started = d.start(s.id);
  let settled = false;
  void started.then(() => (settled = true), () => (settled = true));
  await waitAtGate(s.id);
  assert.equal(settled, false, 'start() returned while the process was held');
  assert.equal(existsSync(path.join(shared, `seen-${s.id}`)), false);
  await writeFile(path.join(shared, `ready-${s.id}`), '');
  await d.releaseGate(s.id, true);
  await started;
  const exit = await d.wait(s.id);
  assert.equal(exit.exitCode, 0);
  assert.equal(readFileSync(path.join(shared, `seen-${s.id}`), 'utf8'), 'after\n');
});

test('a gate released with failure aborts the start: start() fails, the process never ran, no container or cgroup is left', { skip }, async () => {
  const stateDir = path.join(work, 'failed');
  const d = await newDriver(stateDir);
  const s = spec('echo ran > /shared/ran-$HOSTNAME');
  await d.create({ ...s, hostname: s.id });
  const started = d.start(s.id);
  started.catch(() => undefined);
  await waitAtGate(s.id);
  await d.releaseGate(s.id, false);
  await assert.rejects(started, (error: Error & { code?: string }) => error.code === 'TRC_RUNTIME_FAILED' && /cancelled before the process ran/.test(error.message));
  const info = await d.inspect(s.id);
  assert.equal(info.state, 'stopped');
  assert.equal(info.exit?.reason, 'start failed');
  assert.equal(existsSync(path.join(shared, `ran-${s.id}`)), false);
  assert.equal(runcKnows(stateDir, s.id), false);
  assert.ok(cgroupGone(s.id));
  await d.remove(s.id);
});

test('an agent restart between start and release: the new driver finds the instance created, and removing it fails the gate cleanly', { skip }, async () => {
  const stateDir = path.join(work, 'restart');
  const first = await newDriver(stateDir);
  const s = spec('echo ran > /shared/ran-$HOSTNAME');
  await first.create({ ...s, hostname: s.id });
  const started = first.start(s.id);
  started.catch(() => undefined);
  await waitAtGate(s.id);
  await first.close();
  const second = await newDriver(stateDir);
  const report = await second.adopt();
  assert.deepEqual(report.created.map((i) => i.id), [s.id]);
  await second.remove(s.id, { force: true });
  assert.equal(existsSync(path.join(shared, `ran-${s.id}`)), false);
  assert.equal(runcKnows(stateDir, s.id), false);
  assert.ok(cgroupGone(s.id));
  assert.equal(existsSync(path.join(stateDir, 'instances', s.id)), false);
});
