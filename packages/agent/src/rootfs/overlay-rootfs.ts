// RootfsProvider on overlayfs: each image is unpacked once into a content-addressed lower directory
// (`.images/<algo>-<hex>`, complete once renamed into place), and each instance mounts it as the lower
// layer of its own overlay (upper and work in `.layers/<id>`), so a second instance of an image unpacks
// nothing and its writes stay in its own upper directory.
import { access, chmod, chown, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { TrcError } from '@trc/core';
import { Batcher } from '../spawn/batcher.ts';
import { mountOverlay, unmountAll, unmountEach, type MountTools } from './mounts.ts';
import type { ImageTree, RootfsProvider } from './rootfs.ts';

const KEY = /^([a-z0-9]+):([a-f0-9]{32,128})$/;

export class OverlayRootfs implements RootfsProvider {
  readonly kind = 'overlay';
  readonly #dir: string;
  readonly #tools: MountTools;
  /** One unpack per image at a time; a finished one is found on disk. */
  readonly #unpacking = new Map<string, Promise<string>>();
  readonly #roots = new Map<string, Promise<{ readonly uid: number; readonly gid: number; readonly mode: number }>>();
  /** Host-side unmounts after starts: one umount for those that come while another runs (a burst). */
  readonly #unmounts = new Batcher<string, void>(async (targets) => {
    if (targets.length > 1) await unmountEach(this.#tools, targets).catch(() => undefined);
    return Promise.allSettled(targets.map((t) => unmountAll(this.#tools, t)));
  });

  /** `dir` holds the instance roots (`<dir>/<id>`) and, in dot directories no instance id can name, the trees. */
  constructor(dir: string, tools: MountTools) {
    this.#dir = dir;
    this.#tools = tools;
  }

  pathOf(id: string): string {
    return path.join(this.#dir, id);
  }

  /** The image's shared, read-only tree: never written after the rename that completes it. */
  imageDir(key: string): string {
    const m = KEY.exec(key);
    if (m === null) throw new TrcError('TRC_INTERNAL', `not an image digest: ${JSON.stringify(key.slice(0, 100))}`);
    return path.join(this.#dir, '.images', `${m[1]}-${m[2]}`);
  }

  #layers(id: string): string {
    return path.join(this.#dir, '.layers', id);
  }

  async #image(image: ImageTree): Promise<string> {
    const final = this.imageDir(image.key);
    const running = this.#unpacking.get(final);
    if (running !== undefined) return running;
    const work = (async () => {
      if (await access(final).then(() => true, () => false)) return final;
      // A partial tree (a crash mid-unpack) is never renamed into place: start it over.
      const partial = path.join(path.dirname(final), `.partial-${path.basename(final)}`);
      await rm(partial, { recursive: true, force: true });
      await mkdir(path.dirname(final), { recursive: true, mode: 0o700 });
      await image.unpack(partial);
      await rename(partial, final);
      return final;
    })().finally(() => this.#unpacking.delete(final));
    this.#unpacking.set(final, work);
    return work;
  }

  tree(image: ImageTree): Promise<string> {
    return this.#image(image);
  }

  async prepare(id: string, image: ImageTree): Promise<string> {
    const lower = await this.#image(image);
    // Independent steps side by side: each await is a trip through the thread pool, slow when a burst
    // keeps the host busy.
    const [root] = await Promise.all([this.#rootOf(lower), this.release(id)]);
    const target = this.pathOf(id);
    const upper = path.join(this.#layers(id), 'upper');
    const work = path.join(this.#layers(id), 'work');
    await Promise.all([mkdir(upper, { recursive: true, mode: 0o755 }), mkdir(work, { recursive: true, mode: 0o700 }), mkdir(target, { recursive: true, mode: 0o755 })]);
    // The merged root takes the upper directory's owner and mode: make them the image root's.
    await Promise.all([chown(upper, root.uid, root.gid), chmod(upper, root.mode & 0o7777)]);
    await mountOverlay(this.#tools, { lower, upper, work }, target);
    return target;
  }

  /** The image tree's root owner and mode (never written after its rename, so read once). */
  #rootOf(lower: string): Promise<{ readonly uid: number; readonly gid: number; readonly mode: number }> {
    let known = this.#roots.get(lower);
    if (known === undefined) {
      known = stat(lower).then((s) => ({ uid: s.uid, gid: s.gid, mode: s.mode }));
      known.catch(() => this.#roots.delete(lower));
      this.#roots.set(lower, known);
    }
    return known;
  }

  async started(id: string): Promise<void> {
    await this.#unmounts.submit(this.pathOf(id));
  }

  async release(id: string): Promise<void> {
    // Unmounted before anything is removed: a recursive remove through a mounted overlay would
    // only whiteout files, and the mount point itself cannot be removed.
    await unmountAll(this.#tools, this.pathOf(id));
    await Promise.all([rm(this.pathOf(id), { recursive: true, force: true }), rm(this.#layers(id), { recursive: true, force: true })]);
  }
}
