// Pulls against a real registry (Debian's docker-registry, started here) with images this suite builds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../test-support/registry.ts';
import { refusal } from '../test-support/refusal.ts';
import { buildImage, busyboxLayerTar, pushImage, pushIndex, tarOf, type BuiltImage } from '../test-support/image-builder.ts';
import { ImagePuller, RegistryClient, type PullProgress } from './index.ts';

let registry: TestRegistry;
let busybox: BuiltImage;
const dirs: string[] = [];

before(async () => {
  registry = await startRegistry();
  busybox = buildImage({
    layers: [{ tar: await busyboxLayerTar() }, { tar: tarOf([{ type: 'file', path: 'app/hello.txt', content: 'hello\n' }]) }],
    config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['cat /app/hello.txt'], Env: ['PATH=/bin', 'GREETING=hi'], User: '65534:65534', WorkingDir: '/app', ExposedPorts: { '8080/tcp': {}, '53/udp': {} } },
  });
  await pushImage(registry, 'demo/busybox', 'v1', busybox);
});

after(async () => {
  await registry.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'trc-pull-'));
  dirs.push(d);
  return d;
}

/** A fetch that records the path of every request it passes on to the real registry. */
function recordingFetch(paths: string[]): typeof fetch {
  return (input, init) => {
    paths.push(new URL(input instanceof Request ? input.url : String(input)).pathname);
    return fetch(input, init);
  };
}

/**
 * Fault injection at the network boundary: the real registry's response, cut off after 1 KiB for the
 * first `breaks` blobs larger than 4 KiB (a dropped connection cannot be asked of docker-registry).
 */
function breakingFetch(breaks: number, paths: string[]): typeof fetch {
  let left = breaks;
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    paths.push(url.pathname);
    const res = await fetch(input, init);
    if (!url.pathname.includes('/blobs/') || Number(res.headers.get('content-length')) <= 4096 || left <= 0 || res.body === null) return res;
    left--;
    const reader = res.body.getReader();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= 1024) {
          await reader.cancel();
          controller.error(new Error('connection reset (injected)'));
          return;
        }
        const { done, value } = await reader.read();
        if (done) return controller.close();
        const part = value.subarray(0, 1024 - sent);
        sent += part.length;
        controller.enqueue(part);
      },
    });
    return new Response(body, { status: res.status, headers: res.headers });
  };
}

/** A loopback port nothing listens on: the kernel hands it out, and we close it again. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const refused = refusal('expected the pull to fail');

test('an image is pulled from a real registry into a rootfs that runs busybox, with its config typed', async () => {
  const state = stateDir();
  const puller = new ImagePuller(new RegistryClient(), state);
  const rootfs = join(state, 'rootfs');
  const image = await puller.pull(`${registry.host}/demo/busybox:v1`, { rootfs });
  assert.equal(image.digest, busybox.manifest.digest);
  assert.equal(image.manifestDigest, busybox.manifest.digest);
  assert.deepEqual(image.imageConfig, {
    os: 'linux', architecture: 'amd64', entrypoint: ['/bin/sh', '-c'], cmd: ['cat /app/hello.txt'], env: ['PATH=/bin', 'GREETING=hi'],
    user: '65534:65534', workingDir: '/app', exposedPorts: [{ port: 8080, protocol: 'tcp' }, { port: 53, protocol: 'udp' }], labels: {},
    diffIds: image.imageConfig.diffIds,
  });
  assert.equal(readFileSync(join(rootfs, 'app/hello.txt'), 'utf8'), 'hello\n');
  assert.equal(execFileSync(join(rootfs, 'bin/busybox'), ['echo', 'from the image'], { encoding: 'utf8', timeout: 10_000 }), 'from the image\n');
  const cached = readdirSync(join(state, 'blobs/sha256')).sort();
  const expected = [busybox.manifest, busybox.config, ...busybox.layers].map((b) => b.digest.slice('sha256:'.length)).sort();
  assert.deepEqual(cached, expected, 'manifest, config and layers are cached content-addressed');
  assert.deepEqual(readdirSync(join(state, 'blobs/tmp')), [], 'no temp file is left behind');
});

test('a second pull of a cached image fetches only the manifest, and images share cached layers', async () => {
  const state = stateDir();
  const paths: string[] = [];
  const puller = new ImagePuller(new RegistryClient({ fetch: recordingFetch(paths) }), state);
  await puller.pull(`${registry.host}/demo/busybox:v1`);
  assert.equal(paths.length, 4, `manifest, config and two layers: ${paths.join(' ')}`);
  paths.length = 0;
  await puller.pull(`${registry.host}/demo/busybox:v1`, { rootfs: join(state, 'again') });
  assert.deepEqual(paths, ['/v2/demo/busybox/manifests/v1']);
  paths.length = 0;
  await puller.pull(`${registry.host}/demo/busybox@${busybox.manifest.digest}`);
  assert.deepEqual(paths, [], 'a digest reference whose manifest is cached needs no request at all');

  const sibling = buildImage({ layers: [{ tar: await busyboxLayerTar() }, { tar: tarOf([{ type: 'file', path: 'other', content: 'x' }]) }] });
  await pushImage(registry, 'demo/sibling', 'latest', sibling);
  paths.length = 0;
  await puller.pull(`${registry.host}/demo/sibling`);
  assert.deepEqual(paths.sort(), ['/v2/demo/sibling/manifests/latest', `/v2/demo/sibling/blobs/${sibling.config.digest}`, `/v2/demo/sibling/blobs/${sibling.layers[1]!.digest}`].sort(),
    'the busybox layer is already cached from the other image');
});

test('an OCI index and a Docker manifest list resolve to the linux/amd64 manifest; a missing platform is an error', async () => {
  const tar = tarOf([{ type: 'file', path: 'arch', content: 'amd64' }]);
  const amd64 = buildImage({ layers: [{ tar }] });
  const arm64 = buildImage({ layers: [{ tar: tarOf([{ type: 'file', path: 'arch', content: 'arm64' }]) }], architecture: 'arm64' });
  const ociIndex = await pushIndex(registry, 'demo/multi', 'oci', [{ image: arm64, architecture: 'arm64' }, { image: amd64, architecture: 'amd64' }]);
  const dockerAmd64 = buildImage({ layers: [{ tar }], docker: true });
  const dockerArm64 = buildImage({ layers: [{ tar: tarOf([{ type: 'file', path: 'arch', content: 'arm64' }]) }], architecture: 'arm64', docker: true });
  const dockerList = await pushIndex(registry, 'demo/multi', 'docker', [{ image: dockerArm64, architecture: 'arm64' }, { image: dockerAmd64, architecture: 'amd64' }], true);

  const state = stateDir();
  const puller = new ImagePuller(new RegistryClient(), state);
  const resolved = await puller.resolve(`${registry.host}/demo/multi:oci`);
  assert.deepEqual([resolved.digest, resolved.manifestDigest], [ociIndex, amd64.manifest.digest]);
  const viaDocker = await puller.pull(`${registry.host}/demo/multi:docker`, { rootfs: join(state, 'docker') });
  assert.deepEqual([viaDocker.digest, viaDocker.manifestDigest], [dockerList, dockerAmd64.manifest.digest]);
  assert.equal(readFileSync(join(state, 'docker/arch'), 'utf8'), 'amd64');
  const arm = await puller.pull(`${registry.host}/demo/multi@${ociIndex}`, { platform: { os: 'linux', architecture: 'arm64' }, rootfs: join(state, 'arm') });
  assert.equal(arm.manifestDigest, arm64.manifest.digest);
  assert.equal(readFileSync(join(state, 'arm/arch'), 'utf8'), 'arm64');
  const e = await refused(puller.resolve(`${registry.host}/demo/multi:oci`, { platform: { os: 'linux', architecture: 's390x' } }));
  assert.equal(e.code, 'TRC_IMAGE_PLATFORM_MISSING');
  assert.match(e.message, /linux\/arm64, linux\/amd64/);
});

test('a blob or manifest that does not match its digest is an error and nothing of it is cached', async () => {
  const image = buildImage({ layers: [{ tar: tarOf([{ type: 'file', path: 'data', content: 'original content' }]) }] });
  await pushImage(registry, 'demo/corrupt', 'v1', image);
  const layer = image.layers[0]!;
  const hex = layer.digest.slice('sha256:'.length);
  const stored = join(registry.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  const bytes = readFileSync(stored);
  bytes[bytes.length - 9]! ^= 0xff;
  writeFileSync(stored, bytes);
  const state = stateDir();
  const puller = new ImagePuller(new RegistryClient(), state);
  const e = await refused(puller.pull(`${registry.host}/demo/corrupt:v1`, { rootfs: join(state, 'rootfs') }));
  assert.equal(e.code, 'TRC_IMAGE_DIGEST_MISMATCH');
  assert.ok(e.message.includes(layer.digest));
  assert.equal(existsSync(join(state, 'blobs/sha256', hex)), false, 'the corrupt layer is not cached');
  assert.deepEqual(readdirSync(join(state, 'blobs/tmp')), []);
  assert.equal(existsSync(join(state, 'rootfs')), false);

  const other = buildImage({ layers: [{ tar: tarOf([{ type: 'file', path: 'data', content: 'manifest test' }]) }] });
  await pushImage(registry, 'demo/corrupt', 'v2', other);
  const mhex = other.manifest.digest.slice('sha256:'.length);
  const storedManifest = join(registry.storage, 'docker/registry/v2/blobs/sha256', mhex.slice(0, 2), mhex, 'data');
  writeFileSync(storedManifest, readFileSync(storedManifest, 'utf8').replace('"schemaVersion":2', '"schemaVersion": 2'));
  const m = await refused(puller.pull(`${registry.host}/demo/corrupt:v2`));
  assert.equal(m.code, 'TRC_IMAGE_DIGEST_MISMATCH');
  assert.equal(existsSync(join(state, 'blobs/sha256', mhex)), false, 'the altered manifest is not cached');
});

test('pull reports progress in order: resolving, per blob downloading to the total then verifying, unpacking per layer, done', async () => {
  const state = stateDir();
  const events: PullProgress[] = [];
  const puller = new ImagePuller(new RegistryClient(), state);
  await puller.pull(`${registry.host}/demo/busybox:v1`, { rootfs: join(state, 'rootfs'), onProgress: (e) => events.push(e) });
  const phases = events.map((e) => e.phase).filter((p, i, all) => p !== 'downloading' || all[i - 1] !== 'downloading');
  assert.deepEqual(phases, ['resolving', 'resolved', 'downloading', 'verifying', 'downloading', 'verifying', 'downloading', 'verifying', 'unpacking', 'unpacking', 'done']);
  for (const blob of [busybox.config, ...busybox.layers]) {
    const mine = events.filter((e) => e.phase === 'downloading' && e.digest === blob.digest) as Extract<PullProgress, { phase: 'downloading' }>[];
    assert.equal(mine[0]!.done, 0);
    assert.equal(mine.at(-1)!.done, blob.bytes.length);
    assert.ok(mine.every((e, i) => e.total === blob.bytes.length && (i === 0 || e.done >= mine[i - 1]!.done)), 'bytes done only grow, up to the total');
  }
  assert.deepEqual(events.filter((e) => e.phase === 'unpacking').map((e) => e.phase === 'unpacking' && [e.index, e.count, e.digest]), busybox.layers.map((l, i) => [i, 2, l.digest]));

  const again: PullProgress[] = [];
  await puller.pull(`${registry.host}/demo/busybox:v1`, { onProgress: (e) => again.push(e) });
  assert.deepEqual(again.map((e) => e.phase), ['resolving', 'resolved', 'cached', 'cached', 'cached', 'done']);
});

test('a malicious image pulled from the registry is refused at unpack, naming layer and entry, and leaves no rootfs', async () => {
  const evil = buildImage({ layers: [{ tar: await busyboxLayerTar() }, { tar: tarOf([{ type: 'symlink', path: 'escape', linkpath: '/' }, { type: 'file', path: 'escape/tmp/trc-pwned', content: 'x' }]) }] });
  await pushImage(registry, 'demo/evil', 'v1', evil);
  const state = stateDir();
  const e = await refused(new ImagePuller(new RegistryClient(), state).pull(`${registry.host}/demo/evil:v1`, { rootfs: join(state, 'rootfs') }));
  assert.equal(e.code, 'TRC_IMAGE_LAYER_UNSAFE_PATH');
  assert.ok(e.message.includes(evil.layers[1]!.digest) && e.message.includes('"escape/tmp/trc-pwned"'), e.message);
  assert.equal(existsSync('/tmp/trc-pwned'), false);
  assert.equal(existsSync(join(state, 'rootfs')), false);
});

test('zstd layers, unknown names, oversized manifests and unreachable registries fail with their codes', async () => {
  const zstd = buildImage({ layers: [{ tar: tarOf([{ type: 'file', path: 'a' }]), compression: 'zstd-magic' }] });
  await pushImage(registry, 'demo/zstd', 'v1', zstd);
  const state = stateDir();
  const paths: string[] = [];
  const puller = new ImagePuller(new RegistryClient({ fetch: recordingFetch(paths) }), state);
  assert.equal((await refused(puller.pull(`${registry.host}/demo/zstd:v1`))).code, 'TRC_IMAGE_LAYER_UNSUPPORTED');
  assert.deepEqual(paths, ['/v2/demo/zstd/manifests/v1'], 'refused before any layer is downloaded');
  assert.equal((await refused(puller.pull(`${registry.host}/demo/nothing:v1`))).code, 'TRC_IMAGE_NOT_FOUND');
  assert.equal((await refused(puller.pull(`${registry.host}/demo/busybox:v404`))).code, 'TRC_IMAGE_NOT_FOUND');
  assert.equal((await refused(puller.pull('demo/Bad_Name'))).code, 'TRC_IMAGE_REFERENCE_INVALID');
  const small = new ImagePuller(new RegistryClient({ maxManifestBytes: 100 }), state);
  assert.equal((await refused(small.pull(`${registry.host}/demo/busybox:v1`))).code, 'TRC_IMAGE_TOO_LARGE');

  const attempts: string[] = [];
  const closed = new ImagePuller(new RegistryClient({ fetch: recordingFetch(attempts), retries: 2, retryDelayMs: 1 }), state);
  const down = await refused(closed.pull(`127.0.0.1:${await closedPort()}/demo/busybox:v1`));
  assert.equal(down.code, 'TRC_IMAGE_REGISTRY_UNAVAILABLE');
  assert.equal(attempts.length, 3, 'one attempt and two bounded retries');
});

test('a blob download that breaks off mid-stream is restarted, a bounded number of times', async () => {
  const layer = busybox.layers[0]!;
  const paths: string[] = [];
  const state = stateDir();
  const image = await new ImagePuller(new RegistryClient({ fetch: breakingFetch(1, paths) }), state).pull(`${registry.host}/demo/busybox:v1`, { rootfs: join(state, 'rootfs') });
  assert.equal(image.digest, busybox.manifest.digest);
  assert.equal(paths.filter((p) => p.endsWith(layer.digest)).length, 2, 'the broken layer was fetched again');
  assert.ok(existsSync(join(state, 'rootfs/bin/busybox')));

  const again: string[] = [];
  const other = stateDir();
  const e = await refused(new ImagePuller(new RegistryClient({ fetch: breakingFetch(10, again) }), other, { blobAttempts: 2 }).pull(`${registry.host}/demo/busybox:v1`));
  assert.equal(e.code, 'TRC_IMAGE_REGISTRY_UNAVAILABLE');
  assert.match(e.message, /broke off/);
  assert.equal(again.filter((p) => p.endsWith(layer.digest)).length, 2, 'two attempts, then the pull fails');
  assert.equal(existsSync(join(other, 'blobs/sha256', layer.digest.slice('sha256:'.length))), false);
  assert.deepEqual(readdirSync(join(other, 'blobs/tmp')), []);
});
