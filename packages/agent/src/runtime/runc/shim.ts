// The per-instance shim: a supervisor that runs `runc run --keep` in the foreground and writes its exit status
// to a file (a background subshell of the spawn helper, see ../../spawn/: no program of its own to exec). Why
// not `runc run --detach` or create/start: a detached container's first process is re-parented to the host's
// init, which reaps it, so its exit status is lost (the agent cannot become a child subreaper from Node). A
// foreground runc stays the parent and reaps it; the shim outlives agent restarts (the helper's own session),
// and `--keep` keeps the container and its cgroup until the driver has read the OOM counter and deletes it.
// The container's stdout/stderr go straight to the log files (runc's pass-through IO: the container inherits
// runc's file descriptors).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProcessRunner } from '../../spawn/runner.ts';
import { procStatFields } from '../../spawn/proc.ts';

/** Marker in the argv of shims an earlier agent started as `sh -c … trc-shim <id>` (still adopted). */
export const SHIM_NAME = 'trc-shim';

export interface ShimPaths {
  readonly stdout: string;
  readonly stderr: string;
  /** Written once, as "<status>\n", when runc returns. */
  readonly status: string;
}

/** Starts the shim detached from the agent (outside its session); returns its pid. */
export function spawnShim(runner: ProcessRunner, paths: ShimPaths, command: readonly string[]): Promise<number> {
  return runner.spawnSupervised(command[0]!, command.slice(1), paths);
}

/**
 * What the driver writes to `shim.pid`: the pid and the process's start time (clock ticks since boot, field 22
 * of /proc/<pid>/stat), so a pid reused by another process is never taken for the shim. Just the pid when
 * the shim has ended already (its status file then says how).
 */
export async function shimIdentity(procRoot: string, pid: number): Promise<string> {
  const started = await startTime(procRoot, pid);
  return started === undefined ? String(pid) : `${pid} ${started}`;
}

async function startTime(procRoot: string, pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(path.join(procRoot, String(pid), 'stat'), 'utf8');
    return procStatFields(stat)[19];
  } catch {
    return undefined;
  }
}

/** The exit status the shim recorded, or undefined while it has not (a partial write has no newline yet). */
export async function readShimStatus(file: string): Promise<number | undefined> {
  try {
    const text = await readFile(file, 'utf8');
    const m = /^(\d+)\n$/.exec(text);
    return m === null ? undefined : Number(m[1]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Whether the shim `shim.pid` names is still running: the same pid with the same start time, or, for a shim
 * an earlier agent started (a pid alone), the `trc-shim` marker and the instance id in its argv.
 */
export async function shimAlive(procRoot: string, identity: string, id: string): Promise<boolean> {
  const [pid, started] = identity.trim().split(' ');
  if (pid === undefined || !/^\d+$/.test(pid)) return false;
  if (started !== undefined) return (await startTime(procRoot, Number(pid))) === started;
  try {
    const argv = (await readFile(path.join(procRoot, pid, 'cmdline'), 'utf8')).split('\0');
    return argv.includes(SHIM_NAME) && argv.includes(id);
  } catch {
    return false;
  }
}
