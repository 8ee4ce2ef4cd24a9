// Refuses to put secrets anywhere but memory: the staging directory must be on tmpfs or ramfs.
import { statfs } from 'node:fs/promises';
import { TrcError } from '@trc/core';

/** f_type values from linux/magic.h. */
export const TMPFS_MAGIC = 0x01021994;
export const RAMFS_MAGIC = 0x858458f6;

function notTmpfs(directory: string, why: string): TrcError {
  return new TrcError('TRC_SECRETS_STAGE_NOT_TMPFS', `the secrets directory ${directory} ${why}; secrets are only written to memory`, {
    hint: `mount a tmpfs there, e.g. mount -t tmpfs -o mode=0700,size=16m tmpfs ${directory}`,
  });
}

/** Throws TRC_SECRETS_STAGE_NOT_TMPFS unless the directory exists on tmpfs or ramfs. */
export async function assertMemoryFilesystem(directory: string): Promise<void> {
  let type: number;
  try {
    type = (await statfs(directory)).type;
  } catch (error) {
    throw notTmpfs(directory, `cannot be examined (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (type !== TMPFS_MAGIC && type !== RAMFS_MAGIC) throw notTmpfs(directory, `is not on tmpfs or ramfs (filesystem type 0x${type.toString(16)})`);
}
