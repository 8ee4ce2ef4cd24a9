// Deploy and scale go through quota admission, then the core scheduler; placements become events.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TrcError } from '@trc/core';
import { addNode, makeTestControl, operator, orgActor, IMAGE, DIGEST } from '../test-support/control.ts';
import { createOrg, setClusterSettings, setQuotas } from './orgs.ts';
import { createApp, createRelease, deploy, scale } from './apps.ts';
import { nodeAssignments, reportInstanceState } from './instances.ts';
import { nodeInstanceSpec } from './node-instance-spec.ts';
import { advanceDeploys } from './deploys.ts';

const t = await makeTestControl('placement');
after(() => t.close());
const { control } = t;
const acme = orgActor('acme');
const GI = 2 ** 30;
await createOrg(control, operator, { name: 'acme' });
await addNode(control, 'n1', 4, 8 * GI);
await addNode(control, 'n2', 4, 8 * GI);
await createApp(control, acme, { org: 'acme', name: 'shop' });
await createRelease(control, acme, 'shop', { image: IMAGE, processes: { web: { cpu: 1, memory: '1Gi', count: 2 } } });

async function running(): Promise<{ id: string; node: string; release: number }[]> {
  return [...(await control.read()).instances.values()].filter((i) => i.desired === 'running').map((i) => ({ id: i.id, node: i.node, release: i.release }));
}

test('a deploy places its instances through the scheduler: InstancePlaced events with node, digest and bundle version', async () => {
  const before = await t.store.headSeq();
  const result = await deploy(control, acme, 'shop', 'prod', { release: 1 });
  assert.equal(result.instances, 2);
  const events = await t.store.read({ afterSeq: before });
  assert.deepEqual(events.map((e) => e.type), ['DeployStarted', 'InstancePlaced', 'InstancePlaced']);
  const placed = events.slice(1).map((e) => e.payload as { node: string; digest: string; bundleVersion: number; memoryBytes: number });
  // Instances of one process type spread across nodes.
  assert.deepEqual(placed.map((p) => p.node).sort(), ['n1', 'n2']);
  for (const p of placed) assert.deepEqual([p.digest, p.bundleVersion, p.memoryBytes], [DIGEST, 0, GI]);
  const n1 = await nodeAssignments(control, operator, 'n1');
  assert.equal(n1.length, 1);
  assert.equal(n1[0]!.desired, 'running');
});

test("a node's assignments carry each instance's org, and the spec of one waiting to be started (as GET …/spec answers it), not once started", async () => {
  const node = { kind: 'node', node: 'n1', tokenId: 't' } as const;
  const [pending] = await nodeAssignments(control, node, 'n1');
  assert.equal(pending!.org, 'acme');
  assert.deepEqual(pending!.spec, await nodeInstanceSpec(control, node, 'n1', pending!.id));
  await reportInstanceState(control, node, 'n1', pending!.id, { state: 'starting' });
  const [started] = await nodeAssignments(control, node, 'n1');
  assert.deepEqual([started!.org, started!.spec], ['acme', undefined]);
});

test('a redeploy replaces the old instances (rolling, deploys.test.ts); scaling down stops the newest', async () => {
  await createRelease(control, acme, 'shop', { image: IMAGE, processes: { web: { cpu: 1, memory: '1Gi', count: 2 } } });
  const old = await running();
  await deploy(control, acme, 'shop', 'prod', { release: 2 });
  for (let step = 0; step < 10 && (await running()).some((i) => i.release !== 2); step++) {
    await advanceDeploys(control, 1);
    for (const i of (await control.read()).instances.values()) if (i.desired === 'running' && i.actual !== 'healthy') await reportInstanceState(control, { kind: 'node', node: i.node, tokenId: 't' }, i.node, i.id, { state: 'healthy' });
  }
  const now = await running();
  assert.equal(now.length, 2);
  assert.ok(now.every((i) => i.release === 2 && !old.some((o) => o.id === i.id)));
  await scale(control, acme, 'shop', 'prod', { processType: 'web', count: 4 });
  const four = await running();
  assert.equal(four.length, 4);
  await scale(control, acme, 'shop', 'prod', { processType: 'web', count: 3 });
  assert.deepEqual((await running()).map((i) => i.id), four.slice(0, 3).map((i) => i.id));
});

test('quota admission comes first and names every exceeded quota with its use and limit; nothing is appended', async () => {
  await setQuotas(control, operator, 'acme', { memoryBytes: 4 * GI, instances: 4, publicRoutes: null, ipv4Addresses: null });
  const head = await t.store.headSeq();
  const error = await scale(control, acme, 'shop', 'prod', { processType: 'web', count: 6 }).catch((e: unknown) => e);
  assert.ok(error instanceof TrcError);
  assert.equal(error.code, 'TRC_QUOTA_EXCEEDED');
  assert.deepEqual(error.problems.map((p) => p.path), ['memory', 'instances']);
  assert.match(error.problems[0]!.message, /uses 3Gi of 4Gi; this request needs 3Gi more/);
  assert.match(error.problems[1]!.message, /runs 3 of 4 instances; this request needs 3 more/);
  assert.equal(await t.store.headSeq(), head);
  // Within the quota it passes.
  await scale(control, acme, 'shop', 'prod', { processType: 'web', count: 4 });
});

test('an instance no node can hold is refused with the scheduler reason; nothing is appended', async () => {
  await setQuotas(control, operator, 'acme', { memoryBytes: null, instances: null, publicRoutes: null, ipv4Addresses: null });
  await createRelease(control, acme, 'shop', { image: IMAGE, processes: { web: { cpu: 1, memory: '1Gi', count: 1 }, big: { cpu: 1, memory: '64Gi', count: 1 } } });
  const head = await t.store.headSeq();
  const error = await deploy(control, acme, 'shop', 'prod', { release: 3 }).catch((e: unknown) => e);
  assert.ok(error instanceof TrcError);
  assert.match(error.code, /^TRC_SCHEDULER_/);
  assert.equal(error.kind, 'user');
  assert.ok(error.hint);
  assert.equal(await t.store.headSeq(), head);
  assert.equal((await control.verify()).ok, true);
});

test("the operator's cpu_overcommit and memory safety buffer are validated by core's rules and drive placement", async () => {
  await assert.rejects(setClusterSettings(control, operator, { cpuOvercommit: 0.5, memorySafetyBuffer: '256MB' }), (e: TrcError) => e.code === 'TRC_RESOURCES_INVALID_CLUSTER_SETTINGS' && e.problems.length === 2);
  await assert.rejects(setClusterSettings(control, acme, { cpuOvercommit: 2, memorySafetyBuffer: '256Mi' }), { code: 'TRC_FORBIDDEN' });
  await createApp(control, acme, { org: 'acme', name: 'cpu' });
  await createRelease(control, acme, 'cpu', { image: IMAGE, processes: { hog: { cpu: 6, memory: '64Mi', count: 1 } } });
  // Two 4-core nodes: at overcommit 1 no node offers 6 vCPU; at the default 4 (16 vCPU per node) one does.
  await setClusterSettings(control, operator, { cpuOvercommit: 1, memorySafetyBuffer: '256Mi' });
  await assert.rejects(deploy(control, acme, 'cpu', 'prod', { release: 1 }), (e: TrcError) => /^TRC_SCHEDULER_/.test(e.code));
  await setClusterSettings(control, operator, { cpuOvercommit: 4, memorySafetyBuffer: '256Mi' });
  assert.equal((await deploy(control, acme, 'cpu', 'prod', { release: 1 })).instances, 1);
});
