// RootfsProvider without overlayfs: every instance gets its own full unpack of the image (slower to start
// and more disk, but needs nothing from the kernel).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ImageTree, RootfsProvider } from './rootfs.ts';

export class UnpackRootfs implements RootfsProvider {
  readonly kind = 'unpack';
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  pathOf(id: string): string {
    return path.join(this.#dir, id);
  }

  tree(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  async prepare(id: string, image: ImageTree): Promise<string> {
    // A root left by a crash mid-start is not trusted: unpack afresh.
    await this.release(id);
    await image.unpack(this.pathOf(id));
    return this.pathOf(id);
  }

  async started(): Promise<void> {}

  async close(): Promise<void> {}

  async release(id: string): Promise<void> {
    await rm(this.pathOf(id), { recursive: true, force: true });
  }
}
