// The agent's pass scheduling, without runc: a burst of assignments starts concurrently but never more than
// `maxConcurrentStarts` at once, every instance starts, and `starting` reaches the control plane before `healthy`.
// The control plane and the starter are fakes (named so): the point is to hold starts open and count them.
// Also which streamed events trigger a pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InstanceNetwork } from '../network/network.ts';
import type { RuntimeDriver } from '../runtime/runtime.ts';
import { Agent, changesAssignments, type Starter } from './agent.ts';
import type { Assignment, ControlPlane, InstanceSpecResponse, StreamedEvent } from './control-client.ts';
import { RecordStore } from './records.ts';

const assignment = (id: string): Assignment => ({ id, app: 'shop', org: 'acme', env: 'prod', processType: 'web', release: 1, digest: 'sha256:00', bundleVersion: 0, node: 'n1', desired: 'running', actual: 'pending' });
const spec = (id: string): InstanceSpecResponse => ({ id, app: 'shop', org: 'acme', env: 'prod', processType: 'web', release: 1, image: 'registry.test/shop', digest: `sha256:${'0'.repeat(64)}`, bundleVersion: 0, cpu: 0.25, memoryBytes: 32 * 2 ** 20 });

test('a burst of 9 assignments starts every instance, at most maxConcurrentStarts (3) at once, each reported starting before healthy', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trc-agent-slots-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ids = Array.from({ length: 9 }, (_, i) => `ins_${i}`);
  const reports: string[] = [];
  const fakeControl: Partial<ControlPlane> = {
    assignments: async () => ids.map(assignment),
    instanceSpec: async (id) => spec(id),
    instanceSecrets: async () => new Uint8Array(),
    reportState: async (id, state) => void reports.push(`${id}:${state}`),
  };
  let running = 0;
  let peak = 0;
  let started = 0;
  // Each start is held until the test has seen the slots fill up.
  const gates: (() => void)[] = [];
  const fakeStarter: Starter = {
    start: async (plan) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
      started++;
      return { instanceId: plan.id, orgId: plan.org, netnsPath: `/run/netns/${plan.id}`, address: `198.18.0.${started + 1}`, gateway: '198.18.0.1', hostInterface: `v${plan.id}` };
    },
    cleanup: async () => undefined,
  };
  const agent = new Agent({
    control: fakeControl as ControlPlane, driver: {} as RuntimeDriver, starter: fakeStarter,
    // The fake starter makes no network: the agent's early attach is only asked for.
    network: { attachStaged: () => new Promise(() => undefined) } as unknown as InstanceNetwork,
    records: new RecordStore(dir), capacity: { cores: 2, memoryBytes: 2 ** 30, reservedMemoryBytes: 0 },
    capabilities: { runtimes: ['runc'], network: 'routed', cgroup: 'v2', secrets: 'tmpfs' }, maxConcurrentStarts: 3,
  });
  await agent.resync();
  // Record writes are real file I/O: poll on a timer, bounded (at most ~10 s, far above the usual ~100 ms).
  for (let i = 0; i < 5000 && started < ids.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (gates.length > 0 && (gates.length === 3 || started + gates.length === ids.length)) for (const open of gates.splice(0)) open();
  }
  assert.equal(started, ids.length, 'every start ran');
  await agent.settled();
  await agent.stop();
  assert.equal(peak, 3);
  for (const id of ids) {
    const mine = reports.filter((r) => r.startsWith(`${id}:`));
    assert.deepEqual(mine, [`${id}:starting`, `${id}:healthy`]);
  }
});

test('a start still running after 250 ms is reported starting while it runs; a quick one once its process runs, before healthy', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trc-agent-starting-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const reports: string[] = [];
  const fakeControl: Partial<ControlPlane> = {
    assignments: async () => ['ins_slow', 'ins_quick'].map(assignment),
    instanceSpec: async (id) => spec(id),
    instanceSecrets: async () => new Uint8Array(),
    reportState: async (id, state) => void reports.push(`${id}:${state}`),
  };
  let releaseSlow: () => void = () => undefined;
  const slowHeld = new Promise<void>((resolve) => (releaseSlow = resolve));
  const fakeStarter: Starter = {
    start: async (plan) => {
      if (plan.id === 'ins_slow') await slowHeld;
      return { instanceId: plan.id, orgId: plan.org, netnsPath: `/run/netns/${plan.id}`, address: plan.id === 'ins_slow' ? '198.18.0.2' : '198.18.0.3', gateway: '198.18.0.1', hostInterface: `v${plan.id}` };
    },
    cleanup: async () => undefined,
  };
  const agent = new Agent({
    control: fakeControl as ControlPlane, driver: {} as RuntimeDriver, starter: fakeStarter,
    network: { attachStaged: () => new Promise(() => undefined) } as unknown as InstanceNetwork,
    records: new RecordStore(dir), capacity: { cores: 2, memoryBytes: 2 ** 30, reservedMemoryBytes: 0 },
    capabilities: { runtimes: ['runc'], network: 'routed', cgroup: 'v2', secrets: 'tmpfs' },
  });
  await agent.resync();
  // Bounded: the report is due 250 ms into the held start.
  for (let i = 0; i < 500 && !reports.includes('ins_slow:starting'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(reports.includes('ins_slow:starting'), 'the held start is reported starting');
  assert.ok(!reports.includes('ins_slow:healthy'));
  releaseSlow();
  await agent.settled();
  await agent.stop();
  for (const id of ['ins_slow', 'ins_quick']) assert.deepEqual(reports.filter((r) => r.startsWith(`${id}:`)), [`${id}:starting`, `${id}:healthy`]);
});

test('events that cannot change the node\'s assignments trigger no pass: pulls and reports other than stopped or exited', () => {
  const event = (type: string, payload: Record<string, unknown> = {}): StreamedEvent => ({ seq: 1, type, payload });
  assert.equal(changesAssignments(event('ImagePulled')), false);
  for (const state of ['starting', 'running', 'healthy', 'unhealthy']) assert.equal(changesAssignments(event('InstanceStateReported', { state })), false, state);
  for (const state of ['stopped', 'exited']) assert.equal(changesAssignments(event('InstanceStateReported', { state })), true, state);
  for (const type of ['InstancePlaced', 'InstanceStopRequested', 'ProcessScaled', 'DeployStarted', 'SomeFutureEvent']) assert.equal(changesAssignments(event(type)), true, type);
});
