// Secrets commands: names only in listings, sealed in the log, restart marking with the digest unchanged.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TrcError } from '@trc/core';
import { addNode, makeTestControl, operator, orgActor, IMAGE, DIGEST } from '../test-support/control.ts';
import { createOrg } from './orgs.ts';
import { createApp, createRelease, deploy, scale } from './apps.ts';
import { listSecrets, readSecretValues, setSecrets, unsetSecrets } from './secrets.ts';

const t = await makeTestControl('secrets');
after(() => t.close());
const { control } = t;
const acme = orgActor('acme');
await createOrg(control, operator, { name: 'acme' });
await createOrg(control, operator, { name: 'globex' });
await addNode(control, 'node-1');
await addNode(control, 'node-2');
await createApp(control, acme, { org: 'acme', name: 'shop' });
await createRelease(control, acme, 'shop', { image: IMAGE, processes: { web: { cpu: 1, memory: '256Mi', count: 2 }, worker: { cpu: 0.25, memory: '128Mi', count: 1 }, cron: { cpu: 0.25, memory: '64Mi', count: 0 } } });
await deploy(control, acme, 'shop', 'prod', { release: 1 });

const SECRET = 'hunter2-super-secret-value';

test('setting a secret versions the bundle and marks every running process type for a rolling restart, digest unchanged', async () => {
  const before = await t.store.headSeq();
  const view = await setSecrets(control, acme, 'shop', 'prod', { values: { DATABASE_URL: SECRET, API_KEY: 'k1' } });
  assert.deepEqual(view, { version: 1, names: ['API_KEY', 'DATABASE_URL'] });
  const events = await t.store.read({ afterSeq: before });
  assert.deepEqual(events.map((e) => e.type), ['SecretBundleVersioned', 'RestartRequired', 'RestartRequired']);
  const restarts = events.slice(1).map((e) => e.payload as { processType: string; digest: string; bundleVersion: number; release: number });
  // cron is scaled to 0: nothing to restart there.
  assert.deepEqual(restarts.map((r) => r.processType), ['web', 'worker']);
  for (const r of restarts) assert.deepEqual([r.digest, r.bundleVersion, r.release], [DIGEST, 1, 1]);
  const env = (await control.read()).apps.get('shop')!.envs.prod!;
  assert.deepEqual(Object.keys(env.restarts).sort(), ['web', 'worker']);
  // staging has no release yet: its instances will get the bundle when first deployed.
  const staging = await t.store.headSeq();
  await setSecrets(control, acme, 'shop', 'staging', { values: { API_KEY: 'k2' } });
  assert.deepEqual((await t.store.read({ afterSeq: staging })).map((e) => e.type), ['SecretBundleVersioned']);
});

test('no secret value ever appears in the event log, in plaintext or base64', async () => {
  await setSecrets(control, acme, 'shop', 'prod', { values: { DATABASE_URL: `${SECRET}-rotated` } });
  const log = JSON.stringify(await t.store.read());
  for (const needle of [SECRET, Buffer.from(SECRET).toString('base64'), 'hunter2']) assert.ok(!log.includes(needle), `log contains ${needle}`);
});

test('list shows names and versions, never values; unset removes and versions again', async () => {
  const listed = await listSecrets(control, acme, 'shop', 'prod');
  assert.deepEqual(listed, { version: 2, names: ['API_KEY', 'DATABASE_URL'] });
  assert.ok(!JSON.stringify(listed).includes('hunter2'));
  assert.deepEqual(await unsetSecrets(control, acme, 'shop', 'prod', { keys: ['API_KEY'] }), { version: 3, names: ['DATABASE_URL'] });
  await assert.rejects(unsetSecrets(control, acme, 'shop', 'prod', { keys: ['NOPE'] }), { code: 'TRC_NOT_FOUND' });
  assert.deepEqual(await readSecretValues(control, acme, 'shop', 'prod'), { version: 3, values: { DATABASE_URL: `${SECRET}-rotated` } });
});

test('keys a shell cannot name are refused at set, every one at once, with a hint', async () => {
  const error = await setSecrets(control, acme, 'shop', 'prod', { values: { '1DB': 'x', 'lower': 'y', OK_KEY: 'z' } }).catch((e: unknown) => e);
  assert.ok(error instanceof TrcError);
  assert.deepEqual(error.problems.map((p) => p.code), ['TRC_SECRET_KEY_INVALID', 'TRC_SECRET_KEY_INVALID']);
  assert.match(error.problems[0]!.message, /starts with a digit/);
  assert.match(error.problems[0]!.hint ?? '', /rename/);
  assert.ok(!JSON.stringify(error.toJSON()).includes('"x"'));
  assert.equal((await listSecrets(control, acme, 'shop', 'prod')).version, 3);
});

test('a deploy supersedes pending restarts; another org cannot read or set the secrets', async () => {
  await deploy(control, acme, 'shop', 'prod', { release: 1 });
  assert.deepEqual((await control.read()).apps.get('shop')!.envs.prod!.restarts, {});
  await scale(control, acme, 'shop', 'prod', { processType: 'web', count: 3 });
  await assert.rejects(readSecretValues(control, orgActor('globex'), 'shop', 'prod'), { code: 'TRC_NOT_FOUND' });
  await assert.rejects(setSecrets(control, orgActor('globex'), 'shop', 'prod', { values: { A: 'b' } }), { code: 'TRC_NOT_FOUND' });
  assert.equal((await control.verify()).ok, true);
});
