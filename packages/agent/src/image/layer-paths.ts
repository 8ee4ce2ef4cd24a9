// Path safety for layer entries: every entry path is relative, has no `..`, and is reached from the
// rootfs through real directories only, never through a symbolic link (checked with lstat, component by component).
import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { userError, type ErrorCode, type TrcError } from '@trc/core';

/** Which layer and entry are being unpacked, so every refusal names both. */
export interface EntryContext {
  readonly layer: string;
  readonly path: string;
}

const HINTS: Partial<Record<ErrorCode, string>> = {
  TRC_IMAGE_LAYER_UNSAFE_PATH: 'Rebuild the image from a trusted base; the error names the layer digest and the entry path.',
  TRC_IMAGE_LAYER_DEVICE: 'Remove device files and FIFOs from the image (the runtime provides /dev).',
  TRC_IMAGE_LAYER_INVALID: 'Rebuild and push the image; the error names the layer digest and the entry path.',
};

export function refuse(code: 'TRC_IMAGE_LAYER_UNSAFE_PATH' | 'TRC_IMAGE_LAYER_DEVICE' | 'TRC_IMAGE_LAYER_INVALID', ctx: EntryContext, why: string): TrcError {
  return userError(code, `layer ${ctx.layer}: entry "${ctx.path}" ${why}; the rootfs was removed`, HINTS[code], { details: { layer: ctx.layer, path: ctx.path } });
}

/** Splits an archive path into components, dropping `.` and empty ones; absolute paths and `..` are refused. */
export function components(raw: string, ctx: EntryContext, what = 'is'): string[] {
  if (raw.startsWith('/')) throw refuse('TRC_IMAGE_LAYER_UNSAFE_PATH', ctx, `${what} an absolute path`);
  if (raw.includes('\0')) throw refuse('TRC_IMAGE_LAYER_UNSAFE_PATH', ctx, `${what} a path with a NUL byte`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse('TRC_IMAGE_LAYER_UNSAFE_PATH', ctx, `${what} a path with a ".." component`);
  return parts;
}

/**
 * Resolves the directory that holds an entry, walking from the root with lstat. A missing directory is
 * created (0755) when `create` is set; a symbolic link anywhere on the way is refused, because following it
 * could lead outside the root; a file where a directory is needed is refused too.
 */
export async function safeDirectory(root: string, parts: readonly string[], ctx: EntryContext, create: boolean): Promise<string> {
  let current = root;
  for (let i = 0; i < parts.length; i++) {
    current = join(current, parts[i]!);
    let st;
    try {
      st = await lstat(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (!create) throw refuse('TRC_IMAGE_LAYER_INVALID', ctx, `names "${parts.slice(0, i + 1).join('/')}", which does not exist`);
      await mkdir(current, { mode: 0o755 });
      continue;
    }
    const prefix = parts.slice(0, i + 1).join('/');
    if (st.isSymbolicLink()) throw refuse('TRC_IMAGE_LAYER_UNSAFE_PATH', ctx, `would be written through the symbolic link "${prefix}"`);
    if (!st.isDirectory()) throw refuse('TRC_IMAGE_LAYER_INVALID', ctx, `needs "${prefix}" to be a directory, and it is a file`);
  }
  return current;
}
