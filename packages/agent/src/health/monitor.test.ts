// Health transitions: reported once each; healthy on the first pass, unhealthy only after N failures in a row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthMonitor, startupDelayMs } from './monitor.ts';

test('the monitor reports healthy on the first passing probe and unhealthy after three failures in a row, each transition once', async () => {
  const results = [false, true, true, false, false, true, false, false, false, false, true];
  const seen: string[] = [];
  let k = 0;
  const monitor = new HealthMonitor({
    target: { host: '127.0.0.1', port: 1 },
    check: { kind: 'tcp', intervalMs: 1000, timeoutMs: 100 },
    onTransition: (state) => seen.push(`${k}:${state}`),
    probe: async () => ({ ok: results[k++]!, detail: '' }),
  });
  for (let i = 0; i < results.length; i++) await monitor.check();
  assert.deepEqual(seen, ['2:healthy', '9:unhealthy', '11:healthy']);
});

test('until the first pass the monitor probes at the startup pace, not the (long) interval, then stops when asked', async () => {
  const results = [false, false, true];
  let probes = 0;
  const healthy = new Promise<void>((resolve) => {
    const monitor = new HealthMonitor({
      target: { host: '127.0.0.1', port: 1 },
      // An interval no test would wait for: only the startup pace can reach the third probe.
      check: { kind: 'tcp', intervalMs: 300_000, timeoutMs: 100 },
      startupProbeMs: 5,
      onTransition: (state) => {
        if (state === 'healthy') {
          monitor.stop();
          resolve();
        }
      },
      probe: async () => ({ ok: results[probes++] ?? true, detail: '' }),
    });
    monitor.start();
  });
  await healthy;
  assert.equal(probes, 3);
});

test('start-up probes back off 5, 10, 20, 40 ms, then stay at the ceiling (50 ms by default)', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 100].map((n) => startupDelayMs(n, 50)), [5, 10, 20, 40, 50, 50, 50]);
  assert.deepEqual([0, 1, 2].map((n) => startupDelayMs(n, 8)), [5, 8, 8]);
});

test('failing probes during the start-up window are not reported unhealthy: the first pass is the only transition', async () => {
  const seen: string[] = [];
  let probes = 0;
  await new Promise<void>((resolve) => {
    const monitor = new HealthMonitor({
      target: { host: '127.0.0.1', port: 1 },
      check: { kind: 'tcp', intervalMs: 300_000, timeoutMs: 100 },
      startupProbeMs: 1,
      onTransition: (state) => {
        seen.push(state);
        monitor.stop();
        resolve();
      },
      // Six failures, twice the threshold, before the app answers.
      probe: async () => ({ ok: probes++ >= 6, detail: '' }),
    });
    monitor.start();
  });
  assert.deepEqual(seen, ['healthy']);
  assert.equal(probes, 7);
});

test('once the start-up window is over, failures count again: three in a row are reported unhealthy', async () => {
  let probes = 0;
  const seen = await new Promise<string>((resolve) => {
    const monitor = new HealthMonitor({
      target: { host: '127.0.0.1', port: 1 },
      check: { kind: 'tcp', intervalMs: 1, timeoutMs: 100 },
      startupWindowMs: 0,
      onTransition: (state) => {
        monitor.stop();
        resolve(state);
      },
      probe: async () => (probes++, { ok: false, detail: 'refused' }),
    });
    monitor.start();
  });
  assert.equal(seen, 'unhealthy');
  assert.equal(probes, 3);
});
