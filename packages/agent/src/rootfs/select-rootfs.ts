// Picks the RootfsProvider for a node: overlayfs when the kernel has it and a trial mount in the state
// directory works (it needs a local filesystem such as ext4 or xfs for upper and work), else one unpack
// per instance, said once in the log.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_MOUNT_TOOLS, mountOverlay, unmountAll, type MountTools } from './mounts.ts';
import { OverlayRootfs } from './overlay-rootfs.ts';
import type { RootfsProvider } from './rootfs.ts';
import { UnpackRootfs } from './unpack-rootfs.ts';

export interface RootfsSelection {
  /** Holds the instance roots (`<dir>/<id>`) and the shared image trees. */
  readonly dir: string;
  /** Host /proc, for /proc/filesystems; default `/proc`. */
  readonly procRoot?: string;
  readonly tools?: MountTools;
  /** false: never try overlayfs. */
  readonly overlay?: boolean;
  readonly log?: (line: string) => void;
}

async function hasOverlay(procRoot: string): Promise<boolean> {
  const listed = async (): Promise<boolean> => /\toverlay$/m.test(await readFile(path.join(procRoot, 'filesystems'), 'utf8').catch(() => ''));
  if (await listed()) return true;
  await new Promise<void>((resolve) => execFile('modprobe', ['overlay'], { timeout: 10_000 }, () => resolve()));
  return listed();
}

/** Mounts a throwaway overlay in `dir` and removes it: proves upper and work can live there. */
async function trialMount(dir: string, tools: MountTools): Promise<void> {
  const trial = path.join(dir, '.overlay-trial');
  await rm(trial, { recursive: true, force: true });
  const d = (name: string): string => path.join(trial, name);
  await Promise.all(['lower', 'upper', 'work', 'merged'].map((n) => mkdir(d(n), { recursive: true, mode: 0o700 })));
  try {
    await mountOverlay(tools, { lower: d('lower'), upper: d('upper'), work: d('work') }, d('merged'));
    await unmountAll(tools, d('merged'));
  } finally {
    await rm(trial, { recursive: true, force: true }).catch(() => undefined);
  }
}

export async function selectRootfsProvider(options: RootfsSelection): Promise<RootfsProvider> {
  const tools = options.tools ?? DEFAULT_MOUNT_TOOLS;
  const log = options.log ?? (() => undefined);
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  if (options.overlay === false) return new UnpackRootfs(options.dir);
  let reason: string;
  if (await hasOverlay(options.procRoot ?? '/proc')) {
    try {
      await trialMount(options.dir, tools);
      return new OverlayRootfs(options.dir, tools);
    } catch (error) {
      reason = `a trial overlay mount in ${options.dir} failed: ${(error as Error).message}`;
    }
  } else {
    reason = 'the kernel has no overlay filesystem (modprobe overlay did not help)';
  }
  log(`instance roots: overlayfs not usable (${reason}); falling back to one full unpack per instance, slower to start`);
  return new UnpackRootfs(options.dir);
}
