// Pulling an image: resolve a reference to its manifest, fetch config and layers into the blob cache
// (verified, and only what is missing), then optionally unpack into a rootfs. Progress goes to a callback.
import { isTrcError, userError } from '@trc/core';
import { BlobCache } from './blob-cache.ts';
import { parseImageConfig, type ImageConfig } from './image-config.ts';
import { LINUX_AMD64, layerCompression, parseManifest, selectPlatform, type Descriptor, type Platform } from './manifest.ts';
import { formatReference, manifestReference, parseReference, type ImageReference } from './reference.ts';
import type { RegistryClient, Repository } from './registry-client.ts';
import { unpackImage } from './unpack.ts';

export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/** What a pull reports, in this order per image: resolving, then per blob cached or downloading..verifying, then unpacking per layer. */
export type PullProgress =
  | { readonly phase: 'resolving'; readonly reference: string }
  | { readonly phase: 'resolved'; readonly digest: string; readonly manifestDigest: string; readonly layers: number; /** The layers' compressed sizes, summed. */ readonly layerBytes: number }
  | { readonly phase: 'cached'; readonly digest: string; readonly total: number }
  | { readonly phase: 'downloading'; readonly digest: string; readonly done: number; readonly total: number }
  | { readonly phase: 'verifying'; readonly digest: string; readonly total: number }
  | { readonly phase: 'unpacking'; readonly digest: string; readonly index: number; readonly count: number }
  | { readonly phase: 'done'; readonly digest: string };

export interface ResolveOptions {
  /** The platform picked from an index; linux/amd64 unless given. */
  readonly platform?: Platform;
}

export interface PullOptions extends ResolveOptions {
  /** Unpack into this directory (which must not exist or be empty) once every blob is cached. */
  readonly rootfs?: string;
  readonly onProgress?: (event: PullProgress) => void;
  /** Keep layer ownership and setuid bits; defaults to running as root. */
  readonly preserveOwnership?: boolean;
}

export interface ResolvedImage {
  readonly reference: ImageReference;
  /** What the reference names: the index digest for a multi-platform image, else the manifest digest. Pin this. */
  readonly digest: string;
  /** The image manifest for the platform (equal to `digest` for a single-platform image). */
  readonly manifestDigest: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export interface PulledImage extends ResolvedImage {
  readonly config: Descriptor;
  readonly imageConfig: ImageConfig;
  /** Cached layer blobs, in order. */
  readonly layerFiles: readonly string[];
}

export interface ImagePullerOptions {
  /** Downloads of one blob before giving up when the registry breaks off mid-stream (a restart begins at byte 0). */
  readonly blobAttempts?: number;
}

/** Pulls through one client into one blob cache (`<stateDir>/blobs/sha256/<hex>`), shared by every image. */
export class ImagePuller {
  readonly cache: BlobCache;
  readonly #client: RegistryClient;
  readonly #blobAttempts: number;

  constructor(client: RegistryClient, stateDir: string, options: ImagePullerOptions = {}) {
    this.#client = client;
    this.cache = new BlobCache(stateDir);
    this.#blobAttempts = Math.max(1, options.blobAttempts ?? 3);
  }

  /** Resolves a reference to its digest without fetching config or layers (the control plane pins releases with this). */
  async resolve(ref: string | ImageReference, options: ResolveOptions = {}): Promise<ResolvedImage> {
    const reference = typeof ref === 'string' ? parseReference(ref) : ref;
    const repo: Repository = reference;
    const platform = options.platform ?? LINUX_AMD64;
    const text = formatReference(reference);
    const top = await this.#manifest(repo, manifestReference(reference), text);
    if (top.manifest.kind === 'image') return { reference, digest: top.digest, manifestDigest: top.digest, config: top.manifest.config, layers: top.manifest.layers };
    const chosen = selectPlatform(top.manifest.manifests, platform);
    if (chosen === undefined) {
      const offered = top.manifest.manifests.map((m) => (m.platform === undefined ? '?' : `${m.platform.os}/${m.platform.architecture}`)).join(', ');
      throw userError('TRC_IMAGE_PLATFORM_MISSING', `${text} has no manifest for ${platform.os}/${platform.architecture} (it offers ${offered || 'none'})`,
        `Build and push the image for ${platform.os}/${platform.architecture} too.`);
    }
    const image = await this.#manifest(repo, chosen.digest, text);
    if (image.manifest.kind !== 'image') throw userError('TRC_IMAGE_MANIFEST_INVALID', `${text}: the index entry ${chosen.digest} is itself an index`, 'Push the image as an OCI or Docker schema 2 image.');
    return { reference, digest: top.digest, manifestDigest: image.digest, config: image.manifest.config, layers: image.manifest.layers };
  }

  /** Pulls an image: every blob verified and cached, nothing fetched twice; unpacked when `rootfs` is given. */
  async pull(ref: string | ImageReference, options: PullOptions = {}): Promise<PulledImage> {
    const progress = options.onProgress ?? (() => undefined);
    const reference = typeof ref === 'string' ? parseReference(ref) : ref;
    progress({ phase: 'resolving', reference: formatReference(reference) });
    const resolved = await this.resolve(reference, options);
    progress({ phase: 'resolved', digest: resolved.digest, manifestDigest: resolved.manifestDigest, layers: resolved.layers.length, layerBytes: resolved.layers.reduce((sum, l) => sum + l.size, 0) });
    const text = formatReference(reference);
    if (resolved.config.size > MAX_CONFIG_BYTES) {
      throw userError('TRC_IMAGE_TOO_LARGE', `the config of ${text} is ${resolved.config.size} bytes, more than ${MAX_CONFIG_BYTES}`, 'Build a smaller image config (fewer labels or history entries).');
    }
    for (const layer of resolved.layers) layerCompression(layer, text);
    await this.#blob(reference, resolved.config, 'config', progress);
    const imageConfig = parseImageConfig(await this.cache.read(resolved.config.digest));
    const layerFiles: string[] = [];
    for (const layer of resolved.layers) layerFiles.push(await this.#blob(reference, layer, 'layer', progress));
    const pulled: PulledImage = { ...resolved, imageConfig, layerFiles };
    if (options.rootfs !== undefined) await this.unpack(pulled, options.rootfs, options);
    progress({ phase: 'done', digest: resolved.digest });
    return pulled;
  }

  /** Unpacks a pulled image into an empty rootfs, checking each layer against the config's diff_ids. */
  async unpack(image: PulledImage, rootfs: string, options: Pick<PullOptions, 'onProgress' | 'preserveOwnership'> = {}): Promise<void> {
    const { diffIds } = image.imageConfig;
    if (diffIds.length !== 0 && diffIds.length !== image.layers.length) {
      throw userError('TRC_IMAGE_MANIFEST_INVALID', `${formatReference(image.reference)} has ${image.layers.length} layers but ${diffIds.length} diff_ids in its config`, 'Rebuild and push the image.');
    }
    const layers = image.layers.map((l, i) => ({ file: image.layerFiles[i]!, digest: l.digest, ...(diffIds[i] === undefined ? {} : { diffId: diffIds[i] }) }));
    await unpackImage(layers, rootfs, {
      ...(options.preserveOwnership === undefined ? {} : { preserveOwnership: options.preserveOwnership }),
      onLayer: (index, layer) => options.onProgress?.({ phase: 'unpacking', digest: layer.digest, index, count: layers.length }),
    });
  }

  /** A manifest by digest comes from the cache when present (content-addressed, so never stale); tags always ask the registry. */
  async #manifest(repo: Repository, reference: string, text: string): Promise<{ digest: string; manifest: ReturnType<typeof parseManifest> }> {
    if (reference.startsWith('sha256:') && (await this.cache.has(reference))) {
      return { digest: reference, manifest: parseManifest(await this.cache.read(reference), undefined, `manifest ${reference} of ${text}`) };
    }
    const fetched = await this.#client.getManifest(repo, reference);
    const manifest = parseManifest(fetched.bytes, fetched.contentType, `manifest ${fetched.digest} of ${text}`);
    await this.cache.put(fetched.digest, fetched.bytes, 'manifest');
    return { digest: fetched.digest, manifest };
  }

  async #blob(repo: Repository, d: Descriptor, what: 'config' | 'layer', progress: (e: PullProgress) => void): Promise<string> {
    if (await this.cache.has(d.digest)) {
      progress({ phase: 'cached', digest: d.digest, total: d.size });
      return this.cache.path(d.digest);
    }
    for (let attempt = 1; ; attempt++) {
      let done = 0;
      progress({ phase: 'downloading', digest: d.digest, done, total: d.size });
      try {
        return await this.cache.write(d.digest, d.size, verifyingPhase(this.#client.blob(repo, d.digest), () => progress({ phase: 'verifying', digest: d.digest, total: d.size })), what, (n) => {
          done += n;
          progress({ phase: 'downloading', digest: d.digest, done, total: d.size });
        });
      } catch (e) {
        // Only a broken transfer is worth repeating; a digest mismatch or a refusal would come back the same.
        if (!isTrcError(e) || e.code !== 'TRC_IMAGE_REGISTRY_UNAVAILABLE' || attempt >= this.#blobAttempts) throw e;
      }
    }
  }
}

/** Reports the verifying phase when the stream ends, just before the cache checks the digest. */
async function* verifyingPhase(chunks: AsyncIterable<Uint8Array>, onEnd: () => void): AsyncGenerator<Uint8Array> {
  yield* chunks;
  onEnd();
}
