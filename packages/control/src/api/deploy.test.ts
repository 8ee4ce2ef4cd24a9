// A rolling deploy end to end over HTTP: the node agent's side (assignments, health reports) against the
// control plane's reconciler; a release whose instances exit is stopped and rolled back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../test-support/api.ts';
import { IMAGE } from '../test-support/control.ts';
import { reconcileOnce } from '../commands/reconcile.ts';

const api = await startTestApi('deploy-http');
after(() => api.close());
const op = api.operatorToken;

interface Assignment { id: string; desired: string; actual: string; release: number; digest: string }

const join = (await api.request('POST', '/v1/join-tokens', { token: op, body: { name: 'rack' } })).body.token as string;
const node = (await api.request('POST', '/v1/nodes', { token: join, body: { name: 'n1', cores: 16, memoryBytes: 64 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } })).body.token as string;
await api.request('POST', '/v1/orgs', { token: op, body: { name: 'acme' } });
const token = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
await api.request('POST', '/v1/apps', { token, body: { org: 'acme', name: 'shop' } });
for (const c of ['a', 'b', 'c']) {
  const image = IMAGE.replace(/sha256:[0-9a-f]+$/, `sha256:${c.repeat(64)}`);
  assert.equal((await api.request('POST', '/v1/apps/shop/releases', { token, body: { image, processes: { web: { cpu: 1, memory: '512Mi', count: 3 } } } })).status, 201);
}

const assignments = async (): Promise<Assignment[]> => ((await api.request('GET', '/v1/nodes/n1/assignments', { token: node })).body as Assignment[]).filter((a) => a.desired === 'running');
const report = async (id: string, state: string, detail?: string): Promise<void> => {
  const res = await api.request('POST', `/v1/nodes/n1/instances/${id}/state`, { token: node, body: { state, ...(detail === undefined ? {} : { detail }) } });
  assert.equal(res.status, 200, res.text);
};
/** The node agent: every instance it runs passes its health check, except those of `failing` (they exit). */
const agentPass = async (failing?: number): Promise<void> => {
  for (const a of await assignments()) {
    if (a.actual === 'healthy' || a.actual === 'exited') continue;
    if (a.release === failing) await report(a.id, 'exited', 'exit status 1');
    else await report(a.id, 'healthy');
  }
};
const options = { startedAt: new Date(), nodeTimeoutMs: 3_600_000, maxUnavailable: 1, maxSurge: 0, drainGraceMs: 0 };
const envOf = async (): Promise<{ release: number; rollout: { release: number; rollback: boolean } | null }> => (await api.request('GET', '/v1/apps/shop/envs/prod', { token })).body;

/** Runs reconciler passes and agent passes until the rollout ends; returns the most instances ever down at once. */
async function rollout(failing?: number): Promise<number> {
  let worst = 0;
  for (let pass = 0; pass < 20; pass++) {
    api.heartbeats.set('n1', Date.now());
    await reconcileOnce(api.t.control, new Date(), api.heartbeats, options);
    const running = await assignments();
    assert.equal(running.length, 3, 'each step stops one instance and places one');
    worst = Math.max(worst, running.filter((a) => a.actual !== 'healthy').length);
    if ((await envOf()).rollout === null) return worst;
    await agentPass(failing);
  }
  assert.fail('the rollout did not end');
}

const deployEvents = async (after: number): Promise<string[]> =>
  ((await api.request('GET', `/v1/events?app=shop&type=DeployStarted,DeployCompleted,DeployFailed,DeployRolledBack,InstancePlaced,InstanceStopRequested&after=${after}&limit=1000`, { token })).body as { type: string }[]).map((e) => e.type);

test('a deploy over HTTP rolls one instance at a time and ends with DeployCompleted', async () => {
  assert.equal((await api.request('POST', '/v1/apps/shop/envs/prod/deploys', { token, body: { release: 1 } })).status, 201);
  await agentPass();
  await rollout();
  const head = await api.t.store.headSeq();
  const res = await api.request('POST', '/v1/apps/shop/envs/prod/deploys', { token, body: { release: 2 } });
  assert.equal(res.status, 201, res.text);
  assert.deepEqual([res.body.instances, res.body.rolling], [0, 3]);
  assert.deepEqual((await envOf()).rollout?.release, 2);
  assert.equal(await rollout(), 1, 'never more than max unavailable (1) instance down');
  assert.ok((await assignments()).every((a) => a.release === 2 && a.actual === 'healthy'));
  assert.deepEqual(await deployEvents(head), ['DeployStarted', 'InstanceStopRequested', 'InstancePlaced', 'InstanceStopRequested', 'InstancePlaced', 'InstanceStopRequested', 'InstancePlaced', 'DeployCompleted']);
  assert.deepEqual(api.bugs, []);
});

test('a release whose new instance exits fails the deploy over HTTP; the previous release keeps serving and comes back in full', async () => {
  const head = await api.t.store.headSeq();
  assert.equal((await api.request('POST', '/v1/apps/shop/envs/prod/deploys', { token, body: { release: 3 } })).status, 201);
  await rollout(3);
  const env = await envOf();
  assert.equal(env.release, 2);
  const final = await assignments();
  assert.ok(final.every((a) => a.release === 2 && a.actual === 'healthy'), JSON.stringify(final));
  const types = (await deployEvents(head)).filter((t) => t.startsWith('Deploy'));
  assert.deepEqual(types, ['DeployStarted', 'DeployFailed', 'DeployRolledBack']);
  const failed = (await api.request('GET', `/v1/events?type=DeployFailed&after=${head}`, { token })).body[0].payload as { reason: string; previousRelease: number };
  assert.equal(failed.previousRelease, 2);
  assert.match(failed.reason, /of release 3 reported exited: exit status 1/);
  const deploys = (await api.request('GET', '/v1/apps/shop/envs/prod/deploys', { token })).body as { release: number; status: string }[];
  assert.deepEqual(deploys.map((d) => [d.release, d.status]), [[1, 'completed'], [2, 'completed'], [3, 'rolled-back']]);
  assert.equal((await api.request('POST', '/v1/admin/verify', { token: op })).body.ok, true);
  assert.deepEqual(api.bugs, []);
});
