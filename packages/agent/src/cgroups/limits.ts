// An instance's cgroup limits: cpu as a proportional weight (never a quota by default), memory as a hard cap
// with no swap. As files to write under a cgroup root, and as OCI `linux.resources` for runc.
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TrcError, cgroupSettings, cpuShares, type InstanceResources } from '@trc/core';
import { allDirs, controllerDir, type CgroupLayout, type CgroupMode } from './layout.ts';

export type { InstanceResources } from '@trc/core';

/** Host facts that change which files exist: v1 kernels without swap accounting have no `memory.memsw.*`. */
export interface CgroupFeatures {
  readonly memsw: boolean;
}

/** One file to write: the controller whose hierarchy holds it (v1), its name and content. */
export interface CgroupFile {
  readonly controller: 'cpu' | 'memory';
  readonly file: string;
  readonly value: string;
}

/**
 * The files for an instance, in the order they must be written. Builds on core's cgroupSettings and adds
 * the no-swap half of the memory cap: v2 `memory.swap.max = 0`; v1 `memory.memsw.limit_in_bytes` equal to
 * the cap (memory+swap, so no swap) when swap accounting exists, and swappiness 0 either way.
 */
export function cgroupFiles(mode: CgroupMode, resources: InstanceResources, features: CgroupFeatures): CgroupFile[] {
  const settings = cgroupSettings(resources);
  const entries = Object.entries(mode === 'v2' ? settings.v2 : settings.v1);
  const files: CgroupFile[] = entries.map(([file, value]) => ({ controller: file.startsWith('memory.') ? 'memory' : 'cpu', file, value }));
  if (mode === 'v2') {
    files.push({ controller: 'memory', file: 'memory.swap.max', value: '0' });
  } else {
    // memsw must stay >= limit_in_bytes, so it is written after the limit (the cgroup is new, so the limit only rises).
    if (features.memsw) files.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(resources.memory) });
    files.push({ controller: 'memory', file: 'memory.swappiness', value: '0' });
  }
  return files;
}

/** OCI runtime-spec `linux.resources` subset the runc driver sets. */
export interface OciResources {
  cpu?: { shares?: number; quota?: number; period?: number };
  memory?: { limit: number; swap?: number; swappiness?: number };
  unified?: Record<string, string>;
  devices?: { allow: boolean; access?: string; type?: string; major?: number; minor?: number }[];
}

/**
 * The same limits as OCI `linux.resources`. v2 goes through `unified` so the weight is core's own mapping
 * (runc would otherwise convert cpu.shares with a different formula); v1 uses the classic fields.
 */
export function ociResources(mode: CgroupMode, resources: InstanceResources, features: CgroupFeatures): OciResources {
  if (mode === 'v2') {
    const unified: Record<string, string> = {};
    for (const f of cgroupFiles('v2', resources, features)) unified[f.file] = f.value;
    return { unified };
  }
  const settings = cgroupSettings(resources).v1;
  const cpu: { shares: number; quota?: number; period?: number } = { shares: cpuShares(resources.cpu) };
  if (settings['cpu.cfs_quota_us'] !== undefined) {
    cpu.quota = Number(settings['cpu.cfs_quota_us']);
    cpu.period = Number(settings['cpu.cfs_period_us']);
  }
  return {
    cpu,
    memory: { limit: resources.memory, ...(features.memsw ? { swap: resources.memory } : {}), swappiness: 0 },
  };
}

/** Whether this host's memory controller has swap accounting (only meaningful in v1). */
export function detectFeatures(layout: CgroupLayout): CgroupFeatures {
  if (layout.mode === 'v2') return { memsw: false };
  const memoryRoot = layout.v1['memory'];
  return { memsw: memoryRoot !== undefined && existsSync(path.join(layout.hostRoot, memoryRoot, 'memory.memsw.limit_in_bytes')) };
}

/**
 * Creates cgroup `cgroupPath` and writes the limits into it (for drivers that manage cgroups themselves,
 * such as a microVM's process; runc does this from `linux.resources`).
 */
export async function applyCgroupLimits(layout: CgroupLayout, cgroupPath: string, resources: InstanceResources): Promise<void> {
  for (const f of cgroupFiles(layout.mode, resources, detectFeatures(layout))) {
    const dir = requireDir(layout, f.controller, cgroupPath);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, f.file), f.value);
  }
}

/** What the kernel's memory controller says happened in a cgroup. */
export interface MemoryEvents {
  /** Processes killed by the OOM killer because the cgroup hit its cap; undefined on kernels without the counter (v1 before 4.13). */
  readonly oomKills: number | undefined;
  /** Times usage hit the cap (v1 `memory.failcnt`; v2 `max` events). */
  readonly limitHits: number;
}

/** Reads v2 `memory.events` or v1 `memory.oom_control` + `memory.failcnt`; undefined when the cgroup is gone. */
export async function readMemoryEvents(layout: CgroupLayout, cgroupPath: string): Promise<MemoryEvents | undefined> {
  const dir = requireDir(layout, 'memory', cgroupPath);
  try {
    if (layout.mode === 'v2') {
      const events = parseFlatKeyed(await readFile(path.join(dir, 'memory.events'), 'utf8'));
      return { oomKills: events['oom_kill'] ?? 0, limitHits: events['max'] ?? 0 };
    }
    const oom = parseFlatKeyed(await readFile(path.join(dir, 'memory.oom_control'), 'utf8'));
    const failcnt = Number((await readFile(path.join(dir, 'memory.failcnt'), 'utf8').catch(() => '0')).trim()) || 0;
    return { oomKills: oom['oom_kill'], limitHits: failcnt };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Parses cgroup "key value" lines. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key !== undefined && key !== '' && value !== undefined) out[key] = Number(value);
  }
  return out;
}

/** Removes cgroup `cgroupPath` from every hierarchy it exists in. It must hold no processes (and no children). */
export async function removeCgroup(layout: CgroupLayout, cgroupPath: string): Promise<void> {
  for (const dir of allDirs(layout, cgroupPath)) {
    try {
      await rmdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

function requireDir(layout: CgroupLayout, controller: string, cgroupPath: string): string {
  const dir = controllerDir(layout, controller, cgroupPath);
  if (dir === undefined) {
    throw new TrcError('TRC_CGROUP_UNSUPPORTED', `the ${controller} cgroup controller is not mounted`, {
      hint: `mount the ${controller} controller (cgroup v2 at /sys/fs/cgroup enables it by default)`,
    });
  }
  return dir;
}
