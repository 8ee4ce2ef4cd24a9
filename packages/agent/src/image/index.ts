// The node agent's OCI image API: pull (resolve, fetch, verify, cache) and unpack images.
export { ImagePuller, MAX_CONFIG_BYTES, type ImagePullerOptions, type PullOptions, type PullProgress, type PulledImage, type ResolveOptions, type ResolvedImage } from './pull.ts';
export { RegistryClient, MAX_MANIFEST_BYTES, type RegistryClientOptions, type Repository } from './registry-client.ts';
export type { RegistryCredentials } from './auth.ts';
export { BlobCache } from './blob-cache.ts';
export { parseReference, formatReference, type ImageReference } from './reference.ts';
export { LINUX_AMD64, MEDIA_TYPES, type Platform, type Descriptor } from './manifest.ts';
export type { ImageConfig, ExposedPort } from './image-config.ts';
export { unpackImage, type LayerToUnpack, type UnpackOptions } from './unpack.ts';
