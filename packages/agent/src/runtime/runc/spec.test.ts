// config.json generation, field by field, without a host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrcError } from '@trc/core';
import type { InstanceSpec } from '../runtime.ts';
import type { ResolvedUser } from './user.ts';
import { DEFAULT_CAPABILITIES, DEFAULT_PATH, MASKED_PATHS, READONLY_PATHS, buildOciSpec } from './spec.ts';

const MI = 1024 * 1024;
const base: InstanceSpec = {
  id: 'web-1',
  rootfs: '/var/lib/trc/images/abc/rootfs',
  image: { entrypoint: ['/app/server'], cmd: ['--port', '8080'], env: ['PATH=/usr/bin:/bin', 'MODE=image', 'EMPTY='], user: '', workingDir: '/app' },
  resources: { cpu: 1, memory: 128 * MI },
};
const user: ResolvedUser = { uid: 0, gid: 0, additionalGids: [] };

function build(spec: Partial<InstanceSpec> = {}, u = user): any {
  return buildOciSpec({ spec: { ...base, ...spec }, user: u, cgroupsPath: '/trc/web-1', resources: { cpu: { shares: 1024 }, memory: { limit: 128 * MI, swap: 128 * MI, swappiness: 0 } } });
}

test('process: entrypoint then cmd; a process command replaces cmd but keeps the entrypoint; cwd from the image', () => {
  assert.deepEqual(build().process.args, ['/app/server', '--port', '8080']);
  assert.deepEqual(build({ command: ['--port', '9090'] }).process.args, ['/app/server', '--port', '9090']);
  assert.deepEqual(build({ image: { cmd: ['sh', '-c', 'x'] } }).process.args, ['sh', '-c', 'x']);
  assert.equal(build().process.cwd, '/app');
  assert.equal(build({ image: { cmd: ['x'] } }).process.cwd, '/');
  assert.equal(build({ image: { cmd: ['x'], workingDir: 'rel' } }).process.cwd, '/rel');
  assert.equal(build().process.terminal, false);
});

test('no entrypoint, no cmd and no command is TRC_RUNTIME_NO_COMMAND', () => {
  assert.throws(() => build({ image: {} }), (e: unknown) => isTrcError(e) && e.code === 'TRC_RUNTIME_NO_COMMAND');
});

test('env: the image env, then the instance env winning on equal keys; PATH added only when missing', () => {
  assert.deepEqual(build({ env: { MODE: 'instance', DB_URL: 'postgres://x' } }).process.env, ['PATH=/usr/bin:/bin', 'MODE=instance', 'EMPTY=', 'DB_URL=postgres://x']);
  assert.deepEqual(build({ image: { cmd: ['x'], env: ['A=1=2'] } }).process.env, [DEFAULT_PATH, 'A=1=2']);
});

test('user: numeric uid, gid and additional groups as resolved', () => {
  assert.deepEqual(build({}, { uid: 1000, gid: 1001, additionalGids: [2000] }).process.user, { uid: 1000, gid: 1001, additionalGids: [2000] });
  assert.deepEqual(build().process.user, { uid: 0, gid: 0 });
});

test('security: no new privileges, the default capability set only, runc\'s masked and read-only paths', () => {
  const s = build();
  assert.equal(s.process.noNewPrivileges, true);
  for (const set of ['bounding', 'effective', 'permitted']) assert.deepEqual(s.process.capabilities[set], [...DEFAULT_CAPABILITIES]);
  assert.equal(s.process.capabilities.ambient, undefined);
  assert.ok(!DEFAULT_CAPABILITIES.some((c) => ['CAP_SYS_ADMIN', 'CAP_NET_RAW', 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE', 'CAP_MKNOD'].includes(c)));
  assert.deepEqual(s.linux.maskedPaths, [...MASKED_PATHS]);
  assert.deepEqual(s.linux.readonlyPaths, [...READONLY_PATHS]);
  assert.deepEqual(s.linux.resources.devices, [{ allow: false, access: 'rwm' }]);
});

test('root, hostname, cgroup path and resources', () => {
  const s = build({ readOnlyRootfs: true, hostname: 'web' });
  assert.deepEqual(s.root, { path: '/var/lib/trc/images/abc/rootfs', readonly: true });
  assert.equal(s.hostname, 'web');
  assert.equal(build().hostname, 'web-1');
  assert.equal(build().root.readonly, false);
  assert.equal(s.linux.cgroupsPath, '/trc/web-1');
  assert.deepEqual(s.linux.resources.memory, { limit: 128 * MI, swap: 128 * MI, swappiness: 0 });
  assert.deepEqual(s.linux.resources.cpu, { shares: 1024 });
});

test('namespaces: pid, network, ipc, uts, mount, cgroup; the network namespace joins a given path', () => {
  assert.deepEqual(build().linux.namespaces.map((n: { type: string }) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
  assert.deepEqual(build().linux.namespaces[1], { type: 'network' });
  assert.deepEqual(build({ networkNamespace: '/run/netns/web-1' }).linux.namespaces[1], { type: 'network', path: '/run/netns/web-1' });
});

test('mounts: the standard /proc, /dev, /sys set, then bind mounts read-only or read-write as asked', () => {
  const s = build({ mounts: [{ source: '/run/trc/secrets/web-1', destination: '/run/secrets', readOnly: true }, { source: '/srv/vol', destination: '/data', readOnly: false }] });
  const dests = s.mounts.map((m: { destination: string }) => m.destination);
  assert.deepEqual(dests, ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/run/secrets', '/data']);
  assert.deepEqual(s.mounts[7], { destination: '/run/secrets', type: 'bind', source: '/run/trc/secrets/web-1', options: ['rbind', 'nosuid', 'nodev', 'ro'] });
  assert.deepEqual(s.mounts[8].options, ['rbind', 'nosuid', 'nodev', 'rw']);
  assert.ok(s.mounts.find((m: { destination: string }) => m.destination === '/sys').options.includes('ro'));
});

test('mounts: given options are used as they are, with a bind flag and ro added when missing', () => {
  const s = build({ mounts: [
    { source: '/a', destination: '/a', readOnly: true, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] },
    { source: '/b', destination: '/b', readOnly: true, options: ['nosuid', 'rw'] },
    { source: '/c', destination: '/c', readOnly: false, options: ['bind', 'noexec'] },
  ] });
  assert.deepEqual(s.mounts.slice(7).map((m: { options: string[] }) => m.options), [['bind', 'ro', 'nosuid', 'nodev', 'noexec'], ['rbind', 'nosuid', 'ro'], ['bind', 'noexec']]);
});

test('a mount destination that is relative, not normalised, or / is TRC_RUNTIME_MOUNT_INVALID', () => {
  for (const destination of ['data', '/', '/a/../b', '/a/', '/a//b']) {
    assert.throws(() => build({ mounts: [{ source: '/x', destination, readOnly: true }] }), (e: unknown) => isTrcError(e) && e.code === 'TRC_RUNTIME_MOUNT_INVALID', destination);
  }
});
