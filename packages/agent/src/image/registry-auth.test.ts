// Registry authentication against a real registry: Bearer tokens from a token service (per the distribution
// token spec), Basic auth, and the bounded timeout of a registry that never answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from '../test-support/registry.ts';
import { refusal, testDir } from '../test-support/refusal.ts';
import { buildImage, busyboxLayerTar, pushImage, tarOf } from '../test-support/image-builder.ts';
import { ImagePuller, RegistryClient, type RegistryClientOptions } from './index.ts';

function puller(t: { after: (fn: () => void) => void }, options: RegistryClientOptions): ImagePuller {
  return new ImagePuller(new RegistryClient(options), testDir(t, 'trc-auth-'));
}

const refused = refusal('expected the pull to fail');

const alice = { username: 'alice', password: 'correct horse' };

test('token auth: credentials go to the token service, one token per scope is cached, bad credentials are refused', async (t) => {
  await using registry = await startRegistry({ token: { users: [alice] } });
  const image = buildImage({ layers: [{ tar: await busyboxLayerTar() }] });
  await pushImage(registry, 'team/app', 'v1', image);
  await pushImage(registry, 'team/other', 'v1', buildImage({ layers: [{ tar: tarOf([{ type: 'file', path: 'x' }]) }] }));
  registry.tokenRequests.length = 0;

  const p = puller(t, { credentials: (host) => (host === registry.host ? alice : undefined) });
  await p.pull(`${registry.host}/team/app:v1`);
  await p.pull(`${registry.host}/team/app:v1`, { rootfs: join(p.cache.root, 'rootfs') });
  assert.deepEqual(registry.tokenRequests, ['repository:team/app:pull'], 'manifest, config, layer and a second pull share one token');
  await p.pull(`${registry.host}/team/other:v1`);
  assert.deepEqual(registry.tokenRequests, ['repository:team/app:pull', 'repository:team/other:pull'], 'another repository is another scope');
  await new RegistryClient({ credentials: () => alice }).ping(registry.host);

  const wrong = await refused(puller(t, { credentials: () => ({ username: 'alice', password: 'wrong' }) }).pull(`${registry.host}/team/app:v1`));
  assert.equal(wrong.code, 'TRC_IMAGE_REGISTRY_UNAUTHORIZED');
  assert.match(wrong.message, /refused the credentials of "alice"/);
  assert.ok(!wrong.message.includes('wrong') && !JSON.stringify(wrong.details).includes('wrong'), 'the password never appears in the error');
  const anonymous = await refused(puller(t, {}).pull(`${registry.host}/team/app:v1`));
  assert.equal(anonymous.code, 'TRC_IMAGE_REGISTRY_UNAUTHORIZED', 'an anonymous token without pull access is refused');
});

test('token auth: anonymous pull works when the token service grants it', async (t) => {
  await using registry = await startRegistry({ token: { users: [alice], anonymousPull: true } });
  await pushImage(registry, 'public/app', 'v1', buildImage({ layers: [{ tar: tarOf([{ type: 'file', path: 'hello', content: 'hi' }]) }] }));
  const image = await puller(t, {}).pull(`${registry.host}/public/app:v1`);
  assert.equal(image.layers.length, 1);
});

test('basic auth: credentials are sent when the registry challenges for them, and missing ones are refused', async (t) => {
  await using registry = await startRegistry({ basic: alice });
  await pushImage(registry, 'team/app', 'v1', buildImage({ layers: [{ tar: tarOf([{ type: 'file', path: 'hello', content: 'hi' }]) }] }));
  const image = await puller(t, { credentials: () => alice }).pull(`${registry.host}/team/app:v1`);
  assert.equal(image.layers.length, 1);
  const e = await refused(puller(t, {}).pull(`${registry.host}/team/app:v1`));
  assert.equal(e.code, 'TRC_IMAGE_REGISTRY_UNAUTHORIZED');
  assert.equal((await refused(puller(t, { credentials: () => ({ ...alice, password: 'nope' }) }).pull(`${registry.host}/team/app:v1`))).code, 'TRC_IMAGE_REGISTRY_UNAUTHORIZED');
});

test('a registry that accepts connections but never answers fails after the bounded timeout and retries', async (t) => {
  // A stalled registry cannot be made from docker-registry itself; a loopback socket that never answers stands in for it.
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const { port } = server.address() as { port: number };
  let attempts = 0;
  const counting: typeof fetch = (input, init) => {
    attempts++;
    return fetch(input, init);
  };
  const e = await refused(puller(t, { fetch: counting, timeoutMs: 150, retries: 1, retryDelayMs: 1 }).pull(`127.0.0.1:${port}/team/app:v1`));
  assert.equal(e.code, 'TRC_IMAGE_REGISTRY_UNAVAILABLE');
  assert.match(e.message, /no answer within 150 ms/);
  assert.equal(attempts, 2, 'one attempt and one retry');
});

test('an independent client (skopeo) reads what the builder pushes and writes schema 2 images the agent pulls, through the same token service', async (t) => {
  await using registry = await startRegistry({ token: { users: [alice] } });
  const image = buildImage({ layers: [{ tar: await busyboxLayerTar() }], config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'], WorkingDir: '/tmp' } });
  await pushImage(registry, 'team/app', 'v1', image);
  const dir = mkdtempSync(join(tmpdir(), 'trc-skopeo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const creds = `${alice.username}:${alice.password}`;
  // Async on purpose: the token server runs in this process and must keep answering while skopeo waits.
  const skopeo = (...args: string[]): Promise<{ stdout: string }> => promisify(execFile)('skopeo', ['--policy', policy, ...args], { timeout: 30_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });

  const inspected = JSON.parse((await skopeo('inspect', '--tls-verify=false', '--creds', creds, `docker://${registry.host}/team/app:v1`)).stdout) as { Digest: string; Layers: string[] };
  assert.equal(inspected.Digest, image.manifest.digest);
  assert.deepEqual(inspected.Layers, [image.layers[0]!.digest]);

  await skopeo('copy', '--format', 'v2s2', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', creds, '--dest-creds', creds,
    `docker://${registry.host}/team/app:v1`, `docker://${registry.host}/team/copy:v2s2`);
  const p = puller(t, { credentials: () => alice });
  const rootfs = join(p.cache.root, 'rootfs');
  const copied = await p.pull(`${registry.host}/team/copy:v2s2`, { rootfs });
  assert.notEqual(copied.digest, image.manifest.digest, 'skopeo wrote its own Docker schema 2 manifest');
  assert.equal(copied.imageConfig.workingDir, '/tmp');
  const { stdout } = await promisify(execFile)(join(rootfs, 'bin/busybox'), ['echo', 'copied'], { timeout: 10_000 });
  assert.equal(stdout, 'copied\n');
});
