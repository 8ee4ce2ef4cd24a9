// Scaling down drains: a serving instance leaves the edge table in the scale's own append and is stopped by the
// reconciler only after the control plane's drain grace; instances that serve nothing stop at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventPayloads, InstanceActualState, TrcError } from '@trc/core';
import { addNode, makeTestControl, nodeActor, operator, orgActor, IMAGE } from '../test-support/control.ts';
import { Control } from './control.ts';
import { createOrg, setQuotas } from './orgs.ts';
import { createApp, createRelease, deploy, scale } from './apps.ts';
import { advanceDeploys } from './deploys.ts';
import { listAppInstances, reportInstanceState, rescheduleFromDownNodes } from './instances.ts';
import { markSilentNodesDown } from './nodes.ts';
import { reconcileOnce } from './reconcile.ts';
import { createRoute } from './routes.ts';
import { edgeTable } from './edges.ts';
import { deleteEnv } from './envs.ts';
import { DEFAULT_ROLLING } from './rolling.ts';
import type { StoredEvent } from '../store/store.ts';
import type { InstanceState } from '../state/state.ts';

const GI = 2 ** 30;
const acme = orgActor('acme');

interface World {
  control: Control;
  close: () => Promise<void>;
  head: () => Promise<number>;
  after: (seq: number) => Promise<StoredEvent[]>;
}

/** acme/shop with `count` healthy web instances on n1 and n2, route www, its first deploy completed; `grace` as --drain-grace. */
async function world(seed: string, count: number, grace?: number): Promise<World> {
  const t = await makeTestControl(seed);
  const control = grace === undefined ? t.control : new Control({ ...t.control.deps, drainGraceMs: grace });
  await createOrg(control, operator, { name: 'acme' });
  for (const n of ['n1', 'n2']) await addNode(control, n, 8, 16 * GI);
  await createApp(control, acme, { org: 'acme', name: 'shop' });
  await createRelease(control, acme, 'shop', { image: IMAGE, processes: { web: { cpu: 1, memory: '1Gi', count } } });
  await deploy(control, acme, 'shop', 'prod', { release: 1 });
  await createRoute(control, acme, 'shop', 'prod', 'www', { process: 'web', port: 8080 });
  await healthy(control);
  await advanceDeploys(control, { now: new Date(Date.UTC(2026, 0, 1)) });
  return {
    control,
    close: () => t.close(),
    head: () => t.store.headSeq(),
    after: async (afterSeq) => (await t.store.read({ afterSeq })).filter((e) => e.type !== 'InstanceStateReported'),
  };
}

async function running(control: Control): Promise<InstanceState[]> {
  return [...(await control.read()).instances.values()].filter((i) => i.desired === 'running');
}

let port = 20000;
/** The node agents: every instance not yet healthy passes its health check, at an address the edge can use. */
async function healthy(control: Control): Promise<void> {
  for (const i of await running(control)) if (i.actual !== 'healthy') await report(control, i, 'healthy');
}

async function report(control: Control, i: InstanceState, state: InstanceActualState): Promise<void> {
  port++;
  await reportInstanceState(control, nodeActor(i.node), i.node, i.id, { state, ...(state === 'healthy' ? { address: `10.0.0.${port % 250}:${port}` } : {}) });
}

const backends = async (control: Control): Promise<string[]> => (await edgeTable(control, operator, undefined)).routes[0]!.backends.map((b) => b.instanceId);

/** One reconciler pass at `now`, as platform-control runs it (given no drain grace: the control plane's applies). */
function reconcile(control: Control, now: Date): ReturnType<typeof reconcileOnce> {
  return reconcileOnce(control, now, new Map(), { startedAt: now, nodeTimeoutMs: 3_600_000 });
}

/** When the drain of the given instances started, from the projection (the event's time). */
async function drainStart(control: Control, ids: readonly string[]): Promise<number> {
  const state = await control.read();
  return Math.max(...ids.map((id) => Date.parse(state.instances.get(id)!.drainingSince!)));
}

test('scaling down drains serving instances in the ProcessScaled append: out of the edge table at once, stopped (reason scale) by the reconciler only after the grace', async () => {
  const w = await world('scale-drain', 3);
  try {
    const [oldest, ...newer] = await running(w.control);
    let head = await w.head();
    await scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 1 });
    const appended = await w.after(head);
    assert.deepEqual(appended.map((e) => e.type), ['ProcessScaled', 'InstanceDrainStarted', 'InstanceDrainStarted']);
    assert.equal(new Set(appended.map((e) => e.time)).size, 1, 'one append');
    const drains = appended.slice(1).map((e) => e.payload as EventPayloads['InstanceDrainStarted']);
    // Newest first, each with the reason and the grace it drains for.
    assert.deepEqual(drains.map((p) => [p.instanceId, p.reason, p.graceMs]), newer.reverse().map((i) => [i.id, 'scale', DEFAULT_ROLLING.drainGraceMs]));
    assert.deepEqual(await backends(w.control), [oldest!.id], 'the draining instances left the edge table at once');
    const listed = await listAppInstances(w.control, acme, 'shop');
    assert.deepEqual(listed.filter((i) => i.drainingSince !== undefined).map((i) => [i.id, i.desired]).sort(), drains.map((p) => [p.instanceId, 'running']).sort(), 'still running on their nodes, shown draining');

    const since = await drainStart(w.control, drains.map((p) => p.instanceId));
    head = await w.head();
    assert.equal((await reconcile(w.control, new Date(since + DEFAULT_ROLLING.drainGraceMs - 1))).stopped, 0, 'nothing stops within the grace');
    assert.deepEqual((await w.after(head)).map((e) => e.type), []);
    assert.equal((await reconcile(w.control, new Date(since + DEFAULT_ROLLING.drainGraceMs))).stopped, 2);
    const stops = (await w.after(head)).map((e) => [e.type, (e.payload as EventPayloads['InstanceStopRequested']).instanceId, (e.payload as EventPayloads['InstanceStopRequested']).reason]);
    assert.deepEqual(stops.sort(), drains.map((p) => ['InstanceStopRequested', p.instanceId, 'scale']).sort());
    assert.deepEqual((await running(w.control)).map((i) => i.id), [oldest!.id]);
    assert.deepEqual(await backends(w.control), [oldest!.id]);
    assert.equal((await w.control.verify()).ok, true);
  } finally {
    await w.close();
  }
});

test('scaling down stops instances that serve nothing (pending, starting, unhealthy, exited) at once; only healthy ones drain, and an environment delete names them draining', async () => {
  const w = await world('scale-mixed', 3);
  try {
    const [a, b, c] = await running(w.control);
    await scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 5 });
    const [d, e] = (await running(w.control)).filter((i) => ![a, b, c].some((x) => x!.id === i.id));
    await report(w.control, d!, 'starting');
    await report(w.control, c!, 'unhealthy');
    await report(w.control, b!, 'exited');
    const head = await w.head();
    await scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 0 });
    const byInstance = new Map((await w.after(head)).slice(1).map((ev) => [(ev.payload as { instanceId: string }).instanceId, ev.type]));
    assert.deepEqual([e, d, c, b, a].map((i) => byInstance.get(i!.id)), ['InstanceStopRequested', 'InstanceStopRequested', 'InstanceStopRequested', 'InstanceStopRequested', 'InstanceDrainStarted']);
    assert.deepEqual(await backends(w.control), []);

    const refused = await deleteEnv(w.control, acme, 'shop', 'prod').then(() => assert.fail('deleted an environment with a draining instance'), (error: unknown) => error as TrcError);
    const problem = refused.problems.find((p) => p.path === `instances.${a!.id}`)!;
    assert.equal(refused.code, 'TRC_ENV_IN_USE');
    assert.match(problem.message, /is draining$/);
    assert.match(problem.hint ?? '', /drain grace/);
    assert.equal((await w.control.verify()).ok, true);
  } finally {
    await w.close();
  }
});

test("the drain grace is the control plane's configured one: a scale-down drains with it and the reconciler stops after it; with 0 it stops at once", async () => {
  const w = await world('scale-grace', 3, 1_500);
  try {
    let head = await w.head();
    await scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 2 });
    const [drain] = (await w.after(head)).slice(1).map((e) => e.payload as EventPayloads['InstanceDrainStarted']);
    assert.equal(drain!.graceMs, 1_500);
    const since = await drainStart(w.control, [drain!.instanceId]);
    assert.equal((await reconcile(w.control, new Date(since + 1_499))).stopped, 0);
    assert.equal((await reconcile(w.control, new Date(since + 1_500))).stopped, 1);

    const instant = new Control({ ...w.control.deps, drainGraceMs: 0 });
    head = await w.head();
    await scale(instant, acme, 'shop', 'prod', { processType: 'web', count: 1 });
    assert.deepEqual((await w.after(head)).map((e) => e.type), ['ProcessScaled', 'InstanceStopRequested']);
    assert.equal((await running(instant)).length, 1);
  } finally {
    await w.close();
  }
});

test('scaling back up during a drain places new instances (a draining one is never revived); the quota still counts draining ones until they stop', async () => {
  const w = await world('scale-back-up', 3);
  try {
    await scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 1 });
    const draining = (await running(w.control)).filter((i) => i.drainingSince !== undefined).map((i) => i.id);
    assert.equal(draining.length, 2);
    let head = await w.head();
    await scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 2 });
    assert.deepEqual((await w.after(head)).map((e) => e.type), ['ProcessScaled', 'InstancePlaced']);
    await healthy(w.control);
    assert.equal((await backends(w.control)).length, 2);
    assert.ok((await backends(w.control)).every((id) => !draining.includes(id)));
    const since = await drainStart(w.control, draining);
    assert.equal((await reconcile(w.control, new Date(since + DEFAULT_ROLLING.drainGraceMs))).stopped, 2, 'the drained ones still stop');
    assert.equal((await running(w.control)).length, 2);

    // With a quota of 3 instances, one draining instance and two serving leave no room for a third yet.
    await setQuotas(w.control, operator, 'acme', { memoryBytes: null, instances: 3, publicRoutes: null, ipv4Addresses: null });
    await scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 1 });
    await assert.rejects(scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 3 }), { code: 'TRC_QUOTA_EXCEEDED' });
    const last = (await running(w.control)).find((i) => i.drainingSince !== undefined)!;
    await reconcile(w.control, new Date(Date.parse(last.drainingSince!) + DEFAULT_ROLLING.drainGraceMs));
    head = await w.head();
    await scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 3 });
    assert.deepEqual((await w.after(head)).map((e) => e.type), ['ProcessScaled', 'InstancePlaced', 'InstancePlaced']);
    assert.equal((await w.control.verify()).ok, true);
  } finally {
    await w.close();
  }
});

test('a draining instance on a node that goes down is not moved elsewhere: only serving instances are, and it is stopped after its grace', async () => {
  const w = await world('scale-node-down', 4);
  try {
    await scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 2 });
    const all = await running(w.control);
    const drained = all.filter((i) => i.drainingSince !== undefined);
    const down = drained[0]!.node;
    const serving = all.filter((i) => i.drainingSince === undefined && i.node === down).length;
    const now = new Date(Date.UTC(2026, 5, 1));
    assert.deepEqual(await markSilentNodesDown(w.control, now, new Date(now.getTime() - 60_000), new Map([[down === 'n1' ? 'n2' : 'n1', now.getTime()]]), 30_000), [down]);
    const head = await w.head();
    assert.deepEqual(await rescheduleFromDownNodes(w.control), { moved: serving, waiting: [] });
    assert.equal((await w.after(head)).filter((e) => e.type === 'InstancePlaced').length, serving);
    assert.equal((await running(w.control)).filter((i) => i.drainingSince === undefined).length, 2);
    const stopped = await reconcileOnce(w.control, now, new Map([['n1', now.getTime()], ['n2', now.getTime()]]), { startedAt: now, nodeTimeoutMs: 3_600_000 });
    assert.equal(stopped.stopped, drained.length);
    assert.equal((await w.control.verify()).ok, true);
  } finally {
    await w.close();
  }
});

test('a drain under way keeps the grace it started with, even when the control plane restarts with another --drain-grace', async () => {
  const w = await world('scale-regrace', 3, 1_500);
  try {
    const head = await w.head();
    await scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 2 });
    const [drain] = (await w.after(head)).slice(1).map((e) => e.payload as EventPayloads['InstanceDrainStarted']);
    const since = await drainStart(w.control, [drain!.instanceId]);
    const restarted = new Control({ ...w.control.deps, drainGraceMs: 60_000 });
    assert.equal((await reconcile(restarted, new Date(since + 1_499))).stopped, 0);
    assert.equal((await reconcile(restarted, new Date(since + 1_500))).stopped, 1, 'stopped after the 1.5 s it started with, not the new 60 s');
  } finally {
    await w.close();
  }
});
