// The instance lifecycle over HTTP, with the reconciler's defaults (surge 1, max unavailable 0, 5 s drain):
// an OOM-killed instance is replaced, and a rolling deploy keeps the route served, draining the old instance
// out of the edge table before the node agent is asked to stop it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../test-support/api.ts';
import { IMAGE } from '../test-support/control.ts';
import { reconcileOnce } from '../commands/reconcile.ts';

const api = await startTestApi('lifecycle-http');
after(() => api.close());
const op = api.operatorToken;

interface Assignment { id: string; desired: string; actual: string; release: number; drainingSince?: string }

const join = (await api.request('POST', '/v1/join-tokens', { token: op, body: { name: 'rack' } })).body.token as string;
const node = (await api.request('POST', '/v1/nodes', { token: join, body: { name: 'n1', cores: 16, memoryBytes: 64 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } })).body.token as string;
await api.request('POST', '/v1/orgs', { token: op, body: { name: 'acme' } });
const token = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
await api.request('POST', '/v1/apps', { token, body: { org: 'acme', name: 'shop' } });
for (const c of ['a', 'b']) {
  const image = IMAGE.replace(/sha256:[0-9a-f]+$/, `sha256:${c.repeat(64)}`);
  assert.equal((await api.request('POST', '/v1/apps/shop/releases', { token, body: { image, processes: { web: { cpu: 1, memory: '64Mi', count: 1 } } } })).status, 201);
}

const assignments = async (): Promise<Assignment[]> => ((await api.request('GET', '/v1/nodes/n1/assignments', { token: node })).body as Assignment[]).filter((a) => a.desired === 'running');
let port = 30000;
const agentPass = async (): Promise<void> => {
  for (const a of await assignments()) {
    if (a.actual !== 'pending') continue;
    const res = await api.request('POST', `/v1/nodes/n1/instances/${a.id}/state`, { token: node, body: { state: 'healthy', address: `127.0.0.1:${++port}` } });
    assert.equal(res.status, 200, res.text);
  }
};
/** Reconciler passes at a clock the test moves: the store's clock steps one second per event from 2026-01-01. */
let clock = Date.UTC(2026, 0, 1);
const pass = async (advanceMs: number): Promise<void> => {
  clock = Math.max(clock, Date.UTC(2026, 0, 1) + (await api.t.store.headSeq()) * 1000) + advanceMs;
  api.heartbeats.set('n1', Date.now());
  await reconcileOnce(api.t.control, new Date(clock), api.heartbeats, { startedAt: new Date(), nodeTimeoutMs: 3_600_000 });
};
const edgeBackends = async (): Promise<string[]> => ((await api.request('GET', '/v1/edge/routes', { token: node })).body.routes[0].backends as { instanceId: string }[]).map((b) => b.instanceId);
const events = async (type: string): Promise<{ payload: Record<string, unknown> }[]> => (await api.request('GET', `/v1/events?app=shop&type=${type}&limit=1000`, { token })).body;

test('over HTTP, an OOM-killed instance is replaced by the reconciler and the node agent is given the new one', async () => {
  assert.equal((await api.request('POST', '/v1/apps/shop/envs/prod/deploys', { token, body: { release: 1 } })).status, 201);
  assert.equal((await api.request('PUT', '/v1/apps/shop/envs/prod/routes/www', { token, body: { process: 'web', port: 8080 } })).status, 201);
  await agentPass();
  await pass(0);
  const [victim] = await assignments();
  assert.equal((await api.request('POST', `/v1/nodes/n1/instances/${victim!.id}/oom`, { token: node })).status, 200);
  await pass(1_000);
  const now = await assignments();
  assert.equal(now.length, 1);
  assert.notEqual(now[0]!.id, victim!.id);
  const replaced = await events('InstanceReplaced');
  assert.equal(replaced.length, 1);
  assert.equal(replaced[0]!.payload.instanceId, victim!.id);
  assert.match(String(replaced[0]!.payload.reason), /memory limit exceeded \(cap 64Mi\)/);
  await agentPass();
  assert.deepEqual(api.bugs, []);
});

test('over HTTP, a rolling deploy with a count of 1 never leaves the route without a backend, and drains before it stops', async () => {
  const [old] = await assignments();
  assert.equal((await api.request('POST', '/v1/apps/shop/envs/prod/deploys', { token, body: { release: 2 } })).status, 201);
  let drained = false;
  for (let i = 0; i < 20; i++) {
    await pass(i === 0 ? 0 : 2_000);
    const table = await edgeBackends();
    assert.ok(table.length >= 1, `pass ${i}: the route has no backend`);
    const mine = (await assignments()).find((a) => a.id === old!.id);
    if (mine?.drainingSince !== undefined) {
      drained = true;
      assert.ok(!table.includes(old!.id), 'a draining instance is out of the edge table while its node still runs it');
    }
    if ((await api.request('GET', '/v1/apps/shop/envs/prod', { token })).body.rollout === null) break;
    await agentPass();
  }
  assert.ok(drained, 'the old instance drained');
  const final = await assignments();
  assert.deepEqual(final.map((a) => a.release), [2]);
  const stops = await events('InstanceDrainStarted');
  assert.equal(stops.at(-1)!.payload.instanceId, old!.id);
  assert.deepEqual(api.bugs, []);
});
