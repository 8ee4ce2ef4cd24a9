// The harness's replay catches each kind of broken plan, so the property tests can trust it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlan, Harness, planViolations } from './harness.ts';
import { Gi, node, request, snapshot } from './fixtures.ts';

test('planViolations names over-commit, wrong node for a volume, poor spread, down nodes and needless failures', () => {
  const snap = snapshot([node('a', { memory: 2 * Gi, volumes: ['v'] }), node('b', { memory: 2 * Gi }), node('c', { status: 'down' })]);
  const requests = [request('r', { count: 3 }), request('s', { app: 's', volumes: ['v'] }), request('t', { app: 't' })];
  const plan = {
    placements: [
      { requestId: 'r', index: 0, nodeId: 'a', score: 0 },
      { requestId: 'r', index: 1, nodeId: 'a', score: 0 },
      { requestId: 'r', index: 2, nodeId: 'a', score: 0 },
      { requestId: 's', index: 0, nodeId: 'c', score: 0 },
    ],
    failures: [{ requestId: 't', index: 0, code: 'TRC_SCHEDULER_NO_MEMORY' as const, reason: '', hint: '' }],
  };
  assert.deepEqual(planViolations({ snapshot: snap, requests, options: { seed: 1 }, plan }), [
    'r#1 placed on a holding 1 of its group while a feasible node held 0',
    'r#2 placed on a holding 2 of its group while a feasible node held 0',
    'r#2 over-commits memory on a',
    's#0 placed on c, which is down',
    's#0 placed on c, away from its volume v',
    't#0 failed although b fitted',
  ]);
});

test('the harness records every plan and applies it to the snapshot', () => {
  const h = new Harness();
  const snap = snapshot([node('a'), node('b')]);
  const next = h.scheduleAndApply(snap, [request('r', { count: 2 })], { seed: 3 });
  const again = h.scheduleAndApply(next, [request('r2', { count: 2 })], { seed: 3 });
  assert.equal(h.plans.length, 2);
  assert.deepEqual(again.nodes.map((n) => n.instances.length), [2, 2]);
  for (const record of h.plans) assert.deepEqual(planViolations(record), []);
  assert.deepEqual(applyPlan(snap, [], { placements: [], failures: [] }), snap);
});
