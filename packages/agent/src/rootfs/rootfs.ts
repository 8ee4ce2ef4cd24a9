// The port for instance root filesystems: each instance gets a writable root made from its image's
// unpacked tree. overlay-rootfs.ts shares one unpacked tree per image; unpack-rootfs.ts (the fallback
// where overlayfs is missing) unpacks the image again for every instance.

/** An image's file tree, named by its content: the same key always unpacks to the same tree. */
export interface ImageTree {
  /** The image manifest's digest (`sha256:<hex>`). */
  readonly key: string;
  /** Unpacks the image into `into` (which does not exist yet, or is empty). */
  unpack(into: string): Promise<void>;
}

export interface RootfsProvider {
  readonly kind: 'overlay' | 'unpack';
  /** Where the instance's root is (whether or not it exists). */
  pathOf(id: string): string;
  /**
   * The image's shared, read-only tree, whose files an instance's root shows until the instance writes: a
   * runtime may read the image's /etc/passwd there while the root is still being made. Undefined when
   * roots share no tree (each is its own unpack).
   */
  tree(image: ImageTree): Promise<string | undefined>;
  /** Makes the instance's root from the image, replacing whatever an earlier attempt left; returns its path. */
  prepare(id: string, image: ImageTree): Promise<string>;
  /**
   * The runtime has started the instance and holds its own reference to the root (runc pivots into it
   * in the container's mount namespace): the host-side mount is no longer needed.
   */
  started(id: string): Promise<void>;
  /** Unmounts and removes what the provider keeps ready ahead of starts (the agent stops). */
  close(): Promise<void>;
  /** Removes the instance's root, unmounting it first; a no-op when there is none. */
  release(id: string): Promise<void>;
}
