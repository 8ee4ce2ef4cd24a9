// Local volumes pin their instances to one node; such instances wait (and say why) when the node is down.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeShopControl, operator, orgActor, IMAGE } from '../test-support/control.ts';
import { createRelease, deploy, scale } from './apps.ts';
import { createVolume, deleteVolume, envBackups, setBackupPolicy } from './volumes.ts';
import { advanceRestarts, reportInstanceState, rescheduleFromDownNodes } from './instances.ts';
import { heartbeat, markSilentNodesDown } from './nodes.ts';
import { setSecrets } from './secrets.ts';

const t = await makeShopControl('volumes');
after(() => t.close());
const { control } = t;
const acme = orgActor('acme');
const GI = 2 ** 30;
await createRelease(control, acme, 'shop', { image: IMAGE, processes: { web: { cpu: 1, memory: '1Gi', count: 1 }, db: { cpu: 2, memory: '4Gi', count: 0 } } });
await deploy(control, acme, 'shop', 'prod', { release: 1 });

const dbInstances = async () => [...(await control.read()).instances.values()].filter((i) => i.processType === 'db' && i.desired === 'running');

test('each instance of a process type with volumes mounts its own and runs on the volume node', async () => {
  const v1 = await createVolume(control, acme, 'shop', 'prod', { name: 'pg-1', processType: 'db', size: '10Gi' });
  const v2 = await createVolume(control, acme, 'shop', 'prod', { name: 'pg-2', processType: 'db', size: '10Gi', backupEnabled: false });
  await assert.rejects(createVolume(control, acme, 'shop', 'prod', { name: 'pg-1', processType: 'db', size: '10Gi' }), { code: 'TRC_ALREADY_EXISTS' });
  await assert.rejects(createVolume(control, acme, 'shop', 'prod', { name: 'pg-3', processType: 'db', size: '10GB' }), { code: 'TRC_INVALID_INPUT' });
  await scale(control, acme, 'shop', 'prod', { processType: 'db', count: 2 });
  const db = await dbInstances();
  assert.deepEqual(db.map((i) => [i.volume, i.node]).sort(), [[v1.id, v1.node], [v2.id, v2.node]].sort());
  await assert.rejects(scale(control, acme, 'shop', 'prod', { processType: 'db', count: 3 }), { code: 'TRC_VOLUMES_TOO_FEW' });
  await assert.rejects(deleteVolume(control, acme, 'shop', 'prod', 'pg-1'), { code: 'TRC_VOLUME_IN_USE' });
});

test('a rolling restart replaces a volume instance on its volume node', async () => {
  for (const i of await dbInstances()) await reportInstanceState(control, { kind: 'node', node: i.node, tokenId: 'x' }, i.node, i.id, { state: 'healthy' });
  const before = new Map((await dbInstances()).map((i) => [i.volume, i.node]));
  await setSecrets(control, acme, 'shop', 'prod', { values: { PGPASSWORD: 'pw' } });
  await advanceRestarts(control, 2);
  const after = await dbInstances();
  assert.ok(after.every((i) => i.bundleVersion === 1 && before.get(i.volume) === i.node));
});

test('an instance pinned by its volume to a down node waits and says why, once; it resumes when the node is back', async () => {
  const pinned = (await dbInstances())[0]!;
  const node = pinned.node;
  const now = new Date(Date.UTC(2026, 6, 1));
  const alive = new Map(['n1', 'n2', 'n3'].filter((n) => n !== node).map((n) => [n, now.getTime()]));
  await markSilentNodesDown(control, now, new Date(now.getTime() - 120_000), alive, 30_000);
  const first = await rescheduleFromDownNodes(control);
  const waiting = first.waiting.find((w) => w.instance === pinned.id);
  assert.ok(waiting, JSON.stringify(first));
  assert.match(waiting.reason, /volume/);
  const blocked = await t.store.read({ types: ['InstanceRescheduleBlocked'] });
  assert.equal(blocked.length, 1);
  assert.equal((blocked[0]!.payload as { reason: string }).reason, waiting.reason);
  await rescheduleFromDownNodes(control);
  assert.equal((await t.store.read({ types: ['InstanceRescheduleBlocked'] })).length, 1, 'said once, not on every pass');
  assert.equal((await control.read()).instances.get(pinned.id)!.desired, 'running');
  await heartbeat(control, { kind: 'node', node, tokenId: 'x' }, node, { cores: 8, memoryBytes: 16 * GI, reservedMemoryBytes: GI }, now, alive);
  assert.equal((await control.read()).blocked.size, 0);
  assert.equal((await control.verify()).ok, true);
});

test('backups follow the cluster policy, the environment exemptions and the volume opt-out (ADR 0011)', async () => {
  const fresh = await envBackups(control, acme, 'shop', 'prod');
  assert.deepEqual(fresh, { enabled: true, intervalHours: 24, retention: 14, volumes: [{ name: 'pg-1', backedUp: true }, { name: 'pg-2', backedUp: false }] });
  await assert.rejects(setBackupPolicy(control, acme, { enabled: true, intervalHours: 24, retention: 14, disabledEnvs: [] }), { code: 'TRC_FORBIDDEN' });
  await setBackupPolicy(control, operator, { enabled: true, intervalHours: 12, retention: 7, disabledEnvs: ['shop/prod'] });
  assert.deepEqual(await envBackups(control, acme, 'shop', 'prod'), { enabled: false, intervalHours: 12, retention: 7, volumes: [{ name: 'pg-1', backedUp: false }, { name: 'pg-2', backedUp: false }] });
  await scale(control, acme, 'shop', 'prod', { processType: 'db', count: 1 });
  const held = (await dbInstances())[0]!.volume!;
  const free = held.endsWith('pg-1') ? 'pg-2' : 'pg-1';
  await deleteVolume(control, acme, 'shop', 'prod', free);
  assert.equal((await control.read()).volumes.size, 1);
});
