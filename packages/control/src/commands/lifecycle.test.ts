// Failed instances are replaced so the desired count holds: exits (OOM kills included) and lasting unhealthiness,
// with exponential backoff per (app, env, process type) and a crash-loop verdict that says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addNode, makeTestControl, operator, orgActor, IMAGE } from '../test-support/control.ts';
import { createOrg } from './orgs.ts';
import { createApp, createRelease, deploy, scale } from './apps.ts';
import { advanceDeploys } from './deploys.ts';
import { reportInstanceState, reportOomKill } from './instances.ts';
import { createVolume } from './volumes.ts';
import { DEFAULT_REPLACE, replaceFailedInstances } from './lifecycle.ts';
import type { Control } from './control.ts';
import type { InstanceState } from '../state/state.ts';
import type { Actor } from './actor.ts';
import type { EventPayloads } from '@trc/core';

const GI = 2 ** 30;
const acme = orgActor('acme');
const nodeActor = (node: string): Actor => ({ kind: 'node', node, tokenId: `tok_${node}` });

async function world(seed: string, processes: Record<string, { cpu: number; memory: string; count: number }>): Promise<{ control: Control; close: () => Promise<void>; after: (seq: number) => Promise<{ type: string; payload: unknown }[]>; head: () => Promise<number> }> {
  const t = await makeTestControl(seed);
  const { control } = t;
  await createOrg(control, operator, { name: 'acme' });
  for (const n of ['n1', 'n2', 'n3']) await addNode(control, n, 8, 16 * GI);
  await createApp(control, acme, { org: 'acme', name: 'shop' });
  await createRelease(control, acme, 'shop', { image: IMAGE, processes });
  await deploy(control, acme, 'shop', 'prod', { release: 1 });
  for (const i of await running(control)) await reportInstanceState(control, nodeActor(i.node), i.node, i.id, { state: 'healthy' });
  await advanceDeploys(control, { now: new Date(Date.UTC(2026, 0, 1)) });
  return { control, close: () => t.close(), head: () => t.store.headSeq(), after: async (afterSeq) => (await t.store.read({ afterSeq })).map((e) => ({ type: e.type, payload: e.payload })) };
}

async function running(control: Control, processType = 'web'): Promise<InstanceState[]> {
  return [...(await control.read()).instances.values()].filter((i) => i.desired === 'running' && i.app === 'shop' && i.processType === processType);
}

const at = (i: InstanceState, ms: number): Date => new Date(Date.parse(i.actualSince!) + ms);

test('an exited instance is replaced through the scheduler after its backoff; three quick OOM kills mark the slot crash-looping, then it waits the max backoff', async () => {
  const w = await world('heal-exit', { web: { cpu: 1, memory: '1Gi', count: 2 } });
  try {
    const options = { ...DEFAULT_REPLACE };
    const delays: number[] = [];
    let victim = (await running(w.control))[0]!;
    for (let failure = 1; failure <= 3; failure++) {
      await reportOomKill(w.control, nodeActor(victim.node), victim.node, victim.id);
      victim = (await w.control.read()).instances.get(victim.id)!;
      const delay = failure === 3 ? options.backoffMaxMs : options.backoffBaseMs * 2 ** (failure - 1);
      const early = await replaceFailedInstances(w.control, { ...options, now: at(victim, delay - 1) });
      assert.equal(early.replaced, 0, `failure ${failure}: not before its backoff`);
      assert.match(early.waiting[0]!.reason, /backoff/);
      const head = await w.head();
      assert.equal((await replaceFailedInstances(w.control, { ...options, now: at(victim, delay) })).replaced, 1);
      const events = await w.after(head);
      assert.deepEqual(events.map((e) => e.type), ['InstanceStopRequested', 'InstancePlaced', 'InstanceReplaced', ...(failure === 3 ? ['ProcessTypeCrashLooped'] : [])]);
      const replaced = events[2]!.payload as EventPayloads['InstanceReplaced'];
      assert.equal(replaced.instanceId, victim.id);
      assert.equal(replaced.failures, failure);
      assert.match(replaced.reason, /memory limit exceeded \(cap 1Gi\)/);
      delays.push(replaced.delayMs);
      if (failure === 3) {
        const looped = events[3]!.payload as EventPayloads['ProcessTypeCrashLooped'];
        assert.equal(looped.reason, 'exited 3 times within 60s: memory limit exceeded (cap 1Gi)');
        assert.equal(looped.retryDelayMs, options.backoffMaxMs);
      }
      const placed = events[1]!.payload as EventPayloads['InstancePlaced'];
      assert.equal(placed.reason, 'failure');
      assert.equal((await running(w.control)).length, 2, 'the desired count holds');
      victim = (await w.control.read()).instances.get(placed.instanceId)!;
      await reportInstanceState(w.control, nodeActor(victim.node), victim.node, victim.id, { state: 'healthy' });
    }
    assert.deepEqual(delays, [1_000, 2_000, options.backoffMaxMs]);
    assert.equal((await w.control.read()).slots.get('shop/prod/web')?.crashLooping, true);
    // A fourth quick failure of a crash-looping slot waits the max backoff too.
    await reportInstanceState(w.control, nodeActor(victim.node), victim.node, victim.id, { state: 'exited', detail: 'exit status 3' });
    victim = (await w.control.read()).instances.get(victim.id)!;
    assert.equal((await replaceFailedInstances(w.control, { ...options, now: at(victim, 8_000) })).replaced, 0);
    assert.equal((await replaceFailedInstances(w.control, { ...options, now: at(victim, options.backoffMaxMs) })).replaced, 1);
    assert.equal((await w.control.verify()).ok, true);
  } finally {
    await w.close();
  }
});

test('an instance unhealthy past the threshold is replaced; a briefly unhealthy one is not', async () => {
  const w = await world('heal-unhealthy', { web: { cpu: 1, memory: '1Gi', count: 1 } });
  try {
    let [i] = await running(w.control);
    await reportInstanceState(w.control, nodeActor(i!.node), i!.node, i!.id, { state: 'unhealthy', detail: 'GET /healthz answered 500' });
    i = (await w.control.read()).instances.get(i!.id)!;
    const options = { ...DEFAULT_REPLACE };
    assert.equal((await replaceFailedInstances(w.control, { ...options, now: at(i, options.unhealthyAfterMs - 1) })).replaced, 0);
    const head = await w.head();
    assert.equal((await replaceFailedInstances(w.control, { ...options, now: at(i, options.unhealthyAfterMs + options.backoffBaseMs) })).replaced, 1);
    const replaced = (await w.after(head)).find((e) => e.type === 'InstanceReplaced')!.payload as EventPayloads['InstanceReplaced'];
    assert.match(replaced.reason, /stayed unhealthy: GET \/healthz answered 500/);
    assert.equal((await running(w.control)).length, 1);
  } finally {
    await w.close();
  }
});

test('an exited instance pinned by a local volume is replaced on the volume node, mounting the same volume', async () => {
  const w = await world('heal-volume', { web: { cpu: 1, memory: '1Gi', count: 1 }, db: { cpu: 1, memory: '1Gi', count: 0 } });
  try {
    const volume = await createVolume(w.control, acme, 'shop', 'prod', { name: 'pg', processType: 'db', size: '1Gi' });
    await scale(w.control, acme, 'shop', 'prod', { processType: 'db', count: 1 });
    let [db] = await running(w.control, 'db');
    await reportInstanceState(w.control, nodeActor(db!.node), db!.node, db!.id, { state: 'exited', detail: 'exit status 1' });
    db = (await w.control.read()).instances.get(db!.id)!;
    assert.equal((await replaceFailedInstances(w.control, { ...DEFAULT_REPLACE, now: at(db, 60_000) })).replaced, 1);
    const [next] = await running(w.control, 'db');
    assert.notEqual(next!.id, db.id);
    assert.deepEqual([next!.node, next!.volume], [volume.node, volume.id]);
  } finally {
    await w.close();
  }
});

test('during a rollout the deploy failure policy, not replacement, handles the new release failing', async () => {
  const w = await world('heal-rollout', { web: { cpu: 1, memory: '1Gi', count: 1 } });
  try {
    await createRelease(w.control, acme, 'shop', { image: IMAGE.replace(/a{64}$/, 'b'.repeat(64)), processes: { web: { cpu: 1, memory: '1Gi', count: 1 } } });
    await deploy(w.control, acme, 'shop', 'prod', { release: 2 });
    await advanceDeploys(w.control, { now: new Date(Date.UTC(2026, 0, 2)) });
    const fresh = (await running(w.control)).find((i) => i.release === 2)!;
    await reportInstanceState(w.control, nodeActor(fresh.node), fresh.node, fresh.id, { state: 'exited', detail: 'exit status 1' });
    assert.equal((await replaceFailedInstances(w.control, { ...DEFAULT_REPLACE, now: new Date(Date.UTC(2026, 0, 3)) })).replaced, 0);
    const head = await w.head();
    await advanceDeploys(w.control, { now: new Date(Date.UTC(2026, 0, 2)) });
    assert.deepEqual((await w.after(head)).map((e) => e.type), ['DeployFailed']);
  } finally {
    await w.close();
  }
});
