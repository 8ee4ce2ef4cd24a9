// Property tests over random clusters and requests: the invariants every plan keeps (checked by
// replaying it in the harness), determinism, and independence from the order of nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { schedule } from './schedule.ts';
import { Harness, planViolations } from './test-support/harness.ts';
import { Gi, Mi, SETTINGS } from './test-support/fixtures.ts';
import type { PlacementRequest, RunningInstance, Snapshot, SnapshotNode } from './types.ts';

const APPS = ['shop', 'blog', 'api'];
const PROCESS_TYPES = ['web', 'worker'];
const CPUS = [0.25, 0.5, 1, 2];
const MEMORIES = [256 * Mi, 512 * Mi, Gi, 2 * Gi];
const RUNS = { numRuns: 150 };

const instanceArb: fc.Arbitrary<RunningInstance> = fc.record({
  app: fc.constantFrom(...APPS),
  env: fc.constantFrom('production', 'staging'),
  processType: fc.constantFrom(...PROCESS_TYPES),
  cpu: fc.constantFrom(...CPUS),
  memory: fc.constantFrom(...MEMORIES),
});

/** Up to 12 nodes; volumes vol-<node>-<k> so each lives on exactly one node. */
const snapshotArb: fc.Arbitrary<Snapshot> = fc
  .array(fc.record({
    cores: fc.integer({ min: 1, max: 4 }),
    memoryGi: fc.integer({ min: 1, max: 8 }),
    reservedMi: fc.constantFrom(0, 256, 512),
    status: fc.constantFrom<SnapshotNode['status']>('up', 'up', 'up', 'up', 'draining', 'down'),
    volumes: fc.integer({ min: 0, max: 2 }),
    instances: fc.array(instanceArb, { maxLength: 6 }),
  }), { minLength: 1, maxLength: 12 })
  .chain((raw) => fc.record({ overcommit: fc.constantFrom(1, 2, 4), buffer: fc.constantFrom(0, 128 * Mi) }).map(({ overcommit, buffer }) => ({
    settings: { ...SETTINGS, cpuOvercommit: overcommit, memorySafetyBuffer: buffer },
    nodes: raw.map((r, i) => ({
      id: `node-${i}`,
      cores: r.cores,
      memory: r.memoryGi * Gi,
      reservedMemory: r.reservedMi * Mi,
      status: r.status,
      volumes: Array.from({ length: r.volumes }, (_, k) => `vol-${i}-${k}`),
      instances: r.instances,
    })),
  })));

function requestsArb(snap: Snapshot): fc.Arbitrary<PlacementRequest[]> {
  const volumes = [...snap.nodes.flatMap((n) => n.volumes), 'vol-nowhere'];
  return fc
    .array(fc.record({
      app: fc.constantFrom(...APPS),
      processType: fc.constantFrom(...PROCESS_TYPES),
      cpu: fc.constantFrom(...CPUS),
      memory: fc.constantFrom(...MEMORIES),
      count: fc.integer({ min: 1, max: 8 }),
      withVolume: fc.boolean(),
    }), { minLength: 1, maxLength: 5 })
    .chain((raw) => fc.shuffledSubarray(volumes, { minLength: volumes.length, maxLength: volumes.length }).map((pool) => {
      let next = 0;
      return raw.map((r, i) => {
        const base = { id: `req-${i}`, org: 'acme', app: r.app, env: 'production', processType: r.processType, cpu: r.cpu, memory: r.memory };
        if (!r.withVolume || next >= pool.length) return { ...base, count: r.count };
        const take = Math.min(r.count, 2, pool.length - next);
        const vols = pool.slice(next, next + take);
        next += take;
        return { ...base, count: take, volumes: vols };
      });
    }));
}

const scenarioArb = snapshotArb.chain((snap) => fc.tuple(fc.constant(snap), requestsArb(snap), fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(undefined, 1, 2)));

test('property: memory is never over-committed, cpu never exceeds allocatable, nothing lands on a node that is not up', () => {
  fc.assert(fc.property(scenarioArb, ([snap, requests, seed, candidates]) => {
    const h = new Harness();
    h.schedule(snap, requests, { seed, ...(candidates === undefined ? {} : { candidates }) });
    const broken = planViolations(h.plans[0]!).filter((v) => /over-commits|above its allocatable|which is (draining|down)|decisions for/.test(v));
    assert.deepEqual(broken, []);
  }), RUNS);
});

test('property: an instance with a volume is placed only on the node holding it', () => {
  fc.assert(fc.property(scenarioArb, ([snap, requests, seed]) => {
    const plan = schedule(snap, requests, { seed });
    const byId = new Map(requests.map((r) => [r.id, r]));
    for (const p of plan.placements) {
      const volume = byId.get(p.requestId)!.volumes?.[p.index];
      if (volume !== undefined) assert.ok(snap.nodes.find((n) => n.id === p.nodeId)!.volumes.includes(volume), `${p.requestId}#${p.index} away from ${volume}`);
    }
    const h = new Harness();
    h.schedule(snap, requests, { seed });
    assert.deepEqual(planViolations(h.plans[0]!).filter((v) => v.includes('away from its volume')), []);
  }), RUNS);
});

test('property: spread is honoured whenever capacity allows, and nothing fails while a node fits', () => {
  fc.assert(fc.property(scenarioArb, ([snap, requests, seed, candidates]) => {
    const h = new Harness();
    h.schedule(snap, requests, { seed, ...(candidates === undefined ? {} : { candidates }) });
    assert.deepEqual(planViolations(h.plans[0]!), []);
  }), RUNS);
  // With room everywhere and an empty cluster, a group's instances differ by at most one between up nodes.
  fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 60 }), fc.nat(), (nodes, count, seed) => {
    const snap = { settings: SETTINGS, nodes: Array.from({ length: nodes }, (_, i) => ({ id: `n${i}`, cores: 64, memory: 256 * Gi, reservedMemory: 0, status: 'up' as const, volumes: [], instances: [] })) };
    const plan = schedule(snap, [{ id: 'r', org: 'acme', app: 'shop', env: 'production', processType: 'web', cpu: 1, memory: Gi, count }], { seed });
    const per = new Map<string, number>();
    for (const p of plan.placements) per.set(p.nodeId, (per.get(p.nodeId) ?? 0) + 1);
    const counts = snap.nodes.map((n) => per.get(n.id) ?? 0);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, counts.join(','));
  }), RUNS);
});

test('property: the same seed gives the same plan', () => {
  fc.assert(fc.property(scenarioArb, ([snap, requests, seed]) => {
    assert.deepEqual(schedule(snap, requests, { seed }), schedule(snap, requests, { seed }));
  }), RUNS);
});

test('property: the plan does not depend on the order of nodes in the snapshot, nor of instances on a node', () => {
  fc.assert(fc.property(scenarioArb.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s[0].nodes.map((_, i) => i), { minLength: s[0].nodes.length, maxLength: s[0].nodes.length }))), ([[snap, requests, seed], order]) => {
    const shuffled = { ...snap, nodes: order.map((i) => ({ ...snap.nodes[i]!, instances: [...snap.nodes[i]!.instances].reverse() })) };
    assert.deepEqual(schedule(shuffled, requests, { seed }), schedule(snap, requests, { seed }));
  }), RUNS);
});
