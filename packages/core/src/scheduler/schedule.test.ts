// Worked examples of placement: fit, locality, spread, binpack, and the reasons given when nothing fits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrcError } from '../errors/errors.ts';
import { schedule } from './schedule.ts';
import { startPlan } from './planner.ts';
import { Harness, planViolations } from './test-support/harness.ts';
import { Gi, Mi, node, request, running, SETTINGS, snapshot } from './test-support/fixtures.ts';

const seed = 1;

function nodesOf(plan: ReturnType<typeof schedule>): string[] {
  return plan.placements.map((p) => p.nodeId);
}

test('cpu requests fit against allocatable cpu (cores x cpu_overcommit), which may exceed physical cores', () => {
  const snap = snapshot([node('n1', { cores: 2, memory: 64 * Gi })], { ...SETTINGS, cpuOvercommit: 4 });
  const h = new Harness();
  const plan = h.schedule(snap, [request('r', { cpu: 1, memory: Gi, count: 9 })], { seed });
  assert.equal(plan.placements.length, 8, '2 cores x 4 = 8 vCPU of requests, beyond the 2 physical cores');
  assert.equal(plan.failures.length, 1);
  assert.equal(plan.failures[0]!.code, 'TRC_SCHEDULER_NO_CPU');
  assert.equal(plan.failures[0]!.reason, 'cpu: no node has 1 vCPU free; largest free is 0 vCPU on n1 (allocatable cpu is cores x cpu_overcommit 4)');
  assert.deepEqual(planViolations(h.plans[0]!), []);
});

test('the sum of memory caps on a node never exceeds its allocatable memory', () => {
  const snap = snapshot([node('n1', { memory: 4 * Gi, reservedMemory: Gi, instances: [running('other', { memory: Gi })] })], { ...SETTINGS, memorySafetyBuffer: 512 * Mi });
  const h = new Harness();
  const plan = h.schedule(snap, [request('r', { cpu: 0.1, memory: 512 * Mi, count: 5 })], { seed });
  assert.equal(plan.placements.length, 3, '4Gi - 1Gi reserved - 512Mi buffer - 1Gi running = 1.5Gi = 3 x 512Mi');
  assert.equal(plan.failures.length, 2);
  assert.equal(plan.failures[0]!.reason, 'memory: no node has 512Mi free; largest free is 0 on n1');
  assert.deepEqual(plan.failures.map((f) => [f.index, f.reason]), [[3, 'memory: no node has 512Mi free; largest free is 0 on n1'], [4, 'memory: no node has 512Mi free; largest free is 0 on n1']]);
  assert.deepEqual(planViolations(h.plans[0]!), []);
});

test('an unplaceable instance gets an actionable reason naming the largest free amount and its node', () => {
  const nodes = Array.from({ length: 8 }, (_, i) => node(`node-${i + 1}`, { memory: 8 * Gi, instances: [running('big', { memory: (i === 6 ? 6.5 : 7) * Gi })] }));
  const plan = schedule(snapshot(nodes), [request('r', { memory: 2 * Gi })], { seed });
  assert.deepEqual(plan.failures, [{
    requestId: 'r',
    index: 0,
    code: 'TRC_SCHEDULER_NO_MEMORY',
    reason: 'memory: no node has 2Gi free; largest free is 1.5Gi on node-7',
    hint: 'lower the memory of this process type, scale down other instances, or ask an operator to add nodes',
  }]);
});

test('the largest-free reason comes from the exact index, not from the nodes sampled', () => {
  // 2000 nodes and a sample of 2: the one node with 1.5Gi free is almost never among the sampled.
  const nodes = Array.from({ length: 2000 }, (_, i) => node(`n${String(i).padStart(4, '0')}`, { instances: [running('x', { memory: i === 1234 ? 6.5 * Gi : 7 * Gi })] }));
  for (const s of [1, 2, 3]) {
    const plan = schedule(snapshot(nodes), [request('r', { memory: 2 * Gi })], { seed: s, candidates: 2 });
    assert.equal(plan.failures[0]!.reason, 'memory: no node has 2Gi free; largest free is 1.5Gi on n1234');
  }
});

test('cpu and memory free on different nodes but not together give TRC_SCHEDULER_NO_FIT', () => {
  const snap = snapshot([
    node('a', { cores: 1, memory: 8 * Gi, instances: [running('x', { cpu: 3.5, memory: Gi })] }),
    node('b', { cores: 1, memory: 8 * Gi, instances: [running('x', { cpu: 0.5, memory: 7 * Gi })] }),
  ]);
  const plan = schedule(snap, [request('r', { cpu: 2, memory: 2 * Gi })], { seed });
  assert.equal(plan.failures[0]!.code, 'TRC_SCHEDULER_NO_FIT');
  assert.equal(plan.failures[0]!.reason, 'cpu and memory: no node has both 2 vCPU and 2Gi free; a has the most memory free (7Gi, with 0.5 vCPU), b the most cpu free (3.5 vCPU, with 1Gi)');
});

test('a request larger than any node gives TRC_SCHEDULER_EXCEEDS_NODE_SIZE; no up node gives TRC_SCHEDULER_NO_NODES', () => {
  const big = schedule(snapshot([node('a'), node('b', { memory: 16 * Gi, reservedMemory: 2 * Gi })]), [request('r', { memory: 20 * Gi })], { seed });
  assert.equal(big.failures[0]!.code, 'TRC_SCHEDULER_EXCEEDS_NODE_SIZE');
  assert.equal(big.failures[0]!.reason, 'memory: 20Gi is more than any node offers; the largest offers 14Gi (b)');
  assert.equal(big.failures[0]!.hint, 'lower memory to at most 14Gi, or ask an operator for a larger node');
  const none = schedule(snapshot([node('a', { status: 'draining' }), node('b', { status: 'down' }), node('c', { status: 'down' })]), [request('r')], { seed });
  assert.equal(none.failures[0]!.code, 'TRC_SCHEDULER_NO_NODES');
  assert.equal(none.failures[0]!.reason, 'no node is up (1 draining, 2 down)');
});

test('an instance with a local volume goes to the node holding the volume and nowhere else', () => {
  const nodes = [node('a'), node('b', { volumes: ['vol-1'] }), node('c', { volumes: ['vol-2'] })];
  const h = new Harness();
  const plan = h.schedule(snapshot(nodes), [request('db', { processType: 'db', count: 2, volumes: ['vol-2', 'vol-1'] })], { seed });
  assert.deepEqual(plan.placements.map((p) => [p.index, p.nodeId]), [[0, 'c'], [1, 'b']]);
  assert.deepEqual(planViolations(h.plans[0]!), []);
});

test('a volume on no node, on a draining or down node, or on a full node fails with its own code', () => {
  const nodes = [node('a', { volumes: ['v-full'], memory: 2 * Gi }), node('b', { volumes: ['v-drain'], status: 'draining' }), node('c', { volumes: ['v-down'], status: 'down' }), node('d')];
  const plan = schedule(snapshot(nodes), [request('db', { count: 4, memory: 4 * Gi, volumes: ['v-missing', 'v-drain', 'v-down', 'v-full'] })], { seed });
  assert.equal(plan.placements.length, 0, 'never elsewhere, although d has room');
  assert.deepEqual(plan.failures.map((f) => [f.code, f.reason]), [
    ['TRC_SCHEDULER_VOLUME_NOT_FOUND', 'volume: "v-missing" is on no node of the cluster'],
    ['TRC_SCHEDULER_VOLUME_NODE_UNAVAILABLE', 'volume: "v-drain" is on b, which is draining; the instance can run nowhere else'],
    ['TRC_SCHEDULER_VOLUME_NODE_UNAVAILABLE', 'volume: "v-down" is on c, which is down; the instance can run nowhere else'],
    ['TRC_SCHEDULER_VOLUME_NODE_FULL', 'memory: a holds volume "v-full" but has 2Gi free; this instance needs 4Gi'],
  ]);
});

test('instances of one process type spread across nodes before any node gets a second', () => {
  const nodes = ['a', 'b', 'c', 'd'].map((id) => node(id, { memory: 32 * Gi, cores: 16 }));
  const plan = schedule(snapshot(nodes), [request('web', { count: 8, memory: Gi })], { seed });
  const counts = new Map<string, number>();
  for (const id of nodesOf(plan)) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.deepEqual([...counts.entries()].sort(), [['a', 2], ['b', 2], ['c', 2], ['d', 2]]);
  const firstFour = new Set(nodesOf(plan).slice(0, 4));
  assert.equal(firstFour.size, 4, 'every node gets one before any gets two');
});

test('spread counts the instances already running, on up nodes only, per app, env and process type', () => {
  const nodes = [
    node('a', { instances: [running('shop'), running('shop')] }),
    node('b', { instances: [running('shop', { processType: 'worker' }), running('shop', { env: 'staging' }), running('blog')] }),
    node('c', { instances: [running('shop')] }),
    node('d', { status: 'draining', instances: [] }),
  ];
  const plan = schedule(snapshot(nodes), [request('web', { count: 3, memory: Mi * 256, cpu: 0.25 })], { seed });
  assert.equal(nodesOf(plan)[0], 'b', 'b runs no shop/production/web yet');
  assert.deepEqual(nodesOf(plan).slice(1).sort(), ['b', 'c']);
});

test('after spread, the fullest node wins (Nomad ScoreFitBinPack)', () => {
  const nodes = [
    node('empty'),
    node('half', { instances: [running('other', { memory: 4 * Gi, cpu: 8 })] }),
    node('most', { instances: [running('other', { memory: 6 * Gi, cpu: 12 })] }),
  ];
  const plan = schedule(snapshot(nodes), [request('web', { memory: Gi })], { seed });
  assert.equal(nodesOf(plan)[0], 'most');
  assert.ok(plan.placements[0]!.score > 0.5 && plan.placements[0]!.score <= 1);
});

test('placements within one call account for each other; draining and down nodes get nothing', () => {
  const nodes = [node('a', { memory: 3 * Gi }), node('b', { memory: 3 * Gi }), node('c', { status: 'draining' }), node('d', { status: 'down' })];
  const h = new Harness();
  const plan = h.schedule(snapshot(nodes), [request('x', { app: 'x', memory: 2 * Gi }), request('y', { app: 'y', memory: 2 * Gi }), request('z', { app: 'z', memory: 2 * Gi })], { seed });
  assert.deepEqual(nodesOf(plan).sort(), ['a', 'b']);
  assert.equal(plan.failures[0]!.requestId, 'z');
  assert.deepEqual(planViolations(h.plans[0]!), []);
});

test('invalid requests are refused with every problem listed; the snapshot is never modified', () => {
  const snap = snapshot([node('a', { volumes: ['v'] })]);
  const before = structuredClone(snap);
  assert.throws(() => schedule(snap, [request('r', { cpu: 0, memory: -1, count: 2, volumes: ['v'] }), request('r', { app: '' })], { seed }), (e) => {
    assert.ok(isTrcError(e));
    assert.equal(e.code, 'TRC_SCHEDULER_INVALID_REQUEST');
    assert.deepEqual(e.problems.map((p) => p.path), ['requests.0.cpu', 'requests.0.memory', 'requests.0.volumes', 'requests.1.id', 'requests.1.app']);
    return true;
  });
  schedule(snap, [request('r', { count: 3 })], { seed });
  assert.deepEqual(snap, before);
});

test('an inconsistent snapshot is reported as a bug, with every problem', () => {
  const snap = snapshot([node('a', { volumes: ['v'] }), node('a'), node('b', { volumes: ['v'], cores: -1 })]);
  assert.throws(() => schedule(snap, [request('r')], { seed }), (e) => {
    assert.ok(isTrcError(e));
    assert.equal(e.code, 'TRC_SCHEDULER_INVALID_SNAPSHOT');
    assert.equal(e.kind, 'bug');
    assert.equal(e.problems.length, 3);
    return true;
  });
});

test('the incremental planner decides exactly as schedule does', () => {
  const nodes = Array.from({ length: 30 }, (_, i) => node(`n${i}`, { memory: (4 + (i % 5)) * Gi }));
  const requests = [request('a', { count: 20 }), request('b', { app: 'b', count: 15, memory: 512 * Mi }), request('c', { app: 'c', count: 10, cpu: 2 })];
  const planner = startPlan(snapshot(nodes), { seed: 9 });
  for (const r of requests) planner.place(r);
  assert.deepEqual(planner.plan(), schedule(snapshot(nodes), requests, { seed: 9 }));
  assert.throws(() => startPlan(snapshot(nodes), { seed: 0.5 }), (e) => isTrcError(e) && e.kind === 'bug');
  assert.throws(() => startPlan(snapshot(nodes), { seed: 1, candidates: 0 }), (e) => isTrcError(e) && e.kind === 'bug');
  assert.throws(() => planner.place(request('a')), (e) => isTrcError(e) && e.problems[0]!.message === 'id "a" was already placed in this plan');
});
