// The projection and its check: verify catches drift, a fresh control plane rebuilds the same state, and a
// log the reducer cannot apply fails loudly rather than being skipped.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestControl, operator, orgActor } from '../test-support/control.ts';
import { Control } from './control.ts';
import { createOrg } from './orgs.ts';
import { createApp } from './apps.ts';
import { canonicalState } from '../state/state.ts';

const t = await makeTestControl('control');
after(() => t.close());
await createOrg(t.control, operator, { name: 'acme' });
await createApp(t.control, orgActor('acme'), { org: 'acme', name: 'shop' });

test('admin verify reports a live projection that drifted from the log, and where', async () => {
  assert.equal((await t.control.verify()).ok, true);
  const live = await t.control.read();
  live.orgs.get('acme')!.quotas = { memoryBytes: 1, instances: 1, publicRoutes: 1, ipv4Addresses: 1 };
  const result = await t.control.verify();
  assert.equal(result.ok, false);
  assert.match(result.difference ?? '', /memoryBytes/);
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
