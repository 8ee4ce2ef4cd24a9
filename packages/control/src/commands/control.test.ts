// The projection and its check: verify catches drift, a fresh control plane rebuilds the same state, and a
// log the reducer cannot apply fails loudly rather than being skipped.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestControl, operator, orgActor } from '../test-support/control.ts';
import { Control } from './control.ts';
import { createOrg } from './orgs.ts';
import { createApp } from './apps.ts';
import { canonicalState } from '../state/state.ts';
import { projectionDrift } from './verify.ts';

const t = await makeTestControl('control');
after(() => t.close());
await createOrg(t.control, operator, { name: 'acme' });
await createApp(t.control, orgActor('acme'), { org: 'acme', name: 'shop' });
// Its own log: a test below appends events the reducer cannot apply to the first one.
const v = await makeTestControl('control-verify');
after(() => v.close());
await createOrg(v.control, operator, { name: 'acme' });
await createApp(v.control, orgActor('acme'), { org: 'acme', name: 'shop' });

test('admin verify reports a live projection that drifted from the log, and where', async () => {
  assert.equal((await t.control.verify()).ok, true);
  const live = await t.control.read();
  live.orgs.get('acme')!.quotas = { memoryBytes: 1, instances: 1, publicRoutes: 1, ipv4Addresses: 1 };
  const result = await t.control.verify();
  assert.equal(result.ok, false);
  assert.deepEqual(result.differences, [{ projection: 'orgs', key: 'acme', field: 'quotas.instances', kind: 'differs' }]);
  // A second control plane on the same log rebuilds the true state.
  const fresh = new Control(t.control.deps);
  assert.equal((await fresh.verify()).ok, true);
  assert.deepEqual((await fresh.read()).orgs.get('acme')!.quotas.memoryBytes, null);
  assert.notDeepEqual(canonicalState(await fresh.read()), canonicalState(live));
});

test('an event the reducer cannot apply stops the projection with TRC_INTERNAL instead of being skipped', async () => {
  await t.store.append([{ aggregateId: 'org:ghost', expectedVersion: 0, events: [{ type: 'QuotasChanged', actor: 'test', payload: { org: 'ghost', limits: { memoryBytes: null, instances: null, publicRoutes: null, ipv4Addresses: null } } }] }]);
  const fresh = new Control(t.control.deps);
  await assert.rejects(fresh.read(), (e: { code: string; message: string }) => e.code === 'TRC_INTERNAL' && /org "ghost" does not exist/.test(e.message));
  await t.store.append([{ aggregateId: 'x', expectedVersion: 0, events: [{ type: 'SomethingNewHappened', actor: 'test', payload: {} }] }]);
  await assert.rejects(new Control(t.control.deps).read(), { code: 'TRC_INTERNAL' });
});

test('verify names each drifted projection, key and field in a stable shape, never a value', async () => {
  const fresh = new Control(v.control.deps);
  const live = await fresh.read();
  live.apps.get('shop')!.envs.prod!.scale = { web: 7 };
  live.orgs.set('ghost', { name: 'ghost', createdAt: 'x', quotas: live.orgs.get('acme')!.quotas });
  live.apps.delete('shop');
  live.settings.cpuOvercommit = 99;
  const result = await fresh.verify();
  assert.deepEqual(result.differences, [
    { projection: 'orgs', key: 'ghost', field: '', kind: 'only-live' },
    { projection: 'apps', key: 'shop', field: '', kind: 'only-replayed' },
    { projection: 'settings', key: null, field: 'cpuOvercommit', kind: 'differs' },
  ]);
  const error = projectionDrift(result);
  assert.equal(error.code, 'TRC_PROJECTION_DRIFT');
  assert.match(error.message, /^the projection does not match the replayed log at seq \d+: 3 difference\(s\)$/);
  assert.deepEqual(error.problems.map((p) => [p.path, p.message]), [['orgs.ghost', 'only in the live state'], ['apps.shop', 'only in the replayed log'], ['settings', 'differs at cpuOvercommit']]);
  assert.doesNotMatch(JSON.stringify(error.toJSON()), /99/);
});

test('verify reports at most 50 differences and says it truncated', async () => {
  const fresh = new Control(v.control.deps);
  const live = await fresh.read();
  for (let i = 0; i < 60; i++) live.versions.set(`ghost:${i}`, 1);
  const result = await fresh.verify();
  assert.equal(result.differences.length, 50);
  assert.equal(result.truncated, true);
  assert.match(projectionDrift(result).message, /50\+ difference/);
});

test('concurrent reads share one catch-up and still see every event committed before they were called', async () => {
  const writer = new Control(v.control.deps);
  let reads = 0;
  const store = v.control.deps.store;
  const counting = new Control({ ...v.control.deps, store: { ...store, append: (a) => store.append(a), read: (o) => (reads++, store.read(o)), aggregateVersion: (id) => store.aggregateVersion(id), headSeq: () => store.headSeq(), subscribe: (l, o) => store.subscribe(l, o), close: () => store.close() } });
  await counting.read();
  reads = 0;
  for (let i = 0; i < 5; i++) await createOrg(writer, operator, { name: `o${i}` });
  const states = await Promise.all(Array.from({ length: 20 }, () => counting.read()));
  for (const s of states) for (let i = 0; i < 5; i++) assert.ok(s.orgs.has(`o${i}`));
  assert.ok(reads <= 4, `${reads} log reads for 20 concurrent callers`);
  // One called after the append must see it, even while an earlier catch-up is running.
  const first = counting.read();
  await createOrg(writer, operator, { name: 'late' });
  const second = counting.read();
  await first;
  assert.ok((await second).orgs.has('late'));
});