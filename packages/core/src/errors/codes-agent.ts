// Error codes of the agent area. Append only: a code is never renamed, renumbered or reused.
export const AGENT_CODES = {
  TRC_IMAGE_REFERENCE_INVALID: { kind: 'user', status: 400, summary: 'An image reference cannot be parsed (`registry/name:tag` or `name@sha256:<64 hex>`).' },
  TRC_IMAGE_NOT_FOUND: { kind: 'user', status: 404, summary: 'The registry has no such repository, tag or manifest.' },
  TRC_IMAGE_REGISTRY_UNAUTHORIZED: { kind: 'user', status: 401, summary: 'The registry or its token service refused the credentials, or granted no pull access to the repository.' },
  TRC_IMAGE_REGISTRY_UNAVAILABLE: { kind: 'bug', status: 503, summary: 'The registry could not be reached, timed out, or kept answering with a server error after the bounded retries.' },
  TRC_IMAGE_DIGEST_MISMATCH: { kind: 'bug', status: 502, summary: 'A manifest or blob the registry sent does not hash to its digest (or has the wrong size); nothing of it was cached.' },
  TRC_IMAGE_MANIFEST_INVALID: { kind: 'user', status: 400, summary: 'A manifest, index or image config is not valid JSON of a supported media type (OCI or Docker schema 2).' },
  TRC_IMAGE_TOO_LARGE: { kind: 'user', status: 413, summary: 'A manifest, index or image config is larger than the agent accepts (4 MiB for manifests, 8 MiB for configs).' },
  TRC_IMAGE_PLATFORM_MISSING: { kind: 'user', status: 400, summary: "The image index has no manifest for the node's platform (linux/amd64)." },
  TRC_IMAGE_LAYER_UNSUPPORTED: { kind: 'user', status: 415, summary: 'A layer uses a media type or compression the agent cannot unpack (zstd, foreign or unknown layers); only tar and tar+gzip are accepted.' },
  TRC_IMAGE_LAYER_UNSAFE_PATH: { kind: 'user', status: 400, summary: "A layer entry would write outside the image root: an absolute path, a `..` component, a write through a symbolic link, or a hard link leaving the layer's root; the rootfs is removed." },
  TRC_IMAGE_LAYER_DEVICE: { kind: 'user', status: 400, summary: 'A layer contains a character device, block device or FIFO, which the agent never creates; the rootfs is removed.' },
  TRC_IMAGE_LAYER_INVALID: { kind: 'user', status: 400, summary: 'A layer is not a readable tar archive, has an unsupported entry type, or needs a directory where a file is; the rootfs is removed.' },
  TRC_IMAGE_ROOTFS_NOT_EMPTY: { kind: 'bug', status: 500, summary: 'An image was to be unpacked into a directory that already has content.' },
} as const;
