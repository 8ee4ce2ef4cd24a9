// Builds an OCI runtime bundle's config.json from an instance spec. Pure: the caller resolves the user and
// the cgroup resources first, so every field here is unit-tested without a host.
import path from 'node:path';
import { TrcError } from '@trc/core';
import type { InstanceMount, InstanceSpec } from '../runtime.ts';
import type { OciResources } from '../../cgroups/limits.ts';
import type { ResolvedUser } from './user.ts';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Docker's default capability set minus CAP_NET_RAW and CAP_MKNOD: enough for images that start as root and
 * drop to a user (SETUID/SETGID, CHOWN), nothing that reaches the host.
 */
export const DEFAULT_CAPABILITIES = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
] as const;

/** The paths `runc spec` masks and makes read-only by default. */
export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
] as const;
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'] as const;

export interface OciSpecInput {
  readonly spec: InstanceSpec;
  readonly user: ResolvedUser;
  /** Absolute cgroup path (e.g. `/trc/<id>`), created by runc. */
  readonly cgroupsPath: string;
  readonly resources: OciResources;
  /** A createRuntime hook that holds the container's first process until the FIFO says `go` (see gate.ts). */
  readonly gate?: { readonly shell: string; readonly fifo: string; readonly timeoutS: number };
}

/**
 * Runs on the host (createRuntime: namespaces made, before pivot_root), so it needs nothing from the image.
 * Anything but `go` fails the hook, and runc then aborts the start and destroys what it made.
 */
export const GATE_SCRIPT = 'read -r x <"$1"; [ "$x" = go ] && exit 0; echo "the start was cancelled before the process ran" >&2; exit 1';

/** The process arguments: entrypoint followed by the command (the process's, else the image's cmd). */
export function processArgs(spec: InstanceSpec): string[] {
  const args = [...(spec.image.entrypoint ?? []), ...(spec.command ?? spec.image.cmd ?? [])];
  if (args.length === 0) {
    throw new TrcError('TRC_RUNTIME_NO_COMMAND', `instance ${spec.id} has no command: the image has no entrypoint or cmd and the process sets none`, { hint: 'set cmd for the process in platform.toml, or an ENTRYPOINT/CMD in the image' });
  }
  return args;
}

/** Image env, then the instance's env on top (same key: the instance wins); PATH is added when missing. */
export function processEnv(spec: InstanceSpec): string[] {
  const env = new Map<string, string>();
  for (const entry of spec.image.env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const [k, v] of Object.entries(spec.env ?? {})) env.set(k, v);
  const out = [...env].map(([k, v]) => `${k}=${v}`);
  if (!env.has('PATH')) out.unshift(DEFAULT_PATH);
  return out;
}

function checkMountDestination(destination: string): void {
  if (!path.posix.isAbsolute(destination) || path.posix.normalize(destination) !== destination || destination === '/' || destination.endsWith('/')) {
    throw new TrcError('TRC_RUNTIME_MOUNT_INVALID', `mount destination ${JSON.stringify(destination)} is not an absolute, normalised path other than /`, { hint: 'mount at an absolute path such as /data' });
  }
}

function mountOptions(m: InstanceMount): string[] {
  if (m.options === undefined) return ['rbind', 'nosuid', 'nodev', m.readOnly ? 'ro' : 'rw'];
  const options = m.options.filter((o) => !(m.readOnly && o === 'rw'));
  if (!options.includes('bind') && !options.includes('rbind')) options.unshift('rbind');
  if (m.readOnly && !options.includes('ro')) options.push('ro');
  return options;
}

export function buildOciSpec(input: OciSpecInput): Record<string, unknown> {
  const { spec, user } = input;
  const caps = [...DEFAULT_CAPABILITIES];
  const mounts: Record<string, unknown>[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
  for (const m of spec.mounts ?? []) {
    checkMountDestination(m.destination);
    mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: mountOptions(m) });
  }
  const namespaces: Record<string, string>[] = [
    { type: 'pid' },
    spec.networkNamespace === undefined ? { type: 'network' } : { type: 'network', path: spec.networkNamespace },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
    { type: 'cgroup' },
  ];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length === 0 ? {} : { additionalGids: [...user.additionalGids] }) },
      args: processArgs(spec),
      env: processEnv(spec),
      cwd: path.posix.resolve('/', spec.image.workingDir ?? '/'),
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: true,
    },
    root: { path: spec.rootfs, readonly: spec.readOnlyRootfs === true },
    hostname: spec.hostname ?? spec.id,
    mounts,
    ...(input.gate === undefined ? {} : { hooks: { createRuntime: [{ path: input.gate.shell, args: ['sh', '-c', GATE_SCRIPT, 'trc-gate', input.gate.fifo], timeout: input.gate.timeoutS }] } }),
    linux: {
      cgroupsPath: input.cgroupsPath,
      resources: { devices: [{ allow: false, access: 'rwm' }], ...input.resources },
      namespaces,
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
    },
  };
}
