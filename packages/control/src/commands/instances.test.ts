// Rolling restarts after a secret change (ADR 0010), node reports, and rescheduling off a down node.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeShopControl, nodeActor, orgActor, IMAGE, DIGEST } from '../test-support/control.ts';
import { createRelease, deploy } from './apps.ts';
import { setSecrets } from './secrets.ts';
import { advanceRestarts, reportInstanceState, reportOomKill, rescheduleFromDownNodes } from './instances.ts';
import { markSilentNodesDown } from './nodes.ts';
import type { InstanceState } from '../state/state.ts';

const t = await makeShopControl('instances');
after(() => t.close());
const { control } = t;
const acme = orgActor('acme');
await createRelease(control, acme, 'shop', { image: IMAGE, processes: { web: { cpu: 1, memory: '1Gi', count: 3 }, worker: { cpu: 1, memory: '1Gi', count: 2 } } });
await deploy(control, acme, 'shop', 'prod', { release: 1 });

async function running(processType?: string): Promise<InstanceState[]> {
  return [...(await control.read()).instances.values()].filter((i) => i.desired === 'running' && (processType === undefined || i.processType === processType));
}

/** The node agents' part: report every pending instance healthy (it passed its health check). */
async function nodesReportHealthy(): Promise<void> {
  for (const i of await running()) if (i.actual !== 'healthy') await reportInstanceState(control, nodeActor(i.node), i.node, i.id, { state: 'healthy' });
}

test('only the node running an instance may report its state', async () => {
  const i = (await running())[0]!;
  const other = ['n1', 'n2', 'n3'].find((n) => n !== i.node)!;
  await assert.rejects(reportInstanceState(control, nodeActor(other), other, i.id, { state: 'healthy' }), { code: 'TRC_NOT_FOUND' });
  await assert.rejects(reportInstanceState(control, acme, i.node, i.id, { state: 'healthy' }), { code: 'TRC_FORBIDDEN' });
  await nodesReportHealthy();
  assert.ok((await running()).every((x) => x.actual === 'healthy'));
});

test('a secret change rolls through each process type one instance at a time, waiting for health, digest unchanged', async () => {
  const start = await t.store.headSeq();
  await setSecrets(control, acme, 'shop', 'prod', { values: { API_KEY: 'v1' } });
  const oldIds = new Set((await running()).map((i) => i.id));
  for (let step = 0; step < 40; step++) {
    const appended = await advanceRestarts(control, 1);
    // Waiting: with one replacement not yet healthy, a second call changes nothing.
    if (appended > 0) assert.equal(await advanceRestarts(control, 1), 0);
    for (const type of ['web', 'worker']) {
      const unavailable = (await running(type)).filter((i) => i.actual !== 'healthy').length;
      assert.ok(unavailable <= 1, `${type}: ${unavailable} unavailable at step ${step}`);
    }
    if (Object.keys((await control.read()).apps.get('shop')!.envs.prod!.restarts).length === 0) break;
    await nodesReportHealthy();
  }
  const after = await running();
  assert.equal(after.length, 5);
  for (const i of after) {
    assert.ok(!oldIds.has(i.id));
    assert.deepEqual([i.bundleVersion, i.digest, i.release], [1, DIGEST, 1]);
  }
  const events = await t.store.read({ afterSeq: start, aggregateId: 'app:shop' });
  const web = events.filter((e) => (e.payload as { processType?: string }).processType === 'web').map((e) => e.type);
  assert.deepEqual(web, ['RestartRequired', 'InstanceStopRequested', 'InstancePlaced', 'InstanceStopRequested', 'InstancePlaced', 'InstanceStopRequested', 'InstancePlaced', 'RestartCompleted']);
  assert.equal((await control.verify()).ok, true);
});

test('max unavailable 2 replaces two instances per step', async () => {
  await setSecrets(control, acme, 'shop', 'prod', { values: { API_KEY: 'v2' } });
  const before = await t.store.headSeq();
  await advanceRestarts(control, 2);
  const first = await t.store.read({ afterSeq: before });
  const stops = first.filter((e) => e.type === 'InstanceStopRequested').map((e) => (e.payload as { processType: string }).processType);
  assert.deepEqual(stops.sort(), ['web', 'web', 'worker', 'worker']);
  for (let step = 0; step < 20 && Object.keys((await control.read()).apps.get('shop')!.envs.prod!.restarts).length > 0; step++) {
    await nodesReportHealthy();
    await advanceRestarts(control, 2);
  }
  assert.ok((await running()).every((i) => i.bundleVersion === 2));
});

test('the instances of a node that stops heartbeating are rescheduled on the remaining nodes', async () => {
  const onN1 = (await running()).filter((i) => i.node === 'n1');
  assert.ok(onN1.length > 0);
  const now = new Date(Date.UTC(2026, 5, 1));
  const seen = new Map([['n2', now.getTime()], ['n3', now.getTime()]]);
  assert.deepEqual(await markSilentNodesDown(control, now, new Date(now.getTime() - 60_000), seen, 30_000), ['n1']);
  const result = await rescheduleFromDownNodes(control);
  assert.deepEqual(result, { moved: onN1.length, waiting: [] });
  const after = await running();
  assert.equal(after.length, 5);
  assert.ok(after.every((i) => i.node !== 'n1'));
  const moved = (await t.store.read({ types: ['InstancePlaced'] })).slice(-onN1.length).map((e) => (e.payload as { reason: string }).reason);
  assert.deepEqual(moved, onN1.map(() => 'node-down'));
  assert.equal((await control.verify()).ok, true);
});

test('an OOM kill reported by the node is an InstanceOomKilled event saying "memory limit exceeded"', async () => {
  const i = (await running())[0]!;
  await assert.rejects(reportOomKill(control, nodeActor(i.node === 'n2' ? 'n3' : 'n2'), i.node === 'n2' ? 'n3' : 'n2', i.id), { code: 'TRC_NOT_FOUND' });
  const view = await reportOomKill(control, nodeActor(i.node), i.node, i.id);
  assert.equal(view.actual, 'exited');
  const event = (await t.store.read({ types: ['InstanceOomKilled'] })).at(-1)!;
  assert.match((event.payload as { message: string }).message, /^memory limit exceeded: \w+ instance ins_[0-9a-f]+ used its whole 1Gi cap and was killed$/);
  assert.equal((await control.read()).instances.get(i.id)!.detail, (event.payload as { message: string }).message);
  assert.equal((await control.verify()).ok, true);
});
