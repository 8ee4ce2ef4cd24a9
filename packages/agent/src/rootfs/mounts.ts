// Mounting and unmounting with util-linux `mount`/`umount`, and reading which mounts exist from
// mountinfo (a path parameter, so tests and other hosts can point elsewhere).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { TrcError } from '@trc/core';
import type { ProcessRunner } from '../spawn/runner.ts';
import { defaultRunner } from '../spawn/shell-runner.ts';

export interface MountTools {
  readonly mount: string;
  readonly umount: string;
  /** Usually /proc/self/mountinfo. */
  readonly mountinfo: string;
  /** What runs mount and umount; default the agent's spawn helper (../spawn/). */
  readonly runner?: ProcessRunner;
}

export const DEFAULT_MOUNT_TOOLS: MountTools = { mount: '/usr/bin/mount', umount: '/usr/bin/umount', mountinfo: '/proc/self/mountinfo' };

async function run(tools: MountTools, file: string, args: readonly string[]): Promise<void> {
  const r = await (tools.runner ?? defaultRunner()).run(file, args, { timeoutMs: 30_000 });
  if (r.code === 0) return;
  throw new TrcError('TRC_ROOTFS_MOUNT_FAILED', `${path.basename(file)} ${args.at(-1) ?? ''} failed: ${(r.stderr.trim() || `exit ${r.code}`).slice(0, 1000)}`, { hint: 'check that the overlay module is loaded and the state directory is on one local filesystem (ext4, xfs)' });
}

/** overlayfs options separate paths with `,` and `:`; such paths (and whitespace, backslashes) cannot be given. */
export function overlayPathUsable(p: string): boolean {
  return path.isAbsolute(p) && !/[,:\\\s]/.test(p);
}

export async function mountOverlay(tools: MountTools, dirs: { lower: string; upper: string; work: string }, target: string): Promise<void> {
  for (const p of [dirs.lower, dirs.upper, dirs.work, target]) {
    if (!overlayPathUsable(p)) throw new TrcError('TRC_ROOTFS_MOUNT_FAILED', `cannot use ${JSON.stringify(p)} in an overlay mount`, { hint: 'give the agent a state directory whose path has no commas, colons, backslashes or spaces' });
  }
  await run(tools, tools.mount, ['-t', 'overlay', 'overlay', '-o', `lowerdir=${dirs.lower},upperdir=${dirs.upper},workdir=${dirs.work}`, target]);
}

/** Mount points in mountinfo (field 5, octal escapes decoded), in mount order. */
export async function mountPoints(mountinfo: string): Promise<string[]> {
  const text = await readFile(mountinfo, 'utf8');
  return text.split('\n').filter((l) => l !== '').map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** Unmounts everything mounted at `target` (mounts can stack); nothing there is fine. */
export async function unmountAll(tools: MountTools, target: string): Promise<void> {
  for (let i = 0; i < 8 && (await mountPoints(tools.mountinfo)).includes(target); i++) await run(tools, tools.umount, [target]);
  if ((await mountPoints(tools.mountinfo)).includes(target)) throw new TrcError('TRC_ROOTFS_MOUNT_FAILED', `${target} is still mounted`, { hint: 'find what mounts over it again (findmnt) and unmount it by hand' });
}

/** One umount for several targets (a failure for one does not stop the others); callers check what stays. */
export async function unmountEach(tools: MountTools, targets: readonly string[]): Promise<void> {
  await run(tools, tools.umount, targets);
}

/** Unmounts every mount at or below `dir`, deepest first (test and tool cleanup before removing a tree). */
export async function unmountUnder(tools: MountTools, dir: string): Promise<void> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const under = (await mountPoints(tools.mountinfo)).filter((m) => m === dir || m.startsWith(prefix));
  for (const m of [...new Set(under)].sort((a, b) => b.length - a.length)) await unmountAll(tools, m);
}
