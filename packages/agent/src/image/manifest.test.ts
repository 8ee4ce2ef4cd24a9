// Manifest and config parsing: OCI and Docker schema 2 media types, platform choice, and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrcError } from '@trc/core';
import { MEDIA_TYPES, layerCompression, parseManifest, selectPlatform } from './manifest.ts';
import { parseImageConfig } from './image-config.ts';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const bytes = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isTrcError(e), String(e));
    return e.code;
  }
  return 'no error';
}

test('OCI and Docker schema 2 manifests and indexes parse; the media type may come from Content-Type', () => {
  const image = { schemaVersion: 2, config: { mediaType: MEDIA_TYPES.dockerConfig, digest: d('c'), size: 10 }, layers: [{ mediaType: MEDIA_TYPES.dockerLayerGzip, digest: d('1'), size: 5 }] };
  const m = parseManifest(bytes({ ...image, mediaType: MEDIA_TYPES.dockerManifest }), undefined, 'm');
  assert.equal(m.kind, 'image');
  assert.equal(parseManifest(bytes(image), `${MEDIA_TYPES.ociManifest}; charset=utf-8`, 'm').mediaType, MEDIA_TYPES.ociManifest);
  const index = parseManifest(bytes({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifestList, manifests: [
    { mediaType: MEDIA_TYPES.dockerManifest, digest: d('a'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { mediaType: MEDIA_TYPES.dockerManifest, digest: d('b'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
  ] }), undefined, 'i');
  assert.equal(index.kind, 'index');
  if (index.kind !== 'index') return;
  assert.equal(selectPlatform(index.manifests, { os: 'linux', architecture: 'amd64' })?.digest, d('b'));
  assert.equal(selectPlatform(index.manifests, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, d('a'));
  assert.equal(selectPlatform(index.manifests, { os: 'linux', architecture: 'arm', variant: 'v6' }), undefined);
});

test('schema 1, unknown media types, bad digests and malformed JSON are refused as TRC_IMAGE_MANIFEST_INVALID', () => {
  const config = { mediaType: MEDIA_TYPES.ociConfig, digest: d('c'), size: 1 };
  for (const bad of [
    { schemaVersion: 1, name: 'x', fsLayers: [] },
    { schemaVersion: 2, mediaType: 'application/vnd.example+json', config, layers: [] },
    { schemaVersion: 2, config: { ...config, digest: 'md5:abc' }, layers: [] },
    { schemaVersion: 2, config: { ...config, mediaType: 'text/plain' }, layers: [] },
    { schemaVersion: 2, config, layers: [{ mediaType: MEDIA_TYPES.ociLayerGzip, digest: d('1'), size: -1 }] },
    { schemaVersion: 2, config },
    [],
  ]) {
    assert.equal(code(() => parseManifest(bytes(bad), undefined, 'm')), 'TRC_IMAGE_MANIFEST_INVALID', JSON.stringify(bad));
  }
  assert.equal(code(() => parseManifest(Buffer.from('{not json'), undefined, 'm')), 'TRC_IMAGE_MANIFEST_INVALID');
  assert.equal(code(() => layerCompression({ mediaType: MEDIA_TYPES.ociLayerZstd, digest: d('1'), size: 1 }, 'r')), 'TRC_IMAGE_LAYER_UNSUPPORTED');
  assert.equal(code(() => layerCompression({ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: d('1'), size: 1 }, 'r')), 'TRC_IMAGE_LAYER_UNSUPPORTED');
});

test('the image config is typed for the runtime, absent fields empty, malformed fields refused', () => {
  const c = parseImageConfig(bytes({ architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/app'], Cmd: null, Env: ['A=1'], User: 'app', WorkingDir: '/srv', ExposedPorts: { '80': {}, '443/tcp': {} }, Labels: { a: 'b' } }, rootfs: { type: 'layers', diff_ids: [d('1')] } }));
  assert.deepEqual(c, { os: 'linux', architecture: 'amd64', entrypoint: ['/app'], cmd: [], env: ['A=1'], user: 'app', workingDir: '/srv', exposedPorts: [{ port: 80, protocol: 'tcp' }, { port: 443, protocol: 'tcp' }], labels: { a: 'b' }, diffIds: [d('1')] });
  assert.deepEqual(parseImageConfig(bytes({})).entrypoint, []);
  assert.equal(code(() => parseImageConfig(bytes({ config: { Cmd: 'sh' } }))), 'TRC_IMAGE_MANIFEST_INVALID');
  assert.equal(code(() => parseImageConfig(bytes({ config: { ExposedPorts: { '99999/tcp': {} } } }))), 'TRC_IMAGE_MANIFEST_INVALID');
});
