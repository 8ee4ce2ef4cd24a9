// Cgroup limits written into fake v1 and v2 trees under a temp root, the OCI resources runc gets, and the
// OOM counters read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { cpuShares, cpuWeight } from '@trc/core';
import { parseMountinfo, type CgroupLayout } from './layout.ts';
import { applyCgroupLimits, cgroupFiles, detectFeatures, ociResources, readMemoryEvents, removeCgroup } from './limits.ts';

const MI = 1024 * 1024;
const V1_MOUNTINFO = `32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
`;
const V2_MOUNTINFO = '30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n';

/** A temp dir with mountinfo and the controller roots; `memsw` adds v1 swap accounting's file. */
async function fakeHost(mountinfo: string, memsw = true): Promise<{ root: string; layout: CgroupLayout }> {
  const root = await mkdtemp(path.join(tmpdir(), 'trc-cgfake-'));
  const layout = parseMountinfo(mountinfo, root);
  for (const mount of [...Object.values(layout.v1), ...(layout.unified === undefined ? [] : [layout.unified])]) await mkdir(path.join(root, mount), { recursive: true });
  if (layout.mode === 'v1' && memsw) await writeFile(path.join(root, layout.v1['memory']!, 'memory.memsw.limit_in_bytes'), '9223372036854771712\n');
  return { root, layout };
}

const read = (file: string): Promise<string> => readFile(file, 'utf8');

test('v2: cpu.weight from the vCPU request, memory.max as the cap, memory.swap.max 0, and no cpu.max', async () => {
  const { root, layout } = await fakeHost(V2_MOUNTINFO);
  try {
    await applyCgroupLimits(layout, '/trc/i1', { cpu: 2, memory: 256 * MI });
    const dir = path.join(root, 'sys/fs/cgroup/trc/i1');
    assert.equal(await read(path.join(dir, 'cpu.weight')), String(cpuWeight(2)));
    assert.equal(await read(path.join(dir, 'memory.max')), String(256 * MI));
    assert.equal(await read(path.join(dir, 'memory.swap.max')), '0');
    assert.ok(!existsSync(path.join(dir, 'cpu.max')));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('v1: cpu.shares, memory.limit_in_bytes, memsw equal to the cap (no swap), swappiness 0, and no cfs quota', async () => {
  const { root, layout } = await fakeHost(V1_MOUNTINFO);
  try {
    await applyCgroupLimits(layout, '/trc/i1', { cpu: 0.25, memory: 64 * MI });
    const cpu = path.join(root, 'sys/fs/cgroup/cpu/trc/i1');
    const mem = path.join(root, 'sys/fs/cgroup/memory/trc/i1');
    assert.equal(await read(path.join(cpu, 'cpu.shares')), String(cpuShares(0.25)));
    assert.ok(!existsSync(path.join(cpu, 'cpu.cfs_quota_us')));
    assert.equal(await read(path.join(mem, 'memory.limit_in_bytes')), String(64 * MI));
    assert.equal(await read(path.join(mem, 'memory.memsw.limit_in_bytes')), String(64 * MI));
    assert.equal(await read(path.join(mem, 'memory.swappiness')), '0');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('v1 without swap accounting: no memsw file is written; swappiness 0 still keeps the instance off swap', async () => {
  const { root, layout } = await fakeHost(V1_MOUNTINFO, false);
  try {
    assert.deepEqual(detectFeatures(layout), { memsw: false });
    await applyCgroupLimits(layout, '/trc/i1', { cpu: 1, memory: 64 * MI });
    const mem = path.join(root, 'sys/fs/cgroup/memory/trc/i1');
    assert.ok(!existsSync(path.join(mem, 'memory.memsw.limit_in_bytes')));
    assert.equal(await read(path.join(mem, 'memory.swappiness')), '0');
    assert.deepEqual(ociResources('v1', { cpu: 1, memory: 64 * MI }, { memsw: false }).memory, { limit: 64 * MI, swappiness: 0 });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('v1: the memsw limit is written after the memory limit (the kernel refuses memsw below it)', () => {
  const files = cgroupFiles('v1', { cpu: 1, memory: 64 * MI }, { memsw: true }).map((f) => f.file);
  assert.ok(files.indexOf('memory.limit_in_bytes') < files.indexOf('memory.memsw.limit_in_bytes'));
});

test('OCI resources: v1 uses cpu.shares and memory limit/swap; v2 uses unified with core\'s weight', () => {
  assert.deepEqual(ociResources('v1', { cpu: 0.5, memory: 64 * MI }, { memsw: true }), { cpu: { shares: 512 }, memory: { limit: 64 * MI, swap: 64 * MI, swappiness: 0 } });
  assert.deepEqual(ociResources('v2', { cpu: 0.5, memory: 64 * MI }, { memsw: false }), { unified: { 'cpu.weight': '50', 'memory.max': String(64 * MI), 'memory.swap.max': '0' } });
});

test('property: no cpu quota of any kind unless a cpu limit is asked for, and the memory cap is always set', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 1 << 20 }), fc.constantFrom('v1' as const, 'v2' as const), fc.boolean(), (milli, mi, mode, memsw) => {
    const resources = { cpu: milli / 1000, memory: mi * MI };
    const files = cgroupFiles(mode, resources, { memsw });
    assert.ok(!files.some((f) => f.file === 'cpu.max' || f.file.startsWith('cpu.cfs_')));
    assert.ok(files.some((f) => (f.file === 'memory.max' || f.file === 'memory.limit_in_bytes') && f.value === String(mi * MI)));
    const oci = ociResources(mode, resources, { memsw });
    assert.equal(oci.cpu?.quota, undefined);
    assert.equal(oci.unified?.['cpu.max'], undefined);
  }));
});

test('an explicit cpu limit becomes a quota (cpu.max, cfs_quota_us)', () => {
  assert.deepEqual(ociResources('v1', { cpu: 1, memory: MI, cpuLimit: 0.5 }, { memsw: false }).cpu, { shares: 1024, quota: 50_000, period: 100_000 });
  assert.equal(ociResources('v2', { cpu: 1, memory: MI, cpuLimit: 0.5 }, { memsw: false }).unified?.['cpu.max'], '50000 100000');
});

test('OOM counters: v2 memory.events oom_kill, v1 memory.oom_control oom_kill and memory.failcnt; a gone cgroup reads as undefined', async () => {
  const v2 = await fakeHost(V2_MOUNTINFO);
  const v1 = await fakeHost(V1_MOUNTINFO);
  try {
    const d2 = path.join(v2.root, 'sys/fs/cgroup/trc/i1');
    await mkdir(d2, { recursive: true });
    await writeFile(path.join(d2, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n');
    assert.deepEqual(await readMemoryEvents(v2.layout, '/trc/i1'), { oomKills: 1, limitHits: 12 });
    const d1 = path.join(v1.root, 'sys/fs/cgroup/memory/trc/i1');
    await mkdir(d1, { recursive: true });
    await writeFile(path.join(d1, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    await writeFile(path.join(d1, 'memory.failcnt'), '40\n');
    assert.deepEqual(await readMemoryEvents(v1.layout, '/trc/i1'), { oomKills: 2, limitHits: 40 });
    assert.equal(await readMemoryEvents(v1.layout, '/trc/gone'), undefined);
    await writeFile(path.join(d1, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\n');
    assert.deepEqual(await readMemoryEvents(v1.layout, '/trc/i1'), { oomKills: undefined, limitHits: 40 }, 'kernels before 4.13 have no oom_kill line');
  } finally {
    await rm(v2.root, { recursive: true, force: true });
    await rm(v1.root, { recursive: true, force: true });
  }
});

test('removeCgroup removes the cgroup from every hierarchy it is in, and ignores those it is not in', async () => {
  const { root, layout } = await fakeHost(V1_MOUNTINFO);
  try {
    await mkdir(path.join(root, 'sys/fs/cgroup/cpu/trc/i1'), { recursive: true });
    await mkdir(path.join(root, 'sys/fs/cgroup/memory/trc/i1'), { recursive: true });
    await removeCgroup(layout, '/trc/i1');
    assert.ok(!existsSync(path.join(root, 'sys/fs/cgroup/cpu/trc/i1')));
    assert.ok(!existsSync(path.join(root, 'sys/fs/cgroup/memory/trc/i1')));
    assert.ok(existsSync(path.join(root, 'sys/fs/cgroup/memory/trc')));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
