// RootfsProvider on overlayfs: each image is unpacked once into a content-addressed lower directory
// (`.images/<algo>-<hex>`, complete once renamed into place), and each instance mounts it as the lower
// layer of its own overlay (`.layers/<id>/root`, upper and work beside it), so a second instance of an
// image unpacks nothing and its writes stay in its own upper directory. A spare root of each recently
// started image is mounted ahead (`.spare/<n>`), and the next start of that image renames it into place.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { chmod, chown, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { TrcError } from '@trc/core';
import { Batcher } from '../spawn/batcher.ts';
import { mountOverlay, unmountAll, unmountEach, unmountUnder, type MountTools } from './mounts.ts';
import type { ImageTree, RootfsProvider } from './rootfs.ts';

const KEY = /^([a-z0-9]+):([a-f0-9]{32,128})$/;

/** Images with a spare root at most (one spare each): the most recently started ones. */
export const SPARE_IMAGES = 2;

interface RootOwner {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

/** A spare root of one image: `dir` once mounted; dropped (unmounted) if evicted while being made. */
interface Spare {
  dir?: string;
  dropped: boolean;
  readonly making: Promise<void>;
}

export class OverlayRootfs implements RootfsProvider {
  readonly kind = 'overlay';
  readonly #dir: string;
  readonly #tools: MountTools;
  /** One unpack per image at a time; a finished one is found on disk. */
  readonly #unpacking = new Map<string, Promise<string>>();
  readonly #roots = new Map<string, Promise<RootOwner>>();
  /** By image tree, in the order they were last started. */
  readonly #spares = new Map<string, Spare>();
  #spareCount = 0;
  /** Instances prepared and not yet started: the spare of their image is refilled when they are. */
  readonly #refillAfter = new Map<string, { readonly lower: string; readonly owner: RootOwner }>();
  #cleaned: Promise<void> | undefined;
  /** Host-side unmounts after starts: one umount for those that come while another runs (a burst). */
  readonly #unmounts = new Batcher<string, void>(async (targets) => {
    if (targets.length > 1) await unmountEach(this.#tools, targets).catch(() => undefined);
    return Promise.allSettled(targets.map((t) => unmountAll(this.#tools, t)));
  });

  /** `dir` holds, in dot directories no instance id can name, the instance roots, the spares and the trees. */
  constructor(dir: string, tools: MountTools) {
    this.#dir = dir;
    this.#tools = tools;
  }

  pathOf(id: string): string {
    return path.join(this.#layers(id), 'root');
  }

  /** Where an older agent mounted an instance's root: released too. */
  #legacyPath(id: string): string {
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
      if (existsSync(final)) return final;
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
    const [lower] = await Promise.all([this.#image(image), this.#clean()]);
    // Independent steps side by side: each await is a trip through the thread pool, slow when a burst
    // keeps the host busy.
    const [owner] = await Promise.all([this.#rootOf(lower), this.release(id)]);
    const spare = this.#takeSpare(lower);
    let taken = false;
    if (spare !== undefined) {
      // The spare's directory (upper, work and the mounted root) becomes the instance's: one rename, done
      // synchronously (the start waits for it; queued in the thread pool it waits behind slower work).
      try {
        mkdirSync(path.dirname(this.#layers(id)), { recursive: true, mode: 0o700 });
        renameSync(spare, this.#layers(id));
        taken = true;
      } catch {
        taken = false;
      }
      if (!taken) void this.#dropSpare(spare);
    }
    if (!taken) await this.#mountRoot(this.#layers(id), lower, owner);
    // The next spare is mounted once this instance runs (started()), not while its start competes for the CPU.
    this.#refillAfter.set(id, { lower, owner });
    return this.pathOf(id);
  }

  /** `<dir>/root` as an overlay of `lower`, upper and work beside it. */
  async #mountRoot(dir: string, lower: string, owner: RootOwner): Promise<void> {
    const upper = path.join(dir, 'upper');
    const work = path.join(dir, 'work');
    const root = path.join(dir, 'root');
    await Promise.all([mkdir(upper, { recursive: true, mode: 0o755 }), mkdir(work, { recursive: true, mode: 0o700 }), mkdir(root, { recursive: true, mode: 0o755 })]);
    // The merged root takes the upper directory's owner and mode: make them the image root's.
    await Promise.all([chown(upper, owner.uid, owner.gid), chmod(upper, owner.mode & 0o7777)]);
    await mountOverlay(this.#tools, { lower, upper, work }, root);
  }

  /** A ready spare of the image, no longer the pool's. */
  #takeSpare(lower: string): string | undefined {
    const spare = this.#spares.get(lower);
    if (spare?.dir === undefined) return undefined;
    this.#spares.delete(lower);
    return spare.dir;
  }

  /**
   * Mounts a spare root of the image just started, off the start path, unless one exists or is being made;
   * the image started longest ago loses its spare beyond SPARE_IMAGES.
   */
  #refill(lower: string, owner: RootOwner): void {
    const known = this.#spares.get(lower);
    if (known !== undefined) {
      // Most recently started last.
      this.#spares.delete(lower);
      this.#spares.set(lower, known);
      return;
    }
    for (const [key, old] of this.#spares) {
      if (this.#spares.size < SPARE_IMAGES) break;
      this.#spares.delete(key);
      old.dropped = true;
      if (old.dir !== undefined) void this.#dropSpare(old.dir);
    }
    const dir = path.join(this.#dir, '.spare', `${Date.now().toString(36)}-${++this.#spareCount}`);
    const spare: Spare = {
      dropped: false,
      making: this.#mountRoot(dir, lower, owner).then(
        () => {
          if (spare.dropped) void this.#dropSpare(dir);
          else spare.dir = dir;
        },
        () => {
          if (this.#spares.get(lower) === spare) this.#spares.delete(lower);
          void this.#dropSpare(dir);
        },
      ),
    };
    this.#spares.set(lower, spare);
  }

  async #dropSpare(dir: string): Promise<void> {
    await unmountAll(this.#tools, path.join(dir, 'root')).catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Once per agent: spares an earlier agent left mounted are not trusted (nor needed). */
  #clean(): Promise<void> {
    this.#cleaned ??= (async () => {
      const spares = path.join(this.#dir, '.spare');
      await unmountUnder(this.#tools, spares);
      await rm(spares, { recursive: true, force: true });
    })();
    return this.#cleaned;
  }

  /** Unmounts and removes the spares (the agent stops): no mount outlives the agent. */
  async close(): Promise<void> {
    const spares = [...this.#spares.values()];
    this.#spares.clear();
    for (const spare of spares) spare.dropped = true;
    await Promise.allSettled(spares.map((s) => s.making));
    await Promise.allSettled(spares.map((s) => (s.dir === undefined ? undefined : this.#dropSpare(s.dir))));
  }

  /** The image tree's root owner and mode (never written after its rename, so read once). */
  #rootOf(lower: string): Promise<RootOwner> {
    let known = this.#roots.get(lower);
    if (known === undefined) {
      known = stat(lower).then((s) => ({ uid: s.uid, gid: s.gid, mode: s.mode }));
      known.catch(() => this.#roots.delete(lower));
      this.#roots.set(lower, known);
    }
    return known;
  }

  async started(id: string): Promise<void> {
    const refill = this.#refillAfter.get(id);
    this.#refillAfter.delete(id);
    if (refill !== undefined) this.#refill(refill.lower, refill.owner);
    await this.#unmounts.submit(this.pathOf(id));
  }

  async release(id: string): Promise<void> {
    this.#refillAfter.delete(id);
    // Nothing there (a fresh instance, the usual case at prepare): nothing is mounted there either.
    if (!existsSync(this.#layers(id)) && !existsSync(this.#legacyPath(id))) return;
    // Unmounted before anything is removed: a recursive remove through a mounted overlay would
    // only whiteout files, and the mount point itself cannot be removed.
    await Promise.all([unmountAll(this.#tools, this.pathOf(id)), unmountAll(this.#tools, this.#legacyPath(id))]);
    await Promise.all([rm(this.#legacyPath(id), { recursive: true, force: true }), rm(this.#layers(id), { recursive: true, force: true })]);
  }
}
