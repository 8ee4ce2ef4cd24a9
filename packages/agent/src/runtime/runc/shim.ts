// The per-instance shim: a detached `sh` that runs `runc run --keep` in the foreground and writes its exit
// status to a file. Why not `runc run --detach` or create/start: a detached container's first process is
// re-parented to the host's init, which reaps it, so its exit status is lost (the agent cannot become a child
// subreaper from Node). A foreground runc stays the parent and reaps it; the shim outlives agent restarts
// (own session), and `--keep` keeps the container and its cgroup until the driver has read the OOM counter
// and deletes it. The shim appends the container's stdout/stderr straight to the log files (runc's
// pass-through IO: the container inherits runc's file descriptors).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProcessRunner } from '../../spawn/runner.ts';

/** Marker in the shim's argv, so a pid file is only trusted when the process it names is our shim. */
export const SHIM_NAME = 'trc-shim';

/** One line: the spawn helper carries no newlines in arguments. */
const SCRIPT = 'out=$1; err=$2; status=$3; shift 3; "$@" >>"$out" 2>>"$err" </dev/null; echo $? >"$status"';

export interface ShimPaths {
  readonly stdout: string;
  readonly stderr: string;
  /** Written once, as "<status>\n", when runc returns. */
  readonly status: string;
}

/** Starts the shim detached from the agent (outside its session); returns its pid. */
export function spawnShim(runner: ProcessRunner, shell: string, paths: ShimPaths, command: readonly string[]): Promise<number> {
  return runner.spawnDetached(shell, ['-c', SCRIPT, SHIM_NAME, paths.stdout, paths.stderr, paths.status, ...command]);
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

/** Whether `pid` is still our shim for `id` (pids are reused, so the argv is checked too). */
export async function shimAlive(procRoot: string, pid: number, id: string): Promise<boolean> {
  try {
    const argv = (await readFile(path.join(procRoot, String(pid), 'cmdline'), 'utf8')).split('\0');
    return argv.includes(SHIM_NAME) && argv.includes(id);
  } catch {
    return false;
  }
}
