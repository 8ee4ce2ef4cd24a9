// Cgroup mode detection from mountinfo, on a real hybrid host's text, a pure v2 host's, and fake trees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isTrcError } from '@trc/core';
import { allDirs, controllerDir, detectCgroupLayout, parseMountinfo } from './layout.ts';

/** This development host: v1 controllers plus an empty unified mount (systemd's "hybrid"). */
const HYBRID_MOUNTINFO = `22 1 0:21 / / rw,relatime - overlay overlay rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
/** A production host: one cgroup2 hierarchy at /sys/fs/cgroup. */
const V2_MOUNTINFO = `22 1 0:21 / / rw,relatime - ext4 /dev/sda1 rw
30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

test('a hybrid host (v1 controllers, empty unified mount) is v1, with each controller at its own mount', () => {
  const layout = parseMountinfo(HYBRID_MOUNTINFO);
  assert.equal(layout.mode, 'v1');
  assert.equal(layout.unified, '/sys/fs/cgroup/unified');
  assert.deepEqual(layout.v1, { cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpuacct', memory: '/sys/fs/cgroup/memory', 'name=systemd': '/sys/fs/cgroup/systemd' });
  assert.equal(controllerDir(layout, 'memory', '/trc/a'), '/sys/fs/cgroup/memory/trc/a');
  assert.equal(controllerDir(layout, 'cpu', '/trc/a'), '/sys/fs/cgroup/cpu/trc/a');
  assert.ok(allDirs(layout, '/trc/a').includes('/sys/fs/cgroup/unified/trc/a'));
});

test('a cgroup2-only host is v2, and every controller lives in the unified hierarchy', () => {
  const layout = parseMountinfo(V2_MOUNTINFO);
  assert.equal(layout.mode, 'v2');
  assert.deepEqual(layout.v1, {});
  assert.equal(controllerDir(layout, 'memory', '/trc/a'), '/sys/fs/cgroup/trc/a');
  assert.equal(controllerDir(layout, 'cpu', 'trc/a'), '/sys/fs/cgroup/trc/a');
});

test('a host with no usable cgroup hierarchy is TRC_CGROUP_UNSUPPORTED', () => {
  assert.throws(() => parseMountinfo('22 1 0:21 / / rw - ext4 /dev/sda1 rw\n'), (e: unknown) => isTrcError(e) && e.code === 'TRC_CGROUP_UNSUPPORTED');
});

test('cgroup paths that do not name a child cgroup are refused', () => {
  const layout = parseMountinfo(V2_MOUNTINFO);
  assert.throws(() => controllerDir(layout, 'memory', '/'));
  assert.throws(() => controllerDir(layout, 'memory', '/trc/../../etc'));
});

test('detection reads <hostRoot>/proc/self/mountinfo, and paths resolve under the host root', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'trc-cg-'));
  try {
    await mkdir(path.join(root, 'proc/self'), { recursive: true });
    await writeFile(path.join(root, 'proc/self/mountinfo'), V2_MOUNTINFO);
    const layout = await detectCgroupLayout(root);
    assert.equal(layout.mode, 'v2');
    assert.equal(controllerDir(layout, 'memory', '/trc/x'), path.join(root, 'sys/fs/cgroup/trc/x'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
