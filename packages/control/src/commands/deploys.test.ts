// Rolling deploys: a new release replaces instances one step at a time (max unavailable), each step waiting
// for health; a new instance that exits stops the rollout and rolls back to the previous release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeShopControl, nodeActor, orgActor, IMAGE } from '../test-support/control.ts';
import { createRelease, deploy, getApp } from './apps.ts';
import { advanceDeploys } from './deploys.ts';
import { reportInstanceState, reportOomKill } from './instances.ts';
import type { EnvState, InstanceState } from '../state/state.ts';
import type { Control } from './control.ts';

const acme = orgActor('acme');
const image = (c: string): string => `registry.example/acme/web@sha256:${c.repeat(64)}`;

interface World {
  readonly control: Control;
  head(): Promise<number>;
  types(after: number): Promise<string[]>;
}

/** Runs a test in its own world (releases 1..3 of shop, three web instances each, nothing deployed), closed after. */
async function inWorld(seed: string, body: (w: World) => Promise<void>): Promise<void> {
  const w = await world(seed);
  try {
    await body(w);
  } finally {
    await w.close();
  }
}

async function world(seed: string): Promise<World & { close: () => Promise<void> }> {
  const t = await makeShopControl(seed);
  const { control } = t;
  await createRelease(control, acme, 'shop', { image: IMAGE, processes: { web: { cpu: 1, memory: '1Gi', count: 3 } } });
  await createRelease(control, acme, 'shop', { image: image('b'), processes: { web: { cpu: 1, memory: '1Gi', count: 3 } } });
  await createRelease(control, acme, 'shop', { image: image('c'), processes: { web: { cpu: 1, memory: '1Gi', count: 3 } } });
  return {
    control,
    head: () => t.store.headSeq(),
    close: () => t.close(),
    types: async (afterSeq) => (await t.store.read({ afterSeq })).map((e) => e.type),
  };
}

async function running(control: Control): Promise<InstanceState[]> {
  return [...(await control.read()).instances.values()].filter((i) => i.desired === 'running' && i.app === 'shop');
}

/** What the node running an instance reports about it. */
function report(control: Control, i: InstanceState, input: Parameters<typeof reportInstanceState>[4]): Promise<unknown> {
  return reportInstanceState(control, nodeActor(i.node), i.node, i.id, input);
}

/** The node agents' part: every instance not yet healthy passes its health check. */
async function nodesReportHealthy(control: Control): Promise<void> {
  for (const i of await running(control)) if (i.actual !== 'healthy') await report(control, i, { state: 'healthy' });
}

/** Deploys a release and completes it: every instance reports healthy, then the deploy step sees that. */
async function deployHealthy(control: Control, release: number): Promise<void> {
  await deploy(control, acme, 'shop', 'prod', { release });
  await nodesReportHealthy(control);
  await advanceDeploys(control, 1);
}

async function prodEnv(control: Control): Promise<EnvState> {
  return (await control.read()).apps.get('shop')!.envs.prod!;
}

/** Drives a rollout to its end with healthy instances, checking the availability bound after every step. */
async function rollToEnd(control: Control, maxUnavailable: number, count: number): Promise<number> {
  let steps = 0;
  for (; steps < 20; steps++) {
    await advanceDeploys(control, maxUnavailable);
    const now = await running(control);
    assert.equal(now.length, count, 'a step stops exactly as many instances as it places');
    assert.ok(now.filter((i) => i.actual !== 'healthy').length <= maxUnavailable, `more than ${maxUnavailable} unavailable`);
    const env = (await getApp(control, acme, 'shop')).envs.prod!;
    if (env.rollout === null) return steps;
    await nodesReportHealthy(control);
  }
  assert.fail('the rollout did not finish in 20 steps');
}

test('a first deploy places everything at once and completes when every instance is healthy', () =>
  inWorld('deploy-first', async (w) => {
    const result = await deploy(w.control, acme, 'shop', 'prod', { release: 1 });
    assert.deepEqual([result.instances, result.rolling], [3, 0]);
    assert.equal((await advanceDeploys(w.control, 1)).events, 0, 'not complete before the instances are healthy');
    await nodesReportHealthy(w.control);
    const before = await w.head();
    assert.equal((await advanceDeploys(w.control, 1)).events, 1);
    assert.deepEqual(await w.types(before), ['DeployCompleted']);
    const env = (await getApp(w.control, acme, 'shop')).envs.prod!;
    assert.equal(env.rollout, null);
    assert.deepEqual((await w.control.verify()).ok, true);
  }));

test('a deploy of a new release replaces instances one at a time, each new one healthy before the next old one stops', () =>
  inWorld('deploy-rolling', async (w) => {
    await deployHealthy(w.control, 1);
    const old = await running(w.control);
    const before = await w.head();
    const result = await deploy(w.control, acme, 'shop', 'prod', { release: 2 });
    assert.deepEqual([result.instances, result.rolling], [0, 3]);
    assert.deepEqual(await w.types(before), ['DeployStarted'], 'nothing is stopped when the deploy starts');
    assert.equal((await getApp(w.control, acme, 'shop')).envs.prod!.rollout?.release, 2);
    const steps = await rollToEnd(w.control, 1, 3);
    assert.equal(steps, 3);
    const final = await running(w.control);
    assert.ok(final.every((i) => i.release === 2 && i.digest === `sha256:${'b'.repeat(64)}` && !old.some((o) => o.id === i.id)));
    const types = (await w.types(before)).filter((t) => t !== 'InstanceStateReported');
    assert.deepEqual(types, ['DeployStarted', ...Array(3).fill(['InstanceStopRequested', 'InstancePlaced']).flat(), 'DeployCompleted']);
    const deploys = (await prodEnv(w.control)).deploys;
    assert.deepEqual(deploys.map((d) => d.status), ['completed', 'completed']);
    assert.equal((await w.control.verify()).ok, true);
  }));

test('max unavailable 2 replaces two instances per step', () =>
  inWorld('deploy-two', async (w) => {
    await deployHealthy(w.control, 1);
    await deploy(w.control, acme, 'shop', 'prod', { release: 2 });
    const before = await w.head();
    await advanceDeploys(w.control, 2);
    assert.deepEqual(await w.types(before), ['InstanceStopRequested', 'InstancePlaced', 'InstanceStopRequested', 'InstancePlaced']);
    assert.equal(await rollToEnd(w.control, 2, 3), 2);
  }));

test('a new instance that exits fails the deploy; the rollout turns back and the old release keeps serving', () =>
  inWorld('deploy-fail', async (w) => {
    await deployHealthy(w.control, 1);
    await deploy(w.control, acme, 'shop', 'prod', { release: 2 });
    await rollToEnd(w.control, 1, 3);
    const before = await w.head();
    const { deployId } = await deploy(w.control, acme, 'shop', 'prod', { release: 3 });
    await advanceDeploys(w.control, 1);
    const bad = (await running(w.control)).find((i) => i.release === 3)!;
    await reportOomKill(w.control, nodeActor(bad.node), bad.node, bad.id);
    // Still waiting on the failed instance: no further old instance is stopped.
    const failedStep = await advanceDeploys(w.control, 1);
    assert.equal(failedStep.events, 1);
    const failed = (await w.control.deps.store.read({ afterSeq: before, types: ['DeployFailed'] }))[0]!;
    assert.deepEqual(failed.payload, { deployId, app: 'shop', org: 'acme', env: 'prod', release: 3, previousRelease: 2, instanceId: bad.id, reason: `instance ${bad.id} (web) of release 3 reported exited: memory limit exceeded: web instance ${bad.id} used its whole 1Gi cap and was killed` });
    const env = (await getApp(w.control, acme, 'shop')).envs.prod!;
    assert.equal(env.release, 2);
    assert.deepEqual(env.rollout, { deployId, release: 2, previousRelease: null, rollback: true });
    const serving = (await running(w.control)).filter((i) => i.release === 2);
    assert.equal(serving.length, 2, 'the two old instances never stopped');
    await rollToEnd(w.control, 1, 3);
    const final = await running(w.control);
    assert.ok(final.every((i) => i.release === 2));
    assert.ok(serving.every((s) => final.some((f) => f.id === s.id)), 'the rollback replaced only the failed instance');
    const types = (await w.types(before)).filter((t) => t.startsWith('Deploy'));
    assert.deepEqual(types, ['DeployStarted', 'DeployFailed', 'DeployRolledBack']);
    const deploys = (await prodEnv(w.control)).deploys;
    assert.deepEqual(deploys.map((d) => d.status), ['completed', 'completed', 'rolled-back']);
    assert.equal((await w.control.verify()).ok, true);
  }));

test('a failing first deploy has nothing to return to: it stops rolling and says why', () =>
  inWorld('deploy-fail-first', async (w) => {
    await deploy(w.control, acme, 'shop', 'prod', { release: 1 });
    const bad = (await running(w.control))[0]!;
    await report(w.control, bad, { state: 'unhealthy', detail: 'GET /healthz: 503' });
    await advanceDeploys(w.control, 1);
    const env = await prodEnv(w.control);
    assert.equal(env.rollout, null);
    assert.equal(env.release, 1);
    assert.equal(env.deploys[0]!.status, 'failed');
    assert.equal((await advanceDeploys(w.control, 1)).events, 0);
  }));

test('a deploy during a rollout supersedes it: the newest release is rolled out over both older ones', () =>
  inWorld('deploy-supersede', async (w) => {
    await deployHealthy(w.control, 1);
    await deploy(w.control, acme, 'shop', 'prod', { release: 2 });
    await advanceDeploys(w.control, 1);
    await nodesReportHealthy(w.control);
    const result = await deploy(w.control, acme, 'shop', 'prod', { release: 3 });
    assert.equal(result.rolling, 3);
    await rollToEnd(w.control, 1, 3);
    assert.ok((await running(w.control)).every((i) => i.release === 3));
    const deploys = (await prodEnv(w.control)).deploys;
    assert.deepEqual(deploys.map((d) => d.status), ['completed', 'superseded', 'completed']);
  }));

test('a deploy places a new process type at once, stops a dropped one at once, and rolls only the kept one', () =>
  inWorld('deploy-types', async (w) => {
    await createRelease(w.control, acme, 'shop', { image: image('d'), processes: { web: { cpu: 1, memory: '1Gi', count: 3 }, cron: { cpu: 1, memory: '1Gi', count: 1 } } });
    await createRelease(w.control, acme, 'shop', { image: image('e'), processes: { web: { cpu: 1, memory: '1Gi', count: 3 }, worker: { cpu: 1, memory: '1Gi', count: 2 } } });
    await deploy(w.control, acme, 'shop', 'prod', { release: 4 });
    await nodesReportHealthy(w.control);
    await advanceDeploys(w.control, 1);
    const cron = (await running(w.control)).filter((i) => i.processType === 'cron');
    assert.equal(cron.length, 1);
    const result = await deploy(w.control, acme, 'shop', 'prod', { release: 5 });
    assert.deepEqual([result.instances, result.rolling], [2, 3]);
    const now = await running(w.control);
    assert.deepEqual(now.filter((i) => i.processType === 'worker').map((i) => i.release), [5, 5]);
    assert.equal(now.filter((i) => i.processType === 'cron').length, 0, 'the dropped process type stopped at once');
    assert.ok(now.filter((i) => i.processType === 'web').every((i) => i.release === 4), 'web waits for the rollout');
    await nodesReportHealthy(w.control);
    await rollToEnd(w.control, 1, 5);
    assert.ok((await running(w.control)).every((i) => i.release === 5));
  }));

test('redeploying after a failure retries: failed instances are replaced, and only instances this deploy placed can fail it', () =>
  inWorld('deploy-retry', async (w) => {
    await deploy(w.control, acme, 'shop', 'prod', { release: 1 });
    const bad = (await running(w.control))[0]!;
    for (const i of await running(w.control)) if (i.id !== bad.id) await report(w.control, i, { state: 'healthy' });
    await report(w.control, bad, { state: 'exited', detail: 'exit status 1' });
    await advanceDeploys(w.control, 1);
    assert.equal((await prodEnv(w.control)).deploys[0]!.status, 'failed');
    const retry = await deploy(w.control, acme, 'shop', 'prod', { release: 1 });
    assert.deepEqual([retry.instances, retry.rolling], [0, 1], 'the failed instance is the one to replace');
    // The failed instance was placed by the first deploy, so it does not fail this one.
    const steps = await rollToEnd(w.control, 1, 3);
    assert.ok(steps >= 1);
    const final = await running(w.control);
    assert.ok(final.every((i) => i.actual === 'healthy') && !final.some((i) => i.id === bad.id));
    assert.equal((await prodEnv(w.control)).deploys[1]!.status, 'completed');
  }));

test('a rollback whose own replacement fails still ends (DeployRolledBack); the instance state says why', () =>
  inWorld('deploy-rollback-fails', async (w) => {
    await deployHealthy(w.control, 1);
    await deploy(w.control, acme, 'shop', 'prod', { release: 2 });
    await advanceDeploys(w.control, 1);
    const bad = (await running(w.control)).find((i) => i.release === 2)!;
    await report(w.control, bad, { state: 'unhealthy' });
    await advanceDeploys(w.control, 1); // DeployFailed
    await advanceDeploys(w.control, 1); // the rollback replaces the failed instance
    const back = (await running(w.control)).find((i) => i.release === 1 && i.actual === 'pending')!;
    await report(w.control, back, { state: 'exited', detail: 'disk full' });
    await advanceDeploys(w.control, 1);
    const env = await prodEnv(w.control);
    assert.equal(env.rollout, null);
    assert.equal(env.deploys[1]!.status, 'rolled-back');
    assert.equal((await running(w.control)).find((i) => i.id === back.id)?.detail, 'disk full');
  }));
