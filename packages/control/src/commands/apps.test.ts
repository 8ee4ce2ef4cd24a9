// The app commands against the real SQLite store: environments, releases, deploy conflicts, scaling.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TrcError } from '@trc/core';
import { addNode, makeTestControl, operator, orgActor, IMAGE, DIGEST } from '../test-support/control.ts';
import { createOrg } from './orgs.ts';
import { createApp, createRelease, deploy, getApp, listApps, scale } from './apps.ts';

const t = await makeTestControl('apps');
after(() => t.close());
const { control } = t;
await createOrg(control, operator, { name: 'acme' });
await createOrg(control, operator, { name: 'globex' });
await addNode(control, 'node-1');
await addNode(control, 'node-2');
const acme = orgActor('acme');
const web = { web: { cpu: 0.5, memory: '512Mi', count: 2 } };

test('an app is created with its prod and staging environments; names are unique platform-wide', async () => {
  const app = await createApp(control, acme, { org: 'acme', name: 'shop' });
  assert.deepEqual(Object.keys(app.envs).sort(), ['prod', 'staging']);
  await assert.rejects(createApp(control, orgActor('globex'), { org: 'globex', name: 'shop' }), { code: 'TRC_ALREADY_EXISTS' });
  await assert.rejects(createApp(control, acme, { org: 'acme', name: 'Bad_Name' }), { code: 'TRC_INVALID_INPUT' });
  assert.deepEqual((await listApps(control, orgActor('globex'))).map((a) => a.name), []);
});

test('a release pins its image by digest and reports every problem at once', async () => {
  const r = await createRelease(control, acme, 'shop', { image: IMAGE, processes: web });
  assert.equal(r.version, 1);
  assert.equal(r.digest, DIGEST);
  assert.deepEqual(r.processes, { web: { cpu: 0.5, memoryBytes: 512 * 2 ** 20, count: 2 } });
  const error = await createRelease(control, acme, 'shop', { image: 'nginx:latest', processes: { web: { cpu: 0.001, memory: '512MB', count: -1 } } }).catch((e: unknown) => e);
  assert.ok(error instanceof TrcError);
  assert.equal(error.code, 'TRC_INVALID_INPUT');
  assert.deepEqual(error.problems.map((p) => p.path).sort(), ['image', 'processes.web.count', 'processes.web.cpu', 'processes.web.memory']);
  assert.match(error.problems.find((p) => p.path === 'processes.web.memory')!.hint ?? '', /512Mi/);
});

test('two concurrent deploys of one app cannot both win: the loser gets TRC_CONFLICT', async () => {
  await createRelease(control, acme, 'shop', { image: IMAGE, processes: web });
  const results = await Promise.allSettled([deploy(control, acme, 'shop', 'prod', { release: 1 }), deploy(control, acme, 'shop', 'prod', { release: 2 })]);
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r) => r.status === 'rejected');
  assert.equal(won.length, 1);
  assert.equal(lost.length, 1);
  assert.equal(((lost[0] as PromiseRejectedResult).reason as TrcError).code, 'TRC_CONFLICT');
  const app = await getApp(control, acme, 'shop');
  assert.equal(app.envs.prod!.release, (won[0] as PromiseFulfilledResult<{ release: number }>).value.release);
  assert.equal((await control.read()).apps.get('shop')!.envs.prod!.deploys.length, 1);
});

test('scaling needs a deployed release and a known process type; a deploy starts at the manifest count', async () => {
  assert.deepEqual((await getApp(control, acme, 'shop')).envs.prod!.scale, { web: 2 });
  const env = await scale(control, acme, 'shop', 'prod', { processType: 'web', count: 5 });
  assert.deepEqual(env.scale, { web: 5 });
  await assert.rejects(scale(control, acme, 'shop', 'staging', { processType: 'web', count: 1 }), { code: 'TRC_NOT_DEPLOYED' });
  await assert.rejects(scale(control, acme, 'shop', 'prod', { processType: 'worker', count: 1 }), { code: 'TRC_NOT_FOUND' });
  await assert.rejects(scale(control, acme, 'shop', 'qa', { processType: 'web', count: 1 }), { code: 'TRC_NOT_FOUND' });
});

test('another org cannot see or touch the app: it gets TRC_NOT_FOUND, as for an app that does not exist', async () => {
  const globex = orgActor('globex');
  await assert.rejects(getApp(control, globex, 'shop'), { code: 'TRC_NOT_FOUND' });
  await assert.rejects(deploy(control, globex, 'shop', 'prod', { release: 1 }), { code: 'TRC_NOT_FOUND' });
  await assert.rejects(createApp(control, globex, { org: 'acme', name: 'sneaky' }), { code: 'TRC_NOT_FOUND' });
});

test('the projection rebuilt from the log matches the live state (admin verify)', async () => {
  const result = await control.verify();
  assert.equal(result.ok, true, JSON.stringify(result.differences));
  assert.ok(result.events > 5);
});

test("a release can be made from the app's platform.toml: its process types come from the manifest", async () => {
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(new URL('../../../../docs/examples/platform.toml', import.meta.url), 'utf8');
  const release = await createRelease(control, acme, 'shop', { image: IMAGE, manifest: text });
  assert.deepEqual(Object.keys(release.processes), ['web', 'worker', 'db']);
  assert.deepEqual(release.processes.web, { cpu: 0.5, memoryBytes: 512 * 2 ** 20, count: 3 });
  assert.equal(release.manifest, text);
  await assert.rejects(createRelease(control, acme, 'shop', { image: IMAGE, manifest: text.replace('memory = "512Mi"', 'memory = "512MB"') }), { code: 'TRC_MANIFEST_INVALID' });
  await createApp(control, acme, { org: 'acme', name: 'other' });
  await assert.rejects(createRelease(control, acme, 'other', { image: IMAGE, manifest: text }), (e: TrcError) => e.problems.some((p) => p.path === 'manifest.app'));
  await assert.rejects(createRelease(control, acme, 'other', { image: IMAGE }), { code: 'TRC_RELEASE_INVALID' });
});
