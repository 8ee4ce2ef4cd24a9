// vCPU requests map to cgroup weights proportional to the request, never to a cpu quota by default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cgroupSettings, cpuProblem, cpuShares, cpuWeight, formatCpu, toMilliCpu } from './cpu.ts';

test('cgroup v2 cpu.weight is 100 per vCPU, proportional to the request, clamped to 1..10000', () => {
  assert.equal(cpuWeight(1), 100);
  assert.equal(cpuWeight(0.25), 25);
  assert.equal(cpuWeight(2), 200);
  assert.equal(cpuWeight(0.001), 1);
  assert.equal(cpuWeight(500), 10_000);
  assert.equal(cgroupSettings({ cpu: 0.5, memory: 2 ** 29 }).v2['cpu.weight'], '50');
  fc.assert(fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 100_000 }), (a, b) => {
    const [x, y] = [a / 1000, b / 1000];
    const [wx, wy] = [cpuWeight(x), cpuWeight(y)];
    assert.ok(wx >= 1 && wx <= 10_000);
    if (x <= y) assert.ok(wx <= wy, 'a larger request never weighs less');
    if (x >= 0.01 && x <= 100) assert.ok(Math.abs(wx - x * 100) <= 0.5, 'within range the weight is 100 x vCPU');
  }));
});

test('cgroup v1 cpu.shares is 1024 per vCPU, clamped to 2..262144', () => {
  assert.equal(cpuShares(1), 1024);
  assert.equal(cpuShares(0.5), 512);
  assert.equal(cpuShares(0.001), 2);
  assert.equal(cpuShares(1000), 262_144);
  assert.equal(cgroupSettings({ cpu: 2, memory: 2 ** 30 }).v1['cpu.shares'], '2048');
});

test('no cpu.max is set by default; memory.max is the hard cap', () => {
  const s = cgroupSettings({ cpu: 4, memory: 2 * 2 ** 30 });
  assert.deepEqual(s, { v2: { 'cpu.weight': '400', 'memory.max': String(2 * 2 ** 30) }, v1: { 'cpu.shares': '4096', 'memory.limit_in_bytes': String(2 * 2 ** 30) } });
  const limited = cgroupSettings({ cpu: 1, memory: 2 ** 30, cpuLimit: 1.5 });
  assert.equal(limited.v2['cpu.max'], '150000 100000');
  assert.equal(limited.v1['cpu.cfs_quota_us'], '150000');
});

test('cpu requests must be positive numbers with at most 3 decimals', () => {
  assert.equal(cpuProblem(0.25), undefined);
  assert.equal(cpuProblem(16), undefined);
  assert.match(cpuProblem(0)!.message, /greater than zero/);
  assert.match(cpuProblem(-1)!.message, /greater than zero/);
  assert.match(cpuProblem('1')!.message, /must be a number/);
  assert.match(cpuProblem(Number.NaN)!.message, /must be a number/);
  assert.equal(cpuProblem(0.0001)!.hint, 'use 0.001');
  assert.equal(cpuProblem(0.1234)!.hint, 'use 0.123');
  assert.equal(toMilliCpu(0.1) + toMilliCpu(0.2), toMilliCpu(0.3));
  assert.equal(formatCpu(1500), '1.5 vCPU');
});
