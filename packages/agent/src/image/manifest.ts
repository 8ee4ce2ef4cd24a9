// Media types and typed parsing of OCI / Docker schema 2 manifests and indexes (manifest lists).
import { userError } from '@trc/core';
import { digestHex } from './digest.ts';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

/** The Accept header of every manifest request: both families, images and indexes. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest].join(', ');

export const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
export const IMAGE_MANIFEST_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export const LINUX_AMD64: Platform = { os: 'linux', architecture: 'amd64' };

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
}

export type Manifest =
  | { readonly kind: 'index'; readonly mediaType: string; readonly manifests: readonly Descriptor[] }
  | { readonly kind: 'image'; readonly mediaType: string; readonly config: Descriptor; readonly layers: readonly Descriptor[] };

function bad(what: string, why: string): Error {
  return userError('TRC_IMAGE_MANIFEST_INVALID', `${what} is invalid: ${why}`, 'Push the image as an OCI or Docker schema 2 image (schema 1 is not supported).');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function descriptor(v: unknown, where: string, what: string): Descriptor {
  if (!isObject(v)) throw bad(what, `${where} is not an object`);
  const { mediaType, digest, size, platform } = v;
  if (typeof mediaType !== 'string') throw bad(what, `${where}.mediaType is not a string`);
  if (typeof digest !== 'string') throw bad(what, `${where}.digest is not a string`);
  digestHex(digest, `${what} ${where}.digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(what, `${where}.size is not a non-negative integer`);
  if (platform === undefined) return { mediaType, digest, size };
  if (!isObject(platform) || typeof platform.os !== 'string' || typeof platform.architecture !== 'string') throw bad(what, `${where}.platform needs os and architecture`);
  const p: Platform = typeof platform.variant === 'string'
    ? { os: platform.os, architecture: platform.architecture, variant: platform.variant }
    : { os: platform.os, architecture: platform.architecture };
  return { mediaType, digest, size, platform: p };
}

/** Parses manifest bytes; the media type comes from the document, else from the response's Content-Type. */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined, what: string): Manifest {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad(what, 'it is not UTF-8 JSON');
  }
  if (!isObject(doc)) throw bad(what, 'it is not a JSON object');
  if (doc.schemaVersion !== 2) throw bad(what, `schemaVersion is ${JSON.stringify(doc.schemaVersion)}, not 2`);
  const header = contentType?.split(';')[0]?.trim();
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : header;
  if (mediaType !== undefined && INDEX_TYPES.has(mediaType) || (mediaType === undefined && Array.isArray(doc.manifests))) {
    if (!Array.isArray(doc.manifests)) throw bad(what, 'manifests is not an array');
    return { kind: 'index', mediaType: mediaType ?? MEDIA_TYPES.ociIndex, manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`, what)) };
  }
  if (mediaType !== undefined && !IMAGE_MANIFEST_TYPES.has(mediaType)) throw bad(what, `media type "${mediaType}" is not an image manifest or index`);
  if (!Array.isArray(doc.layers)) throw bad(what, 'layers is not an array');
  const config = descriptor(doc.config, 'config', what);
  if (config.mediaType !== MEDIA_TYPES.ociConfig && config.mediaType !== MEDIA_TYPES.dockerConfig) throw bad(what, `config media type "${config.mediaType}" is not an image config`);
  return { kind: 'image', mediaType: mediaType ?? MEDIA_TYPES.ociManifest, config, layers: doc.layers.map((l, i) => descriptor(l, `layers[${i}]`, what)) };
}

/** The first index entry for the platform (variant compared only when asked for); undefined when none. */
export function selectPlatform(manifests: readonly Descriptor[], platform: Platform): Descriptor | undefined {
  return manifests.find((m) => m.platform !== undefined
    && m.platform.os === platform.os
    && m.platform.architecture === platform.architecture
    && (platform.variant === undefined || m.platform.variant === platform.variant)
    && IMAGE_MANIFEST_TYPES.has(m.mediaType));
}

export type LayerCompression = 'gzip' | 'none';

/** How a layer is compressed, from its media type; zstd, foreign and unknown layers are refused. */
export function layerCompression(layer: Descriptor, imageRef: string): LayerCompression {
  switch (layer.mediaType) {
    case MEDIA_TYPES.ociLayerGzip:
    case MEDIA_TYPES.dockerLayerGzip:
      return 'gzip';
    case MEDIA_TYPES.ociLayer:
    case MEDIA_TYPES.dockerLayer:
      return 'none';
    default:
      throw userError('TRC_IMAGE_LAYER_UNSUPPORTED', `layer ${layer.digest} of ${imageRef} has media type "${layer.mediaType}", which the agent cannot unpack (only tar and tar+gzip)`,
        'Rebuild the image with gzip-compressed layers (e.g. `docker buildx build --output type=image,compression=gzip`).', { details: { digest: layer.digest } });
  }
}
