// Unpacks image layers into a rootfs: gzip or plain tar, OCI whiteouts, and the safety rules of
// layer-paths.ts. The tar Parser only reads entries; every file system change is made here.
import { createReadStream } from 'node:fs';
import { chmod, chown, lchown, link, lstat, lutimes, mkdir, open, readdir, rm, symlink, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { TrcError, userError } from '@trc/core';
import { DigestVerifier } from './digest.ts';
import { components, refuse, safeDirectory, type EntryContext } from './layer-paths.ts';

export interface LayerToUnpack {
  /** The cached layer blob. */
  readonly file: string;
  /** The layer's (compressed) digest, named in every error. */
  readonly digest: string;
  /** The config's diff_id for this layer; the uncompressed stream must hash to it. */
  readonly diffId?: string;
}

export interface UnpackOptions {
  /** Keep uid/gid from the layer and keep setuid/setgid bits. Defaults to running as root. */
  readonly preserveOwnership?: boolean;
  /** Called before each layer starts unpacking. */
  readonly onLayer?: (index: number, layer: LayerToUnpack) => void;
  /** Bound on the uncompressed bytes of the whole image, so a gzip bomb cannot fill the disk. Default 64 GiB. */
  readonly maxUncompressedBytes?: number;
}

export const MAX_UNCOMPRESSED_BYTES = 64 * 1024 ** 3;

/** File system errors a malformed layer can cause (as opposed to a full or failing disk, which stay bugs). */
const LAYER_ERRNOS = new Set(['EEXIST', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EINVAL', 'ENAMETOOLONG', 'ELOOP', 'EMLINK', 'ENOTEMPTY', 'EXDEV']);

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Unpacks layers in order into `rootfs`, which must not exist or be empty. On any failure the rootfs is
 * removed, so a refused image never leaves a partial tree behind.
 */
export async function unpackImage(layers: readonly LayerToUnpack[], rootfs: string, options: UnpackOptions = {}): Promise<void> {
  await mkdir(rootfs, { recursive: true, mode: 0o755 });
  if ((await readdir(rootfs)).length > 0) {
    throw new TrcError('TRC_IMAGE_ROOTFS_NOT_EMPTY', `cannot unpack into ${rootfs}: it is not empty`, { hint: 'Unpack into a new, empty directory.' });
  }
  const budget = { left: options.maxUncompressedBytes ?? MAX_UNCOMPRESSED_BYTES };
  try {
    for (const [i, layer] of layers.entries()) {
      options.onLayer?.(i, layer);
      await unpackLayer(layer, rootfs, options.preserveOwnership ?? isRoot(), budget);
    }
  } catch (e) {
    await rm(rootfs, { recursive: true, force: true });
    throw e;
  }
}

async function sniff(file: string): Promise<'gzip' | 'zstd' | 'tar'> {
  const fh = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'tar';
  } finally {
    await fh.close();
  }
}

async function unpackLayer(layer: LayerToUnpack, rootfs: string, preserveOwnership: boolean, budget: { left: number }): Promise<void> {
  const format = await sniff(layer.file);
  if (format === 'zstd') {
    throw userError('TRC_IMAGE_LAYER_UNSUPPORTED', `layer ${layer.digest} is zstd-compressed, which the agent cannot unpack (only tar and tar+gzip)`,
      'Rebuild the image with gzip-compressed layers (e.g. `docker buildx build --output type=image,compression=gzip`).', { details: { digest: layer.digest } });
  }
  const writer = new LayerWriter(rootfs, layer.digest, preserveOwnership);
  const diff = layer.diffId === undefined ? undefined : new DigestVerifier(layer.diffId, undefined, `uncompressed layer ${layer.digest} (diff_id)`);
  let failure: unknown;
  let chain: Promise<void> = Promise.resolve();
  const parser = new Parser({
    strict: true,
    noResume: true,
    onReadEntry: (entry: ReadEntry) => {
      chain = chain.then(async () => {
        if (failure !== undefined) return void entry.resume();
        try {
          await writer.apply(entry);
        } catch (e) {
          const errno = (e as NodeJS.ErrnoException).code;
          failure ??= errno !== undefined && LAYER_ERRNOS.has(errno)
            ? refuse('TRC_IMAGE_LAYER_INVALID', { layer: layer.digest, path: entry.path }, `cannot be written (${errno})`)
            : e;
          entry.resume();
        }
      });
    },
  });
  const ended = new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
  });
  ended.catch(() => undefined);
  const file = createReadStream(layer.file);
  const gunzip = format === 'gzip' ? createGunzip() : undefined;
  const source = gunzip ?? file;
  const piping = gunzip === undefined ? Promise.resolve() : pipeline(file, gunzip);
  piping.catch(() => undefined);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (failure !== undefined) break;
      budget.left -= chunk.byteLength;
      if (budget.left < 0) {
        failure = userError('TRC_IMAGE_TOO_LARGE', `layer ${layer.digest} unpacks to more than the image may take uncompressed; the rootfs was removed`,
          'Build a smaller image.', { details: { digest: layer.digest } });
        break;
      }
      diff?.update(chunk);
      if (!parser.write(chunk)) await Promise.race([once(parser, 'drain'), ended]);
    }
    if (failure === undefined) {
      parser.end();
      await ended;
      await chain;
    }
  } catch (e) {
    failure ??= e instanceof TrcError ? e : refuse('TRC_IMAGE_LAYER_INVALID', { layer: layer.digest, path: writer.currentPath }, `cannot be read: ${(e as Error).message}`);
  } finally {
    file.destroy();
    gunzip?.destroy();
  }
  if (failure !== undefined) throw failure;
  diff?.finish();
}

/** Applies one layer's entries in archive order, remembering what this layer wrote (whiteouts only hide lower layers). */
class LayerWriter {
  readonly #root: string;
  readonly #layer: string;
  readonly #preserve: boolean;
  readonly #written = new Set<string>();
  currentPath = '';

  constructor(root: string, layer: string, preserveOwnership: boolean) {
    this.#root = root;
    this.#layer = layer;
    this.#preserve = preserveOwnership;
  }

  async apply(entry: ReadEntry): Promise<void> {
    this.currentPath = entry.path;
    const ctx: EntryContext = { layer: this.#layer, path: entry.path };
    if (entry.type === 'CharacterDevice' || entry.type === 'BlockDevice' || entry.type === 'FIFO') {
      throw refuse('TRC_IMAGE_LAYER_DEVICE', ctx, `is a ${entry.type === 'FIFO' ? 'FIFO' : entry.type === 'BlockDevice' ? 'block device' : 'character device'}, which is never created`);
    }
    const parts = components(entry.path, ctx);
    const name = parts.at(-1);
    if (name === undefined) {
      if (entry.type !== 'Directory') throw refuse('TRC_IMAGE_LAYER_INVALID', ctx, 'names the root, and is not a directory');
      return void entry.resume();
    }
    const parentParts = parts.slice(0, -1);
    const parent = await safeDirectory(this.#root, parentParts, ctx, true);
    if (name.startsWith(WHITEOUT)) {
      await this.#whiteout(parent, parentParts, name, ctx);
      return void entry.resume();
    }
    const target = join(parent, name);
    const existing = await lstat(target).catch(() => undefined);
    const mode = this.#mode(entry.mode ?? (entry.type === 'Directory' ? 0o755 : 0o644));
    switch (entry.type) {
      case 'Directory':
        if (existing !== undefined && !existing.isDirectory()) await rm(target, { recursive: true, force: true });
        if (existing === undefined || !existing.isDirectory()) await mkdir(target, { mode: 0o700 });
        await this.#own(target, entry, chown);
        await chmod(target, this.#preserve ? mode : mode | 0o700);
        entry.resume();
        break;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        if (existing !== undefined) await rm(target, { recursive: true, force: true });
        await this.#writeFile(target, entry, mode);
        break;
      case 'SymbolicLink':
        if (entry.linkpath === undefined || entry.linkpath === '') throw refuse('TRC_IMAGE_LAYER_INVALID', ctx, 'is a symbolic link without a target');
        if (existing !== undefined) await rm(target, { recursive: true, force: true });
        // Created as written: it is never followed while unpacking, and the runtime resolves it inside the container root.
        await symlink(entry.linkpath, target);
        await this.#own(target, entry, lchown);
        if (entry.mtime !== undefined) await lutimes(target, entry.mtime, entry.mtime);
        entry.resume();
        break;
      case 'Link': {
        const linkParts = components(entry.linkpath ?? '', ctx, 'is a hard link to');
        const sourceName = linkParts.at(-1);
        if (sourceName === undefined) throw refuse('TRC_IMAGE_LAYER_INVALID', ctx, 'is a hard link without a target');
        const source = join(await safeDirectory(this.#root, linkParts.slice(0, -1), ctx, false), sourceName);
        const st = await lstat(source).catch(() => undefined);
        if (st === undefined) throw refuse('TRC_IMAGE_LAYER_INVALID', ctx, `is a hard link to "${entry.linkpath}", which does not exist`);
        if (st.isDirectory()) throw refuse('TRC_IMAGE_LAYER_INVALID', ctx, `is a hard link to the directory "${entry.linkpath}"`);
        if (existing !== undefined) await rm(target, { recursive: true, force: true });
        await link(source, target);
        entry.resume();
        break;
      }
      default:
        throw refuse('TRC_IMAGE_LAYER_INVALID', ctx, `has the unsupported entry type ${entry.type}`);
    }
    this.#written.add(parts.join('/'));
  }

  /** `.wh.<name>` removes name from lower layers; `.wh..wh..opq` empties the directory of lower layers' entries. */
  async #whiteout(parent: string, parentParts: readonly string[], name: string, ctx: EntryContext): Promise<void> {
    const prefix = parentParts.length === 0 ? '' : `${parentParts.join('/')}/`;
    if (name === OPAQUE) {
      for (const child of await readdir(parent)) {
        if (!this.#written.has(prefix + child)) await rm(join(parent, child), { recursive: true, force: true });
      }
      return;
    }
    const hidden = name.slice(WHITEOUT.length);
    if (hidden === '' || hidden === '.' || hidden === '..') throw refuse('TRC_IMAGE_LAYER_UNSAFE_PATH', ctx, 'is a whiteout without a valid name');
    if (!this.#written.has(prefix + hidden)) await rm(join(parent, hidden), { recursive: true, force: true });
  }

  async #writeFile(target: string, entry: ReadEntry, mode: number): Promise<void> {
    let fh: FileHandle | undefined;
    try {
      // O_EXCL and O_NOFOLLOW: the path was just cleared, so a link appearing there is refused rather than followed.
      fh = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      for await (const chunk of entry as AsyncIterable<Buffer>) await fh.write(chunk);
      if (this.#preserve) await fh.chown(entry.uid ?? 0, entry.gid ?? 0);
      await fh.chmod(mode);
      if (entry.mtime !== undefined) await fh.utimes(entry.mtime, entry.mtime);
    } finally {
      await fh?.close();
    }
  }

  async #own(target: string, entry: ReadEntry, how: typeof chown): Promise<void> {
    if (this.#preserve) await how(target, entry.uid ?? 0, entry.gid ?? 0);
  }

  /** Setuid and setgid bits are kept only with ownership: on a file owned by the agent's user they would grant that user. */
  #mode(raw: number): number {
    const mode = raw & 0o7777;
    return this.#preserve ? mode : mode & ~0o6000;
  }
}
