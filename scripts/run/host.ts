// The host side of `make run`: the root check, the secrets tmpfs, and a clean-up that removes whatever the
// node's instances left (runc containers, network namespaces, veths, the nft table, the cgroup, mounts under
// the agent's state directory) by the names `make run` gave them, so a stop, even a forced one, leaves the
// host as it found it.
import { userError, type TrcError } from '@trc/core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statfsSync } from 'node:fs';
import path from 'node:path';
import type { HostNames } from './options.ts';

const TMPFS_MAGIC = 0x01021994;

/** What needs root, said before anything starts. */
export function needsRoot(): TrcError {
  return userError(
    'TRC_RUN_NEEDS_ROOT',
    'make run needs root: the node agent runs the instances with runc, gives each one a network namespace and routes, '
      + 'installs an nftables table and mounts a tmpfs for secrets files; and scripts/system-deps.sh installs runc, busybox-static '
      + 'and docker-registry from Debian. Nothing was started.',
    'run it as root (`sudo make run`), e.g. in a VM or container of your own',
  );
}

export function toolsMissing(missing: readonly string[]): TrcError {
  return userError('TRC_RUN_MISSING_TOOL', `make run needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed. Nothing was started.`,
    'run it through `make run` (it runs scripts/system-deps.sh first), or run `bash scripts/system-deps.sh` as root');
}

export const TOOLS = ['runc', 'ip', 'nft', 'mount', 'umount', '/usr/bin/docker-registry', '/bin/busybox'] as const;

function run(command: string, args: readonly string[]): { ok: boolean; out: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 15_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** The tools the run needs that are missing (scripts/system-deps.sh installs them). */
export function missingTools(): string[] {
  return TOOLS.filter((t) => (t.startsWith('/') ? !existsSync(t) : spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0));
}

function isTmpfs(dir: string): boolean {
  try {
    return statfsSync(dir).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

/** A small tmpfs for the instances' secrets files (the agent refuses a directory on disk). */
export function mountSecretsTmpfs(names: HostNames): void {
  mkdirSync(names.secretsDir, { recursive: true, mode: 0o700 });
  if (isTmpfs(names.secretsDir)) return;
  const r = run('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', names.secretsDir]);
  if (!r.ok) throw userError('TRC_RUN_START_FAILED', `cannot mount a tmpfs on ${names.secretsDir}: ${r.out.trim()}`, 'the agent keeps secrets files on a tmpfs only; mounting one needs root');
}

/** Leftovers by name, for the report and the test: what a clean stop must have removed. */
export interface Leftovers {
  readonly containers: string[];
  readonly namespaces: string[];
  readonly interfaces: string[];
  readonly table: boolean;
  /** Mount points under the agent's state directory (instance roots, spare roots), deepest first. */
  readonly mounts: string[];
}

/** Mount points at or below `dir`, deepest first (`/proc/self/mountinfo` escapes spaces as octal). */
function mountsUnder(dir: string | undefined): string[] {
  if (dir === undefined) return [];
  const prefix = path.resolve(dir) + '/';
  let info = '';
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return info.split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** What the instances of `names` left on the host; mounts are looked for under `agentStateDir` when given. */
export function findLeftovers(names: HostNames, agentStateDir?: string): Leftovers {
  const containers = existsSync(names.runcRoot) ? run('runc', ['--root', names.runcRoot, 'list', '-q']).out.split('\n').filter((l) => /^[\w.-]+$/.test(l)) : [];
  const namespaces = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(names.netnsPrefix)) : [];
  const interfaces = run('ip', ['-o', 'link', 'show']).out.split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n.startsWith(names.interfacePrefix));
  const table = run('nft', ['list', 'table', 'inet', names.table]).ok;
  return { containers, namespaces, interfaces, table, mounts: mountsUnder(agentStateDir) };
}

/** Removes every leftover; each step is best effort so one failure does not keep the others. */
export function cleanHost(names: HostNames, log: (line: string) => void, agentStateDir?: string): void {
  const left = findLeftovers(names, agentStateDir);
  for (const id of left.containers) {
    run('runc', ['--root', names.runcRoot, 'kill', id, 'KILL']);
    if (!run('runc', ['--root', names.runcRoot, 'delete', '--force', id]).ok) log(`could not delete runc container ${id}`);
  }
  for (const ns of left.namespaces) if (!run('ip', ['netns', 'delete', ns]).ok) log(`could not delete network namespace ${ns}`);
  for (const dev of left.interfaces) run('ip', ['link', 'delete', dev]);
  if (left.table && !run('nft', ['delete', 'table', 'inet', names.table]).ok) log(`could not delete nft table inet ${names.table}`);
  // A killed agent leaves the roots it had mounted (an instance's, a spare made ahead for the next start).
  for (const m of left.mounts) if (!run('umount', [m]).ok && !run('umount', ['-l', m]).ok) log(`could not unmount ${m}`);
  removeCgroup(names.cgroupParent);
  if (isTmpfs(names.secretsDir)) {
    const r = run('umount', [names.secretsDir]);
    if (!r.ok) log(`could not unmount ${names.secretsDir}: ${r.out.trim()}`);
  }
  if (!isTmpfs(names.secretsDir)) rmSync(names.runDir, { recursive: true, force: true });
}

/** Removes the cgroup subtree bottom-up (cgroup v2, or each v1 hierarchy); only empty cgroups can go. */
function removeCgroup(parent: string): void {
  const roots = existsSync('/sys/fs/cgroup/cgroup.controllers') ? ['/sys/fs/cgroup'] : (existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup').map((d) => path.join('/sys/fs/cgroup', d)) : []);
  const remove = (dir: string): void => {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const e of entries) remove(path.join(dir, e));
    try {
      rmdirSync(dir);
    } catch {
      // still has processes, or not a cgroup of ours
    }
  };
  for (const root of roots) remove(path.join(root, parent));
}

export function hostIsClean(left: Leftovers): boolean {
  return left.containers.length === 0 && left.namespaces.length === 0 && left.interfaces.length === 0 && !left.table && left.mounts.length === 0;
}
