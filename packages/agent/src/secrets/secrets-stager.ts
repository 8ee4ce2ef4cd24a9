// Stages an instance's secrets for the runtime (ADR 0010): renders the env's bundle as TRC_SECRETS_V1
// into a host file on tmpfs, in a directory of the instance's that a read-only bind mount places at
// /run/secrets (with the export utility beside it). Values never leave this module except into that file.
import { chmodSync, closeSync, constants, fchmodSync, fchownSync, lstatSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { open, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { renderSecretsFile, SECRETS_FILE_PATH, TrcError, userError, type SecretEntry } from '@trc/core';
import { checkInstanceId } from '../runtime/runtime.ts';
import { parseGroup, readImageUserFiles } from '../runtime/runc/user.ts';
import { assertMemoryFilesystem } from './tmpfs.ts';

export const DEFAULT_SECRETS_ROOT = '/run/trc/secrets';
export const EXPORT_SCRIPT_PATH = '/usr/bin/platform-secrets-export';
const DEFAULT_EXPORT_SCRIPT = new URL('../../../../bin/platform-secrets-export', import.meta.url).pathname;

/** Who may read the file inside the instance: root only (0400), or also one group of the image (0440). */
export type SecretsAccess =
  | { readonly kind: 'root' }
  /** The manifest's opt-in: `group` is a name resolved in `<rootfs>/etc/group`. */
  | { readonly kind: 'group'; readonly group: string; readonly rootfs: string };

/** A read-only bind mount for the runtime; `options` are the OCI mount options to use as they are. */
export interface SecretsMount {
  readonly source: string;
  readonly destination: string;
  readonly readOnly: true;
  readonly options: readonly string[];
}

/** The bind mounts an instance gets: known, and its directory made, before anything is staged. */
export interface SecretsMounts {
  /** The instance's directory, at /run/secrets: platform.env is staged into it, before or after it is mounted. */
  readonly directory: SecretsMount;
  /** bin/platform-secrets-export, at /usr/bin/platform-secrets-export (executable, so without noexec). */
  readonly exportScript: SecretsMount;
}

export interface StagedSecrets extends SecretsMounts {
  /** The rendered file on the host, <root>/<instance>/platform.env (/run/secrets/platform.env inside). */
  readonly file: string;
  readonly mode: 0o400 | 0o440;
  readonly uid: 0;
  readonly gid: number;
}

export interface SecretsStagerOptions {
  /** A directory on tmpfs or ramfs, checked at every prepare() and stage(). */
  readonly root?: string;
  /** Host path of the guest utility. */
  readonly exportScript?: string;
}

const FILE_NAME = path.posix.basename(SECRETS_FILE_PATH);
const DIRECTORY_PATH = path.posix.dirname(SECRETS_FILE_PATH);

export class SecretsStager {
  readonly root: string;
  readonly exportScript: string;

  constructor(options: SecretsStagerOptions = {}) {
    this.root = options.root ?? DEFAULT_SECRETS_ROOT;
    this.exportScript = options.exportScript ?? DEFAULT_EXPORT_SCRIPT;
  }

  /** The host directory of an instance's secrets, mounted at /run/secrets. */
  directoryOf(instanceId: string): string {
    checkInstanceId(instanceId);
    return path.join(this.root, instanceId);
  }

  /** The host file of an instance's secrets. */
  pathOf(instanceId: string): string {
    return path.join(this.directoryOf(instanceId), FILE_NAME);
  }

  /** The bind mounts an instance gets (pure: a runtime bundle may name them before prepare()). */
  mounts(instanceId: string): SecretsMounts {
    return {
      directory: { source: this.directoryOf(instanceId), destination: DIRECTORY_PATH, readOnly: true, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] },
      exportScript: { source: this.exportScript, destination: EXPORT_SCRIPT_PATH, readOnly: true, options: ['bind', 'ro', 'nosuid', 'nodev'] },
    };
  }

  /**
   * Makes the instance's directory, empty, so the runtime can mount it while the bundle is still being
   * fetched; the instance's process must not run before stage() is done. What a crashed start left there
   * is removed first (zeroed, see remove()).
   */
  async prepare(instanceId: string): Promise<SecretsMounts> {
    const directory = this.directoryOf(instanceId);
    await assertMemoryFilesystem(this.root);
    await this.remove(instanceId);
    makeDirectory(directory);
    return this.mounts(instanceId);
  }

  /**
   * Writes the bundle as a new file (O_EXCL | O_NOFOLLOW: never through a planted link, never over an
   * older instance's file) in the instance's directory (made here without prepare()), owned by root, mode
   * 0400 or 0440 with the image's group.
   */
  async stage(instanceId: string, entries: Iterable<SecretEntry>, access: SecretsAccess = { kind: 'root' }): Promise<StagedSecrets> {
    const directory = this.directoryOf(instanceId);
    const file = this.pathOf(instanceId);
    await assertMemoryFilesystem(this.root);
    const gid = access.kind === 'group' ? await imageGroupId(access.rootfs, access.group) : 0;
    const mode = access.kind === 'group' ? 0o440 : 0o400;
    const bytes = new TextEncoder().encode(renderSecretsFile(entries));
    // Synchronous: a few calls on tmpfs that a start waits for, each of which would otherwise queue behind
    // the rest of the start's file work.
    const made = lstatSync(directory, { throwIfNoEntry: false });
    if (made === undefined) makeDirectory(directory);
    else if (!made.isDirectory()) throw alreadyStaged(instanceId, directory);
    let fd: number;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o400);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      throw alreadyStaged(instanceId, file);
    }
    try {
      fchownSync(fd, 0, gid);
      // Explicitly, since the umask could have taken the group bit from the mode given to open().
      fchmodSync(fd, mode);
      writeFileSync(fd, bytes);
    } catch (error) {
      closeSync(fd);
      await unlink(file).catch(() => undefined);
      throw error;
    }
    closeSync(fd);
    return { ...this.mounts(instanceId), file, mode, uid: 0, gid };
  }

  /**
   * Deletes the instance's file after overwriting it with zeros, then its directory: on tmpfs the file's
   * pages are the only copy, and zeroing them in place keeps the values out of freed memory that the kernel
   * hands out later. Call it once the instance has stopped (it would see the zeros). A no-op when nothing
   * is staged. The file an earlier agent staged beside the directories (`<root>/<instance>.env`) goes the same way.
   */
  async remove(instanceId: string): Promise<void> {
    const directory = this.directoryOf(instanceId);
    await zeroAndUnlink(`${directory}.env`);
    // Usually nothing (prepare() asks too): a stat, not a failed open.
    const st = lstatSync(directory, { throwIfNoEntry: false });
    if (st === undefined) return;
    // A symbolic link is not ours to follow: it goes, its target stays.
    if (!st.isDirectory()) return unlink(directory);
    await zeroAndUnlink(path.join(directory, FILE_NAME));
    await rmdir(directory);
  }
}

function alreadyStaged(instanceId: string, file: string): TrcError {
  return new TrcError('TRC_SECRETS_STAGE_EXISTS', `secrets are already staged for instance ${instanceId} at ${file}`, { hint: "remove the old instance's secrets before starting one with the same id" });
}

/** The instance's directory: root's, 0755 (the file's own mode says who reads it), never through a link. */
function makeDirectory(directory: string): void {
  mkdirSync(directory, { mode: 0o755 });
  // Explicitly, since the umask applies to mkdir's mode.
  chmodSync(directory, 0o755);
}

/** Overwrites a file with zeros, then deletes it; a symbolic link is deleted without writing through it. */
async function zeroAndUnlink(file: string): Promise<void> {
  if (lstatSync(file, { throwIfNoEntry: false }) === undefined) return;
  let handle;
  try {
    handle = await open(file, constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ELOOP') return unlink(file);
    throw error;
  }
  try {
    const { size } = await handle.stat();
    await handle.write(new Uint8Array(size), 0, size, 0);
  } finally {
    await handle.close();
  }
  await unlink(file);
}

/** The gid of a group named in the image's /etc/group (a symlinked /etc/group counts as absent). */
async function imageGroupId(rootfs: string, group: string): Promise<number> {
  const { group: text } = await readImageUserFiles(rootfs);
  const entry = parseGroup(text).find((g) => g.name === group);
  if (entry === undefined) {
    throw userError('TRC_SECRETS_STAGE_GROUP_UNKNOWN', `the secrets file is to be readable by group ${JSON.stringify(group)}, which the image's /etc/group does not define`, 'add the group to the image, or name a group it defines');
  }
  return entry.gid;
}
