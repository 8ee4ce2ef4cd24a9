// Where the cgroup controllers are mounted, read from mountinfo under a host root path so tests can use a fake tree.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { TrcError } from '@trc/core';

/**
 * `v2`: one unified hierarchy holds the controllers (the production target). `v1`: memory and cpu live in
 * per-controller v1 hierarchies (legacy or hybrid hosts, where the unified mount has no controllers).
 */
export type CgroupMode = 'v1' | 'v2';

export interface CgroupLayout {
  readonly mode: CgroupMode;
  /** Host root every path below is relative to ('/' on a real host, a temp dir in tests). */
  readonly hostRoot: string;
  /** Mount point of the cgroup2 hierarchy, if any (in v1 mode: the hybrid `unified` mount). */
  readonly unified: string | undefined;
  /** v1 controller (or `name=systemd`) -> mount point. Empty in v2 mode. */
  readonly v1: Readonly<Record<string, string>>;
}

/** cgroup v1 super options that are not controller names. */
const NOT_CONTROLLERS = new Set(['rw', 'ro', 'xattr', 'noprefix', 'clone_children', 'cpuset_v2_mode', 'favordynmods']);

/** Parses /proc/self/mountinfo text into a layout. Mount points stay as the file names them (host paths). */
export function parseMountinfo(text: string, hostRoot = '/'): CgroupLayout {
  let unified: string | undefined;
  const v1: Record<string, string> = {};
  for (const line of text.split('\n')) {
    // Fields: id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const mountPoint = unescapeMountinfo(left[4] ?? '');
    const fsType = right[0];
    const superOptions = (right[2] ?? '').split(',');
    if (fsType === 'cgroup2' && unified === undefined) unified = mountPoint;
    if (fsType === 'cgroup') {
      for (const opt of superOptions) {
        if (NOT_CONTROLLERS.has(opt) || (opt.includes('=') && !opt.startsWith('name='))) continue;
        if (v1[opt] === undefined) v1[opt] = mountPoint;
      }
    }
  }
  const mode: CgroupMode | undefined = v1['memory'] !== undefined ? 'v1' : unified !== undefined ? 'v2' : undefined;
  if (mode === undefined) {
    throw new TrcError('TRC_CGROUP_UNSUPPORTED', 'no cgroup hierarchy with the memory controller is mounted', {
      hint: 'mount cgroup2 at /sys/fs/cgroup (or the v1 memory controller); the agent enforces memory caps through it',
    });
  }
  return { mode, hostRoot, unified, v1: mode === 'v1' ? v1 : {} };
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Reads `<hostRoot>/proc/self/mountinfo` and returns the layout. */
export async function detectCgroupLayout(hostRoot = '/'): Promise<CgroupLayout> {
  const text = await readFile(path.join(hostRoot, 'proc/self/mountinfo'), 'utf8');
  return parseMountinfo(text, hostRoot);
}

/** The host directory of cgroup `cgroupPath` (absolute, e.g. `/trc/abc`) in a controller's hierarchy. */
export function controllerDir(layout: CgroupLayout, controller: string, cgroupPath: string): string | undefined {
  const mount = layout.mode === 'v2' ? layout.unified : layout.v1[controller];
  if (mount === undefined) return undefined;
  return path.join(layout.hostRoot, mount, relativeCgroupPath(cgroupPath));
}

/** Every host directory cgroup `cgroupPath` may exist in (all v1 hierarchies plus the unified one). */
export function allDirs(layout: CgroupLayout, cgroupPath: string): string[] {
  const mounts = new Set<string>(Object.values(layout.v1));
  if (layout.unified !== undefined) mounts.add(layout.unified);
  return [...mounts].map((m) => path.join(layout.hostRoot, m, relativeCgroupPath(cgroupPath)));
}

function relativeCgroupPath(cgroupPath: string): string {
  const normal = path.posix.normalize(`/${cgroupPath}`);
  if (normal === '/' || cgroupPath.split('/').includes('..')) {
    throw new TrcError('TRC_INTERNAL', `cgroup path ${JSON.stringify(cgroupPath)} does not name a child cgroup`);
  }
  return normal.slice(1);
}
