// Surge-first rolling replacement (deploys and secret restarts alike): capacity never drops below the desired
// count with max unavailable 0, old instances drain out of the edge table before they are stopped, quota refusals
// wait or fall back, and a new instance silent past its health deadline fails the rollout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addNode, makeTestControl, operator, orgActor, IMAGE } from '../test-support/control.ts';
import { createOrg, setQuotas } from './orgs.ts';
import { createApp, createRelease, deploy, scale } from './apps.ts';
import { advanceDeploys } from './deploys.ts';
import { advanceRestarts, reportInstanceState } from './instances.ts';
import { stopDrained } from './reconcile.ts';
import { createRoute } from './routes.ts';
import { edgeTable } from './edges.ts';
import { setSecrets } from './secrets.ts';
import { DEFAULT_ROLLING, healthDeadlineMs, type RollingOptions } from './rolling.ts';
import type { Control } from './control.ts';
import type { InstanceState } from '../state/state.ts';

const GI = 2 ** 30;
const acme = orgActor('acme');
const image = (c: string): string => `registry.example/acme/web@sha256:${c.repeat(64)}`;

interface World { control: Control; close: () => Promise<void>; types: (after: number) => Promise<string[]>; head: () => Promise<number>; now: () => Promise<Date> }

/** acme/shop with releases 1 and 2 (web, `count` instances), release 1 deployed, healthy and completed. */
async function world(seed: string, count: number): Promise<World> {
  const t = await makeTestControl(seed);
  const { control } = t;
  await createOrg(control, operator, { name: 'acme' });
  for (const n of ['n1', 'n2']) await addNode(control, n, 8, 16 * GI);
  await createApp(control, acme, { org: 'acme', name: 'shop' });
  await createRelease(control, acme, 'shop', { image: IMAGE, processes: { web: { cpu: 1, memory: '1Gi', count } } });
  await createRelease(control, acme, 'shop', { image: image('b'), processes: { web: { cpu: 1, memory: '1Gi', count } } });
  await deploy(control, acme, 'shop', 'prod', { release: 1 });
  await createRoute(control, acme, 'shop', 'prod', 'www', { process: 'web', port: 8080 });
  await healthy(control);
  await advanceDeploys(control, { now: new Date(Date.UTC(2026, 0, 1)) });
  // "Now" as the reconciler sees it: the time of the last event (the test store's clock steps 1 s per event).
  const now = async (): Promise<Date> => new Date(Date.UTC(2026, 0, 1) + (await t.store.headSeq()) * 1000);
  return { control, close: () => t.close(), head: () => t.store.headSeq(), types: async (afterSeq) => (await t.store.read({ afterSeq })).map((e) => e.type).filter((x) => x !== 'InstanceStateReported'), now };
}

async function running(control: Control): Promise<InstanceState[]> {
  return [...(await control.read()).instances.values()].filter((i) => i.desired === 'running' && i.app === 'shop');
}

/** The node agents: every instance not yet healthy passes its health check, at an address the edge can use. */
async function healthy(control: Control): Promise<void> {
  let port = 20000;
  for (const i of await running(control)) {
    port++;
    if (i.actual !== 'healthy') await reportInstanceState(control, { kind: 'node', node: i.node, tokenId: 't' }, i.node, i.id, { state: 'healthy', address: `10.0.0.${port % 250}:${port}` });
  }
}

/** Serving = healthy, not draining: what the edge table routes to. */
const serving = (all: InstanceState[]): InstanceState[] => all.filter((i) => i.actual === 'healthy' && i.drainingSince === undefined);

test('with max unavailable 0 and a count of 1, a deploy places the new instance first, drains the old one out of the edge table, then stops it', async () => {
  const w = await world('roll-surge-one', 1);
  try {
    const [old] = await running(w.control);
    await deploy(w.control, acme, 'shop', 'prod', { release: 2 });
    const options = async (): Promise<Partial<RollingOptions>> => ({ now: await w.now() });
    let head = await w.head();
    await advanceDeploys(w.control, await options());
    assert.deepEqual(await w.types(head), ['InstancePlaced'], 'the surge instance first; the old one keeps serving');
    assert.deepEqual(serving(await running(w.control)).map((i) => i.id), [old!.id]);
    await advanceDeploys(w.control, await options());
    assert.equal(serving(await running(w.control)).length, 1, 'nothing stops before the new instance is healthy');
    await healthy(w.control);
    head = await w.head();
    await advanceDeploys(w.control, await options());
    assert.deepEqual(await w.types(head), ['InstanceDrainStarted']);
    const table = await edgeTable(w.control, operator, undefined);
    const backends = table.routes[0]!.backends.map((b) => b.instanceId);
    assert.equal(backends.length, 1);
    assert.ok(!backends.includes(old!.id), 'the draining instance left the edge table');
    assert.ok(table.watch.includes('InstanceDrainStarted'), 'the edge reloads on a drain');
    assert.equal((await running(w.control)).find((i) => i.id === old!.id)?.desired, 'running', 'the agent is not yet asked to stop it');
    // Within the drain grace nothing stops; after it, the node agent is asked to.
    assert.equal(await stopDrained(w.control, { ...DEFAULT_ROLLING, now: new Date((await w.now()).getTime() - 60_000) }), 0);
    head = await w.head();
    assert.equal(await stopDrained(w.control, { ...DEFAULT_ROLLING, now: new Date((await w.now()).getTime() + DEFAULT_ROLLING.drainGraceMs) }), 1);
    assert.deepEqual(await w.types(head), ['InstanceStopRequested']);
    head = await w.head();
    await advanceDeploys(w.control, await options());
    assert.deepEqual(await w.types(head), ['DeployCompleted']);
    assert.equal((await w.control.verify()).ok, true);
  } finally {
    await w.close();
  }
});

test('a surge-first rollout of 3 instances never has fewer than 3 serving nor more than 4 running', async () => {
  const w = await world('roll-surge-three', 3);
  try {
    await deploy(w.control, acme, 'shop', 'prod', { release: 2 });
    for (let pass = 0; pass < 30; pass++) {
      const now = new Date((await w.now()).getTime() + DEFAULT_ROLLING.drainGraceMs);
      await stopDrained(w.control, { ...DEFAULT_ROLLING, now });
      await advanceDeploys(w.control, { now });
      const all = await running(w.control);
      assert.ok(serving(all).length >= 3, `pass ${pass}: only ${serving(all).length} serving`);
      assert.ok(all.length <= 4, `pass ${pass}: ${all.length} running`);
      if ((await w.control.read()).apps.get('shop')!.envs.prod!.rollout === null) {
        assert.ok(all.every((i) => i.release === 2 && i.actual === 'healthy'));
        return;
      }
      await healthy(w.control);
    }
    assert.fail('the rollout did not finish in 30 passes');
  } finally {
    await w.close();
  }
});

test('a surge the quota refuses waits and says why with max unavailable 0; with 1 it drains the old instance first instead', async () => {
  const w = await world('roll-quota', 1);
  try {
    await setQuotas(w.control, operator, 'acme', { memoryBytes: null, instances: 1, publicRoutes: 5, ipv4Addresses: 0 });
    await deploy(w.control, acme, 'shop', 'prod', { release: 2 });
    let head = await w.head();
    await advanceDeploys(w.control, { now: await w.now() });
    const said = (await (async () => (await w.control.deps.store.read({ afterSeq: head })).filter((e) => e.type === 'ReplacementDeferred'))());
    assert.equal(said.length, 1);
    assert.match((said[0]!.payload as { reason: string }).reason, /instances/);
    const report = await advanceDeploys(w.control, { now: await w.now() });
    assert.equal(report.events, 0, 'said once, not on every pass');
    assert.match(report.waiting[0]!.reason, /instances/);
    assert.equal(serving(await running(w.control)).length, 1, 'the old instance keeps serving');
    head = await w.head();
    await advanceDeploys(w.control, { now: await w.now(), maxUnavailable: 1 });
    assert.deepEqual(await w.types(head), ['InstanceDrainStarted']);
    await stopDrained(w.control, { ...DEFAULT_ROLLING, now: new Date((await w.now()).getTime() + 10_000) });
    head = await w.head();
    await advanceDeploys(w.control, { now: await w.now(), maxUnavailable: 1 });
    assert.deepEqual(await w.types(head), ['InstancePlaced'], 'the replacement is placed once the old one stopped');
  } finally {
    await w.close();
  }
});

test('a new instance silent past its health deadline fails the deploy, naming it, and the rollout rolls back', async () => {
  const w = await world('roll-deadline', 1);
  try {
    const [old] = await running(w.control);
    await deploy(w.control, acme, 'shop', 'prod', { release: 2 });
    await advanceDeploys(w.control, { now: await w.now() });
    const fresh = (await running(w.control)).find((i) => i.release === 2)!;
    assert.equal((await advanceDeploys(w.control, { now: new Date(Date.parse(fresh.placedAt) + 299_000) })).events, 0, 'within the deadline it waits');
    const head = await w.head();
    await advanceDeploys(w.control, { now: new Date(Date.parse(fresh.placedAt) + 300_000) });
    const failed = (await w.control.deps.store.read({ afterSeq: head })).find((e) => e.type === 'DeployFailed')!;
    assert.equal((failed.payload as { instanceId: string }).instanceId, fresh.id);
    assert.match((failed.payload as { reason: string }).reason, new RegExp(`instance ${fresh.id} \\(web\\) of release 2 no health report within 300s`));
    await advanceDeploys(w.control, { now: await w.now() });
    await advanceDeploys(w.control, { now: await w.now() });
    const env = (await w.control.read()).apps.get('shop')!.envs.prod!;
    assert.equal(env.release, 1);
    assert.equal(env.rollout, null);
    assert.equal(env.deploys.at(-1)!.status, 'rolled-back');
    assert.deepEqual((await running(w.control)).map((i) => i.id), [old!.id], 'the old instance served throughout');
  } finally {
    await w.close();
  }
});

test('a secret restart whose new instance never reports is abandoned with an event; the old instance keeps serving', async () => {
  const w = await world('roll-restart-deadline', 1);
  try {
    const [old] = await running(w.control);
    await setSecrets(w.control, acme, 'shop', 'prod', { values: { API_KEY: 'v2' } });
    await advanceRestarts(w.control, { now: await w.now() });
    const fresh = (await running(w.control)).find((i) => i.bundleVersion === 1)!;
    assert.ok(fresh !== undefined, 'the surge instance has the new bundle');
    const head = await w.head();
    await advanceRestarts(w.control, { now: new Date(Date.parse(fresh.placedAt) + 300_000) });
    const events = await w.control.deps.store.read({ afterSeq: head });
    assert.deepEqual(events.map((e) => e.type), ['InstanceStopRequested', 'RestartAbandoned']);
    assert.match((events[1]!.payload as { reason: string }).reason, new RegExp(`instance ${fresh.id} \\(web\\) of bundle version 1 no health report within 300s`));
    assert.deepEqual((await w.control.read()).apps.get('shop')!.envs.prod!.restarts, {});
    assert.deepEqual(serving(await running(w.control)).map((i) => i.id), [old!.id]);
    assert.equal((await w.control.verify()).ok, true);
  } finally {
    await w.close();
  }
});

test('the health deadline is 30 x the manifest health-check interval (5 minutes by default), or the configured one', () => {
  const manifest = 'app = "shop"\n\n[processes.web]\ncmd = ["./web"]\ncount = 1\ncpu = 1\nmemory = "1Gi"\nport = 8080\n\n[processes.web.health_check]\ninterval = "2s"\n';
  assert.equal(healthDeadlineMs(undefined, 'web', DEFAULT_ROLLING), 300_000);
  assert.equal(healthDeadlineMs(manifest, 'web', DEFAULT_ROLLING), 60_000);
  assert.equal(healthDeadlineMs(manifest, 'web', { ...DEFAULT_ROLLING, healthDeadlineMs: 9_000 }), 9_000);
});

test('a draining instance does not count towards the desired count: scaling up meanwhile places the missing one', async () => {
  const w = await world('roll-drain-scale', 1);
  try {
    await deploy(w.control, acme, 'shop', 'prod', { release: 2 });
    await advanceDeploys(w.control, { now: await w.now() });
    await healthy(w.control);
    await advanceDeploys(w.control, { now: await w.now() });
    const all = [...(await w.control.read()).instances.values()].filter((i) => i.desired === 'running');
    assert.equal(all.filter((i) => i.drainingSince !== undefined).length, 1, 'the old instance drains');
    await scale(w.control, acme, 'shop', 'prod', { processType: 'web', count: 2 });
    assert.equal((await running(w.control)).filter((i) => i.drainingSince === undefined).length, 2);
  } finally {
    await w.close();
  }
});
