// Environments as resources at the command layer: created by name, usable everywhere an env is, deleted only empty.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TrcError } from '@trc/core';
import { makeShopControl, operator, orgActor, IMAGE } from '../test-support/control.ts';
import { createOrg } from './orgs.ts';
import { createRelease, deploy, getApp, scale } from './apps.ts';
import { createEnv, deleteEnv, getEnv, listEnvs } from './envs.ts';
import { createRoute, allocateIpv4, deleteRoute, releaseIpv4, setIpv4Pool } from './routes.ts';
import { createVolume, deleteVolume } from './volumes.ts';
import { setSecrets, listSecrets } from './secrets.ts';

const t = await makeShopControl('envs');
after(() => t.close());
const { control } = t;
const acme = orgActor('acme');
await createOrg(control, operator, { name: 'globex' });
await setIpv4Pool(control, operator, { addresses: ['203.0.113.10'] });
await createRelease(control, acme, 'shop', { image: IMAGE, processes: { web: { cpu: 1, memory: '256Mi', count: 1 }, db: { cpu: 1, memory: '256Mi', count: 0 } } });

async function rejection(p: Promise<unknown>): Promise<TrcError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof TrcError) return error;
    throw error;
  }
  assert.fail('expected a TrcError');
}

test('a new app starts with prod and staging, and an environment can be created by any DNS-label name', async () => {
  assert.deepEqual((await listEnvs(control, acme, 'shop')).map((e) => e.name), ['prod', 'staging']);
  const created = await createEnv(control, acme, 'shop', { name: 'preview-42' });
  assert.deepEqual(created, { name: 'preview-42', release: null, scale: {}, secretsVersion: null, restarts: {}, rollout: null });
  assert.deepEqual((await listEnvs(control, acme, 'shop')).map((e) => e.name), ['preview-42', 'prod', 'staging']);
  assert.deepEqual(Object.keys((await getApp(control, acme, 'shop')).envs).sort(), ['preview-42', 'prod', 'staging']);
  assert.equal((await getEnv(control, acme, 'shop', 'preview-42')).name, 'preview-42');
});

test('creating an environment is refused for an existing name, a name that is no DNS label, and another org', async () => {
  assert.equal((await rejection(createEnv(control, acme, 'shop', { name: 'staging' }))).code, 'TRC_ALREADY_EXISTS');
  const bad = await rejection(createEnv(control, acme, 'shop', { name: 'Preview_1' }));
  assert.equal(bad.code, 'TRC_INVALID_INPUT');
  assert.equal(bad.problems[0]?.path, 'name');
  assert.equal((await rejection(createEnv(control, orgActor('globex'), 'shop', { name: 'mine' }))).code, 'TRC_NOT_FOUND');
  assert.equal((await rejection(listEnvs(control, orgActor('globex'), 'shop'))).code, 'TRC_NOT_FOUND');
  assert.equal((await rejection(deleteEnv(control, orgActor('globex'), 'shop', 'preview-42'))).code, 'TRC_NOT_FOUND');
});

test('an unknown environment, or an inherited property name, is TRC_NOT_FOUND for every command taking one', async () => {
  for (const env of ['qa', 'constructor', '__proto__', 'tostring']) {
    assert.equal((await rejection(getEnv(control, acme, 'shop', env))).code, 'TRC_NOT_FOUND', env);
    assert.equal((await rejection(deploy(control, acme, 'shop', env, { release: 1 }))).code, 'TRC_NOT_FOUND', env);
    assert.equal((await rejection(deleteEnv(control, acme, 'shop', env))).code, 'TRC_NOT_FOUND', env);
  }
});

test('deleting an environment is refused while it has running instances, routes, volumes or IPv4 addresses, each named with a hint', async () => {
  await deploy(control, acme, 'shop', 'preview-42', { release: 1 });
  await setSecrets(control, acme, 'shop', 'preview-42', { values: { API_KEY: 'preview-secret-value' } });
  const address = (await allocateIpv4(control, acme, 'shop', 'preview-42')).address;
  await createRoute(control, acme, 'shop', 'preview-42', 'www', { process: 'web', port: 8042 });
  await createVolume(control, acme, 'shop', 'preview-42', { name: 'pg', processType: 'db', size: '1Gi' });
  const instance = [...(await control.read()).instances.values()].find((i) => i.env === 'preview-42' && i.desired === 'running')!;
  assert.equal((await listSecrets(control, acme, 'shop', 'preview-42')).version, 1);

  const refused = await rejection(deleteEnv(control, acme, 'shop', 'preview-42'));
  assert.equal(refused.code, 'TRC_ENV_IN_USE');
  assert.ok(refused.hint !== undefined && refused.hint.length > 0);
  assert.deepEqual(refused.problems.map((p) => p.path), [`instances.${instance.id}`, 'routes.www', 'volumes.pg', `ipv4.${address}`]);
  assert.ok(refused.problems.every((p) => p.code === 'TRC_ENV_IN_USE' && p.hint !== undefined && /platform (scale|routes delete|volumes delete|ips release)/.test(p.hint)));
  assert.match(refused.message, new RegExp(`instance ${instance.id} \\(web\\) is running; route "www" exists; volume "pg" exists and 1 more`));
  assert.ok(!JSON.stringify({ m: refused.message, p: refused.problems }).includes('preview-secret-value'));
  assert.ok((await getApp(control, acme, 'shop')).envs['preview-42'] !== undefined, 'nothing was deleted');

  // Emptied one kind at a time, the refusal names only what is left.
  await scale(control, acme, 'shop', 'preview-42', { processType: 'web', count: 0 });
  await deleteRoute(control, acme, 'shop', 'preview-42', 'www');
  await deleteVolume(control, acme, 'shop', 'preview-42', 'pg');
  assert.deepEqual((await rejection(deleteEnv(control, acme, 'shop', 'preview-42'))).problems.map((p) => p.path), [`ipv4.${address}`]);
  await releaseIpv4(control, acme, 'shop', address);
  await deleteEnv(control, acme, 'shop', 'preview-42');

  assert.deepEqual((await listEnvs(control, acme, 'shop')).map((e) => e.name), ['prod', 'staging']);
  assert.equal((await rejection(deploy(control, acme, 'shop', 'preview-42', { release: 1 }))).code, 'TRC_NOT_FOUND');
  const last = (await t.store.read({ afterSeq: (await t.store.headSeq()) - 1 }))[0]!;
  assert.deepEqual([last.type, last.payload], ['EnvironmentDeleted', { app: 'shop', org: 'acme', env: 'preview-42' }]);
});

test('an environment created again under a deleted name starts empty, and admin verify replays both events', async () => {
  const again = await createEnv(control, acme, 'shop', { name: 'preview-42' });
  assert.deepEqual([again.release, again.secretsVersion, again.scale], [null, null, {}]);
  await deleteEnv(control, acme, 'shop', 'staging');
  assert.deepEqual((await listEnvs(control, acme, 'shop')).map((e) => e.name), ['preview-42', 'prod']);
  const verified = await control.verify();
  assert.equal(verified.ok, true, JSON.stringify(verified.differences));
});
