// A secret rotation end to end over HTTP: the node agent's side (join, assignments, secrets file, health
// reports, its own event stream) against the control plane's reconciler, until the restart completes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseSecretsFile } from '@trc/core/secrets-file/index';
import { startTestApi } from '../test-support/api.ts';
import { IMAGE, DIGEST } from '../test-support/control.ts';
import { reconcileOnce } from '../commands/reconcile.ts';

const api = await startTestApi('restart');
after(() => api.close());
const op = api.operatorToken;

interface Assignment { id: string; desired: string; actual: string; bundleVersion: number; digest: string; processType: string }

test('a secret change reaches each new instance through a rolling restart the node agent drives with health reports', async () => {
  const join = (await api.request('POST', '/v1/join-tokens', { token: op, body: { name: 'rack' } })).body.token as string;
  const node = (await api.request('POST', '/v1/nodes', { token: join, body: { name: 'n1', cores: 16, memoryBytes: 64 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } })).body.token as string;
  await api.request('POST', '/v1/orgs', { token: op, body: { name: 'acme' } });
  const token = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
  await api.request('POST', '/v1/apps', { token, body: { org: 'acme', name: 'shop' } });
  await api.request('PUT', '/v1/apps/shop/envs/prod/secrets', { token, body: { values: { API_KEY: 'old-key' } } });
  await api.request('POST', '/v1/apps/shop/releases', { token, body: { image: IMAGE, processes: { web: { cpu: 1, memory: '512Mi', count: 2 } } } });
  assert.equal((await api.request('POST', '/v1/apps/shop/envs/prod/deploys', { token, body: { release: 1 } })).status, 201);

  const assignments = async (): Promise<Assignment[]> => (await api.request('GET', '/v1/nodes/n1/assignments', { token: node })).body as Assignment[];
  const secretsOf = async (id: string): Promise<Record<string, string>> => {
    const res = await api.request('GET', `/v1/nodes/n1/instances/${id}/secrets`, { token: node });
    assert.equal(res.status, 200, res.text);
    const parsed = parseSecretsFile(Buffer.from(res.text), 'platform.env');
    assert.ok(parsed.ok);
    return Object.fromEntries(parsed.value.map((e) => [e.key, Buffer.from(e.value).toString()]));
  };
  // The node agent: boot what is desired and report it healthy once its health check passes.
  const agentPass = async (): Promise<void> => {
    for (const a of await assignments()) {
      if (a.desired !== 'running' || a.actual === 'healthy') continue;
      const res = await api.request('POST', `/v1/nodes/n1/instances/${a.id}/state`, { token: node, body: { state: 'healthy' } });
      assert.equal(res.status, 200, res.text);
    }
  };
  await agentPass();
  const original = await assignments();
  assert.equal(original.length, 2);
  assert.deepEqual(await secretsOf(original[0]!.id), { API_KEY: 'old-key' });

  await api.request('PUT', '/v1/apps/shop/envs/prod/secrets', { token, body: { values: { API_KEY: 'new-key' } } });
  const options = { startedAt: new Date(), nodeTimeoutMs: 3_600_000, maxUnavailable: 1, maxSurge: 0, drainGraceMs: 0 };
  for (let pass = 0; pass < 10; pass++) {
    api.heartbeats.set('n1', Date.now());
    const report = await reconcileOnce(api.t.control, new Date(), api.heartbeats, options);
    const running = (await assignments()).filter((a) => a.desired === 'running');
    // Never more than one instance of web down at a time, and the image never changes.
    assert.ok(running.length >= 1 && running.length <= 2);
    for (const a of running) assert.equal(a.digest, DIGEST);
    if (report.restartEvents === 0 && Object.keys((await api.request('GET', '/v1/apps/shop/envs/prod', { token })).body.restarts).length === 0) break;
    await agentPass();
  }
  const final = (await assignments()).filter((a) => a.desired === 'running');
  assert.equal(final.length, 2);
  for (const a of final) {
    assert.ok(!original.some((o) => o.id === a.id));
    assert.equal(a.bundleVersion, 2);
    assert.deepEqual(await secretsOf(a.id), { API_KEY: 'new-key' });
  }
  const types = (await api.request('GET', '/v1/events?app=shop&type=RestartRequired,InstanceStopRequested,InstancePlaced,InstanceStateReported,RestartCompleted&after=0&limit=1000', { token })).body.map((e: { type: string }) => e.type) as string[];
  assert.equal(types.filter((t) => t === 'RestartRequired').length, 1);
  assert.equal(types.at(-1), 'RestartCompleted', types.join(' '));
  assert.equal(types.filter((t) => t === 'InstanceStopRequested').length, 2);

  // The node's own view of the log: only events that name it; no other node's, no org-level ones.
  const mine = (await api.request('GET', '/v1/events?limit=1000', { token: node })).body as { payload: { node?: string } }[];
  assert.ok(mine.length > 0);
  for (const e of mine) assert.equal(e.payload.node, 'n1');
  assert.ok(!JSON.stringify(mine).includes('new-key'));
  assert.deepEqual(api.bugs, []);
});
