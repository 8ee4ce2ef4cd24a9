// Builds small OCI / Docker schema 2 images in TypeScript for tests, and pushes them to a test registry
// with the distribution push API (monolithic POST + PUT uploads). Layers are busybox-static based, or
// crafted entry by entry (including malicious ones: `..`, absolute paths, devices, links out of the root).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { create, Header, Pax } from 'tar';

export const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'ls', 'cat', 'echo', 'true', 'false', 'env', 'id', 'sleep'];
const EPOCH = new Date(0);

export type EntrySpec =
  | { readonly type: 'file'; readonly path: string; readonly content?: string | Buffer; readonly mode?: number; readonly uid?: number; readonly gid?: number }
  | { readonly type: 'dir'; readonly path: string; readonly mode?: number; readonly uid?: number; readonly gid?: number }
  | { readonly type: 'symlink' | 'hardlink'; readonly path: string; readonly linkpath: string }
  | { readonly type: 'char' | 'block' | 'fifo'; readonly path: string };

const TYPE_NAMES = { file: 'File', dir: 'Directory', symlink: 'SymbolicLink', hardlink: 'Link', char: 'CharacterDevice', block: 'BlockDevice', fifo: 'FIFO' } as const;

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** An uncompressed tar with exactly these entries, paths written as given (the builder never sanitises). */
export function tarOf(entries: readonly EntrySpec[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const content = e.type === 'file' ? Buffer.from(e.content ?? '') : Buffer.alloc(0);
    const mode = 'mode' in e && e.mode !== undefined ? e.mode : e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644;
    const header = new Header({
      path: e.path, type: TYPE_NAMES[e.type], mode, size: content.length, mtime: EPOCH,
      uid: 'uid' in e && e.uid !== undefined ? e.uid : 0, gid: 'gid' in e && e.gid !== undefined ? e.gid : 0,
      ...('linkpath' in e ? { linkpath: e.linkpath } : {}),
      ...(e.type === 'char' ? { devmaj: 1, devmin: 3 } : {}),
    });
    // Long paths and link targets go into a pax extended header, as real tars write them.
    if (header.encode()) blocks.push(new Pax({ path: e.path, ...('linkpath' in e ? { linkpath: e.linkpath } : {}) }).encode());
    blocks.push(header.block!, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A malicious layer for refusal tests: its entries, the code it must be refused with, and the entry named. */
export interface MaliciousLayer {
  readonly name: string;
  readonly entries: readonly EntrySpec[];
  readonly code: 'TRC_IMAGE_LAYER_UNSAFE_PATH' | 'TRC_IMAGE_LAYER_DEVICE';
  /** The entry path the refusal names. */
  readonly path: string;
  /** Where, relative to the rootfs's parent, the layer would have written had it been followed. */
  readonly outside?: string;
}

/** Layers that try to leave their root (`..`, absolute paths, symlinks, hard links) or create devices; unpack into `<dir>/rootfs` beside `<dir>/outside/secret`. */
export const MALICIOUS_LAYERS: readonly MaliciousLayer[] = [
  { name: 'a ../ escape', entries: [{ type: 'file', path: '../escaped', content: 'x' }], code: 'TRC_IMAGE_LAYER_UNSAFE_PATH', path: '../escaped', outside: 'escaped' },
  { name: 'a nested ../ escape', entries: [{ type: 'dir', path: 'a/' }, { type: 'file', path: 'a/../../escaped', content: 'x' }], code: 'TRC_IMAGE_LAYER_UNSAFE_PATH', path: 'a/../../escaped', outside: 'escaped' },
  { name: 'an absolute path', entries: [{ type: 'file', path: '/abs-escaped', content: 'x' }], code: 'TRC_IMAGE_LAYER_UNSAFE_PATH', path: '/abs-escaped' },
  {
    name: 'a write through a symlink to outside',
    entries: [{ type: 'symlink', path: 'evil', linkpath: '../outside' }, { type: 'file', path: 'evil/pwned', content: 'x' }],
    code: 'TRC_IMAGE_LAYER_UNSAFE_PATH', path: 'evil/pwned', outside: 'outside/pwned',
  },
  {
    name: 'a write through a symlink that stays inside',
    entries: [{ type: 'dir', path: 'real/' }, { type: 'symlink', path: 'alias', linkpath: 'real' }, { type: 'file', path: 'alias/f', content: 'x' }],
    code: 'TRC_IMAGE_LAYER_UNSAFE_PATH', path: 'alias/f',
  },
  { name: 'a hard link to outside', entries: [{ type: 'hardlink', path: 'passwd', linkpath: '../outside/secret' }], code: 'TRC_IMAGE_LAYER_UNSAFE_PATH', path: 'passwd' },
  {
    name: 'a hard link through a symlink to outside',
    entries: [{ type: 'symlink', path: 'up', linkpath: '../outside' }, { type: 'hardlink', path: 'stolen', linkpath: 'up/secret' }],
    code: 'TRC_IMAGE_LAYER_UNSAFE_PATH', path: 'stolen',
  },
  { name: 'an absolute hard link', entries: [{ type: 'hardlink', path: 'shadow', linkpath: '/etc/shadow' }], code: 'TRC_IMAGE_LAYER_UNSAFE_PATH', path: 'shadow' },
  { name: 'a character device', entries: [{ type: 'char', path: 'dev/null' }], code: 'TRC_IMAGE_LAYER_DEVICE', path: 'dev/null' },
  { name: 'a block device', entries: [{ type: 'block', path: 'dev/sda' }], code: 'TRC_IMAGE_LAYER_DEVICE', path: 'dev/sda' },
  { name: 'a FIFO', entries: [{ type: 'fifo', path: 'pipe' }], code: 'TRC_IMAGE_LAYER_DEVICE', path: 'pipe' },
];

let busyboxTar: Promise<Buffer> | undefined;

/** A layer with /bin/busybox (from busybox-static), applet symlinks, /etc/passwd and /tmp, made with tar's create API. */
export function busyboxLayerTar(): Promise<Buffer> {
  busyboxTar ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trc-busybox-'));
    try {
      mkdirSync(join(dir, 'bin'));
      mkdirSync(join(dir, 'etc'));
      mkdirSync(join(dir, 'tmp'), { mode: 0o1777 });
      copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
      for (const applet of APPLETS) symlinkSync('busybox', join(dir, 'bin', applet));
      writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
      const chunks: Buffer[] = [];
      for await (const chunk of create({ cwd: dir, portable: true, mtime: EPOCH }, ['bin', 'etc', 'tmp']) as AsyncIterable<Buffer>) chunks.push(chunk);
      return Buffer.concat(chunks);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return busyboxTar;
}

export interface LayerSpec {
  /** The uncompressed tar. */
  readonly tar: Buffer;
  /** gzip (the default) or plain tar; `zstd-magic` stores bytes that start like zstd, labelled as zstd. */
  readonly compression?: 'gzip' | 'none' | 'zstd-magic';
}

export interface Blob {
  readonly mediaType: string;
  readonly digest: string;
  readonly bytes: Buffer;
}

export interface BuiltImage {
  readonly manifest: Blob;
  readonly config: Blob;
  readonly layers: readonly Blob[];
}

export interface ImageSpec {
  readonly layers: readonly LayerSpec[];
  /** Docker schema 2 media types instead of OCI ones. */
  readonly docker?: boolean;
  readonly architecture?: string;
  readonly config?: Readonly<Record<string, unknown>>;
  /** Overrides the diff_ids written into the config (to test the check). */
  readonly diffIds?: readonly string[];
}

function blob(mediaType: string, bytes: Buffer): Blob {
  return { mediaType, digest: sha256(bytes), bytes };
}

export function buildImage(spec: ImageSpec): BuiltImage {
  const docker = spec.docker ?? false;
  const layers = spec.layers.map((l) => {
    const c = l.compression ?? 'gzip';
    if (c === 'none') return blob(docker ? 'application/vnd.docker.image.rootfs.diff.tar' : 'application/vnd.oci.image.layer.v1.tar', l.tar);
    if (c === 'zstd-magic') return blob('application/vnd.oci.image.layer.v1.tar+zstd', Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), l.tar]));
    return blob(docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(l.tar));
  });
  const config = blob(docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify({
    architecture: spec.architecture ?? 'amd64',
    os: 'linux',
    config: spec.config ?? { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
    rootfs: { type: 'layers', diff_ids: spec.diffIds ?? spec.layers.map((l) => sha256(l.tar)) },
  })));
  const descriptor = (b: Blob): object => ({ mediaType: b.mediaType, digest: b.digest, size: b.bytes.length });
  const manifestType = docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json';
  const manifest = blob(manifestType, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: manifestType, config: descriptor(config), layers: layers.map(descriptor) })));
  return { manifest, config, layers };
}

/** An index (OCI) or manifest list (Docker) over images, each with its platform. */
export function buildIndex(entries: readonly { readonly image: BuiltImage; readonly architecture: string }[], docker = false): Blob {
  const mediaType = docker ? 'application/vnd.docker.distribution.manifest.list.v2+json' : 'application/vnd.oci.image.index.v1+json';
  return blob(mediaType, Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    manifests: entries.map((e) => ({ mediaType: e.image.manifest.mediaType, digest: e.image.manifest.digest, size: e.image.manifest.bytes.length, platform: { os: 'linux', architecture: e.architecture } })),
  })));
}

/** Where to push: the registry's host, and an Authorization header per repository when it needs one. */
export interface PushTarget {
  readonly host: string;
  authorization(repository: string): string | undefined;
}

async function send(target: PushTarget, repository: string, method: string, url: string, body: Buffer | undefined, contentType?: string): Promise<Response> {
  const auth = target.authorization(repository);
  const headers: Record<string, string> = { ...(auth === undefined ? {} : { authorization: auth }), ...(contentType === undefined ? {} : { 'content-type': contentType }) };
  const init: RequestInit = { method, headers, signal: AbortSignal.timeout(15_000), ...(body === undefined ? {} : { body }) };
  const res = await fetch(new URL(url, `http://${target.host}`), init);
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

/** Pushes one blob: POST starts an upload, one PUT with the digest completes it (monolithic). */
export async function pushBlob(target: PushTarget, repository: string, b: Blob): Promise<void> {
  const started = await send(target, repository, 'POST', `/v2/${repository}/blobs/uploads/`, undefined);
  await started.body?.cancel();
  const location = new URL(started.headers.get('location') ?? '', `http://${target.host}`);
  location.searchParams.set('digest', b.digest);
  const done = await send(target, repository, 'PUT', location.toString(), b.bytes, 'application/octet-stream');
  await done.body?.cancel();
}

export async function pushManifest(target: PushTarget, repository: string, reference: string, manifest: Blob): Promise<string> {
  const res = await send(target, repository, 'PUT', `/v2/${repository}/manifests/${reference}`, manifest.bytes, manifest.mediaType);
  await res.body?.cancel();
  return manifest.digest;
}

/** Pushes config, layers and manifest; tagged when `tag` is given. Returns the manifest digest. */
export async function pushImage(target: PushTarget, repository: string, tag: string | undefined, image: BuiltImage): Promise<string> {
  for (const b of [image.config, ...image.layers]) await pushBlob(target, repository, b);
  return pushManifest(target, repository, tag ?? image.manifest.digest, image.manifest);
}

/** Pushes every image by digest, then the index under `tag`. Returns the index digest. */
export async function pushIndex(target: PushTarget, repository: string, tag: string, entries: readonly { readonly image: BuiltImage; readonly architecture: string }[], docker = false): Promise<string> {
  for (const e of entries) await pushImage(target, repository, undefined, e.image);
  return pushManifest(target, repository, tag, buildIndex(entries, docker));
}
