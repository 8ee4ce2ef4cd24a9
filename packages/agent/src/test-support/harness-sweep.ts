// Test harness hygiene: each harness records what it made on the host (harness.json in its work directory);
// the same clean-up serves its close() and, for a harness whose process died without closing (killed by a
// watchdog, Ctrl-C twice, a crash), the next harness's start: its control plane and registry, instances,
// network, cgroups, mounts and work directory go, and its subnet lock is released.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroupLayout } from '../cgroups/layout.ts';
import { removeCgroup } from '../cgroups/limits.ts';
import { RoutedInstanceNetwork } from '../network/routed/routed-network.ts';
import { DEFAULT_MOUNT_TOOLS, unmountUnder } from '../rootfs/mounts.ts';

export const HARNESS_RECORD = 'harness.json';

export interface HarnessRecord {
  /** The process that runs the harness (its agents run in it). */
  readonly pid: number;
  readonly work: string;
  readonly secretsDir: string;
  readonly cgroupParent: string;
  /** The subnet lock file, held while `pid` lives. */
  readonly lock: string;
  readonly network: { readonly subnet: string; readonly table: string; readonly netnsPrefix: string; readonly interfacePrefix: string };
  /** Directories whose programs (the control plane, the registry) belong to the harness: named in their command lines. */
  readonly programDirs: readonly string[];
}

export function writeHarnessRecord(record: HarnessRecord): void {
  writeFileSync(path.join(record.work, HARNESS_RECORD), `${JSON.stringify(record)}\n`);
}

/** Whether a process with this pid exists (one of another user's counts too). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Processes (not this one) whose command line names one of `dirs`. */
function programsUnder(dirs: readonly string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (dirs.some((d) => cmdline.split('\0').some((arg) => arg === d || arg.startsWith(`${d}/`)))) found.push(Number(entry));
  }
  return found;
}

async function stopPrograms(dirs: readonly string[]): Promise<void> {
  const signal = (pids: number[], sig: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // gone meanwhile
      }
    }
  };
  signal(programsUnder(dirs), 'SIGTERM');
  for (let i = 0; i < 30 && programsUnder(dirs).length > 0; i++) await sleep(100);
  signal(programsUnder(dirs), 'SIGKILL');
}

/** Deletes the containers of every agent state directory in the work directory (their shims then end). */
function deleteContainers(work: string): void {
  for (const entry of existsSync(work) ? readdirSync(work) : []) {
    const root = path.join(work, entry, 'runtime', 'runc');
    if (!entry.startsWith('agent-') || !existsSync(root)) continue;
    const list = spawnSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8', timeout: 30_000 });
    for (const id of (list.stdout ?? '').split('\n').filter((l) => l !== '')) spawnSync('runc', ['--root', root, 'delete', '--force', id], { stdio: 'ignore', timeout: 30_000 });
  }
}

/**
 * Removes everything the record names. Agents of a live harness are closed before (close()); a dead one's
 * containers are deleted here.
 */
export async function cleanHarness(record: HarnessRecord): Promise<void> {
  // The containers first: their `runc run` processes name the work directory too, and end with them.
  deleteContainers(record.work);
  await stopPrograms(record.programDirs);
  const net = new RoutedInstanceNetwork();
  await net.setupNode({ ...record.network, stateDir: path.join(record.work, 'net-cleanup') }).catch(() => undefined);
  // reconcile([]) deletes every namespace and veth with the prefixes; teardown deletes the table.
  await net.reconcile([]).catch(() => undefined);
  await net.teardownNode().catch(() => undefined);
  await removeCgroup(await detectCgroupLayout('/'), record.cgroupParent).catch(() => undefined);
  spawnSync('umount', [record.secretsDir], { stdio: 'ignore' });
  // Instance roots are overlay mounts until their instance starts (or a start is cut short).
  await unmountUnder(DEFAULT_MOUNT_TOOLS, record.work).catch(() => undefined);
  if (existsSync(record.lock) && readFileSync(record.lock, 'utf8').trim() === String(record.pid)) rmSync(record.lock, { force: true });
  for (const dir of [record.work, ...record.programDirs]) rmSync(dir, { recursive: true, force: true });
}

/** Cleans up after every harness in `dir` whose process is gone; returns their work directories. */
export async function sweepDeadHarnesses(dir = tmpdir()): Promise<string[]> {
  const swept: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith('trc-')) continue;
    let record: HarnessRecord;
    try {
      record = JSON.parse(readFileSync(path.join(dir, entry, HARNESS_RECORD), 'utf8')) as HarnessRecord;
    } catch {
      continue; // not a harness, or one still being set up
    }
    if (processAlive(record.pid)) continue;
    // Claimed by a rename: of two harnesses starting at once, one sweeps.
    try {
      renameSync(path.join(dir, entry, HARNESS_RECORD), path.join(dir, entry, `${HARNESS_RECORD}.swept-by-${process.pid}`));
    } catch {
      continue;
    }
    await cleanHarness(record);
    swept.push(record.work);
  }
  return swept;
}
