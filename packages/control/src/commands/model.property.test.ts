// Property: any sequence of commands (valid or not, in any order) leaves a state that replaying the log
// rebuilds exactly, fails only with user errors, and never over-commits a node's memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TrcError } from '@trc/core';
import { makeTestControl, operator, orgActor, IMAGE } from '../test-support/control.ts';
import type { Control } from './control.ts';
import { createOrg, setQuotas } from './orgs.ts';
import { createApp, createRelease, deleteApp, deploy, scale } from './apps.ts';
import { setSecrets, unsetSecrets } from './secrets.ts';
import { registerNode } from './nodes.ts';
import { advanceRestarts, reportInstanceState, rescheduleFromDownNodes } from './instances.ts';
import { advanceDeploys } from './deploys.ts';
import { reconcileOnce } from './reconcile.ts';
import { allocateIpv4, createRoute, setIpv4Pool } from './routes.ts';
import { markSilentNodesDown } from './nodes.ts';

const GI = 2 ** 30;
const org = fc.constantFrom('a', 'b');
const app = fc.constantFrom('x', 'y');
const env = fc.constantFrom('prod', 'staging');
const owner = (name: string): string => (name === 'x' ? 'a' : 'b');

type Step = (control: Control) => Promise<unknown>;

const steps: fc.Arbitrary<Step>[] = [
  org.map((o) => (c: Control) => createOrg(c, operator, { name: o })),
  app.map((a) => (c: Control) => createApp(c, orgActor(owner(a)), { org: owner(a), name: a })),
  fc.tuple(app, fc.constantFrom(0.5, 1), fc.constantFrom('512Mi', '2Gi'), fc.integer({ min: 0, max: 3 })).map(([a, cpu, memory, count]) => (c: Control) => createRelease(c, orgActor(owner(a)), a, { image: IMAGE, processes: { web: { cpu, memory, count } } })),
  fc.tuple(app, env, fc.integer({ min: 1, max: 2 })).map(([a, e, release]) => (c: Control) => deploy(c, orgActor(owner(a)), a, e, { release })),
  fc.tuple(app, env, fc.integer({ min: 0, max: 5 })).map(([a, e, count]) => (c: Control) => scale(c, orgActor(owner(a)), a, e, { processType: 'web', count })),
  fc.tuple(app, env, fc.constantFrom('K1', 'K2', '3X'), fc.string({ maxLength: 8 })).map(([a, e, k, v]) => (c: Control) => setSecrets(c, orgActor(owner(a)), a, e, { values: { [k]: v } })),
  fc.tuple(app, env, fc.constantFrom('K1', 'K2')).map(([a, e, k]) => (c: Control) => unsetSecrets(c, orgActor(owner(a)), a, e, { keys: [k] })),
  fc.constantFrom('n1', 'n2').map((n) => (c: Control) => registerNode(c, operator, { name: n, cores: 4, memoryBytes: 8 * GI, reservedMemoryBytes: GI })),
  fc.tuple(org, fc.integer({ min: 0, max: 6 })).map(([o, instances]) => (c: Control) => setQuotas(c, operator, o, { memoryBytes: null, instances, publicRoutes: 1, ipv4Addresses: 1 })),
  fc.integer({ min: 1, max: 2 }).map((max) => (c: Control) => advanceRestarts(c, max)),
  fc.integer({ min: 1, max: 2 }).map((max) => (c: Control) => advanceDeploys(c, max)),
  // The reconciler's defaults (surge first, drains, deadlines, failed-instance replacement), at a clock that
  // lets every grace, deadline and backoff pass.
  fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })).map(([maxUnavailable, maxSurge]) => (c: Control) =>
    reconcileOnce(c, new Date(Date.UTC(2027, 0, 1)), new Map([['n1', Date.UTC(2027, 0, 1)], ['n2', Date.UTC(2027, 0, 1)]]), { startedAt: new Date(Date.UTC(2027, 0, 1)), nodeTimeoutMs: 60_000, maxUnavailable, maxSurge: maxUnavailable + maxSurge === 0 ? 1 : maxSurge })),
  fc.constant((c: Control) => advanceDeploys(c, { now: new Date(Date.UTC(2026, 0, 1)) })),
  fc.constant(async (c: Control) => {
    // A node reports a new instance failing: rolling deploys must fail and roll back cleanly.
    const i = [...(await c.read()).instances.values()].find((x) => x.desired === 'running' && x.actual !== 'healthy');
    if (i !== undefined) await reportInstanceState(c, { kind: 'node', node: i.node, tokenId: 't' }, i.node, i.id, { state: 'exited' });
  }),
  fc.constant(async (c: Control) => {
    for (const i of (await c.read()).instances.values()) if (i.desired === 'running' && i.actual !== 'healthy') await reportInstanceState(c, { kind: 'node', node: i.node, tokenId: 't' }, i.node, i.id, { state: 'healthy' });
  }),
  fc.constantFrom('n1', 'n2').map((down) => async (c: Control) => {
    const now = new Date(Date.UTC(2026, 0, 2));
    await markSilentNodesDown(c, now, new Date(now.getTime() - 60_000), new Map([[down === 'n1' ? 'n2' : 'n1', now.getTime()]]), 30_000);
    return rescheduleFromDownNodes(c);
  }),
  fc.tuple(app, env, fc.constantFrom(443, 8080)).map(([a, e, port]) => (c: Control) => createRoute(c, orgActor(owner(a)), a, e, `r${port}`, { process: 'web', port })),
  fc.tuple(app, env).map(([a, e]) => async (c: Control) => (await setIpv4Pool(c, operator, { addresses: [...(await c.read()).ipv4.keys(), '203.0.113.9'] }), allocateIpv4(c, orgActor(owner(a)), a, e))),
  app.map((a) => (c: Control) => deleteApp(c, orgActor(owner(a)), a)),
];

test('property: any command sequence replays to the same state, fails only with user errors, and never over-commits memory', async () => {
  let run = 0;
  let events = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(...steps), { minLength: 10, maxLength: 30, size: 'max' }), async (sequence) => {
      const t = await makeTestControl(`model-${run++}`);
      try {
        // A small world to act on, so most steps get past the existence checks.
        for (const o of ['a', 'b']) await createOrg(t.control, operator, { name: o });
        for (const n of ['n1', 'n2']) await registerNode(t.control, operator, { name: n, cores: 4, memoryBytes: 8 * GI, reservedMemoryBytes: GI });
        for (const a of ['x', 'y']) {
          await createApp(t.control, orgActor(owner(a)), { org: owner(a), name: a });
          await createRelease(t.control, orgActor(owner(a)), a, { image: IMAGE, processes: { web: { cpu: 1, memory: '1Gi', count: 2 } } });
        }
        for (const step of sequence) {
          try {
            await step(t.control);
          } catch (error) {
            assert.ok(error instanceof TrcError, `not a TrcError: ${String(error)}`);
            assert.equal(error.kind, 'user', `${error.code}: ${error.message}`);
          }
        }
        const verified = await t.control.verify();
        events += verified.events;
        assert.equal(verified.ok, true, JSON.stringify(verified.differences));
        const state = await t.control.read();
        for (const node of state.nodes.values()) {
          const used = [...state.instances.values()].filter((i) => i.desired === 'running' && i.node === node.name).reduce((s, i) => s + i.memoryBytes, 0);
          assert.ok(used <= node.memoryBytes - node.reservedMemoryBytes - state.settings.memorySafetyBufferBytes, `node ${node.name} holds ${used} bytes`);
        }
      } finally {
        await t.close();
      }
    }),
    { numRuns: 100, seed: 7 },
  );
  // The sequences must reach deep states, not fail at the first existence check.
  assert.ok(events > 100 * 20, `only ${events} events in 100 runs`);
});
