// Cluster resource settings and what each node can offer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterSettingsOrThrow, checkNodeCapacity, DEFAULT_CLUSTER_SETTINGS, nodeAllocatable, parseClusterSettings } from './cluster-settings.ts';
import { isTrcError } from '../errors/errors.ts';

const Gi = 2 ** 30;
const Mi = 2 ** 20;

test('allocatable cpu is physical cores x cpu_overcommit, 4.0 by default', () => {
  assert.equal(DEFAULT_CLUSTER_SETTINGS.cpuOvercommit, 4);
  const node = { id: 'n1', cores: 8, memory: 32 * Gi, reservedMemory: Gi };
  assert.equal(nodeAllocatable(node, DEFAULT_CLUSTER_SETTINGS).cpu, 32_000, '8 cores x 4 = 32 vCPU, in milli-vCPU');
  assert.equal(nodeAllocatable(node, { ...DEFAULT_CLUSTER_SETTINGS, cpuOvercommit: 1.5 }).cpu, 12_000);
  assert.equal(nodeAllocatable(node, clusterSettingsOrThrow({ cpu_overcommit: 1 })).cpu, 8_000);
});

test('allocatable memory is physical memory minus reserved host memory minus the safety buffer', () => {
  const settings = clusterSettingsOrThrow({ memory_safety_buffer: '512Mi' });
  assert.equal(nodeAllocatable({ id: 'n1', cores: 4, memory: 16 * Gi, reservedMemory: 2 * Gi }, settings).memory, 16 * Gi - 2 * Gi - 512 * Mi);
  assert.equal(nodeAllocatable({ id: 'n1', cores: 4, memory: Gi, reservedMemory: 2 * Gi }, settings).memory, 0, 'never negative');
  assert.equal(clusterSettingsOrThrow({ memory_safety_buffer: '0' }).memorySafetyBuffer, 0);
});

test('cluster settings are validated with a user error listing every problem', () => {
  assert.deepEqual(parseClusterSettings(undefined), { ok: true, value: DEFAULT_CLUSTER_SETTINGS });
  assert.deepEqual(parseClusterSettings({ cpu_overcommit: 2.5, memory_safety_buffer: '1Gi' }), { ok: true, value: { cpuOvercommit: 2.5, memorySafetyBuffer: Gi } });
  const r = parseClusterSettings({ cpu_overcommit: 0.5, memory_safety_buffer: '512MB', cpu_overcomit: 4 });
  assert.equal(r.ok, false);
  assert.deepEqual(!r.ok && r.problems.map((p) => [p.path, p.message]), [
    ['cpu_overcomit', 'unknown cluster setting "cpu_overcomit"'],
    ['cpu_overcommit', 'cpu_overcommit must be at least 1, got 0.5'],
    ['memory_safety_buffer', 'memory_safety_buffer: "512MB" is not a binary quantity'],
  ]);
  assert.equal(!r.ok && r.problems[2]!.hint, 'did you mean "512Mi"?');
  for (const bad of [{ cpu_overcommit: '4' }, { cpu_overcommit: 1000 }, { cpu_overcommit: Number.NaN }, [], 'x']) assert.equal(parseClusterSettings(bad).ok, false, JSON.stringify(bad));
  assert.throws(() => clusterSettingsOrThrow({ cpu_overcommit: 0 }), (e) => isTrcError(e) && e.code === 'TRC_RESOURCES_INVALID_CLUSTER_SETTINGS' && e.kind === 'user' && e.problems.length === 1);
});

test('a node with no memory left for instances, or no cores, is refused with a user error', () => {
  const settings = clusterSettingsOrThrow({ memory_safety_buffer: '256Mi' });
  assert.doesNotThrow(() => checkNodeCapacity({ id: 'n1', cores: 2, memory: 4 * Gi, reservedMemory: Gi }, settings));
  assert.throws(() => checkNodeCapacity({ id: 'n1', cores: 2, memory: 2 * Gi, reservedMemory: 2 * Gi - 256 * Mi }, settings), (e) => {
    assert.ok(isTrcError(e));
    assert.equal(e.code, 'TRC_RESOURCES_NODE_TOO_SMALL');
    assert.equal(e.message, 'node "n1" has 2Gi of memory, but reserves 1.75Gi for the host and 256Mi as safety buffer, leaving nothing for instances');
    return true;
  });
  assert.throws(() => checkNodeCapacity({ id: 'n1', cores: 0, memory: 4 * Gi, reservedMemory: 0 }, settings), /reports 0 cores/);
});
