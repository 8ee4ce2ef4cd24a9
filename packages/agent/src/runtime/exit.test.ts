// How an instance's end is reported, from what the driver observed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyExit } from './exit.ts';

const MI = 1024 * 1024;

test('an OOM kill is "memory limit exceeded" with the cap, whatever else happened', () => {
  assert.deepEqual(classifyExit({ status: 137, oomKills: 1, memoryLimitBytes: 64 * MI }), { exitCode: 137, signal: 'SIGKILL', reason: 'memory limit exceeded', memoryLimitBytes: 64 * MI, message: 'memory limit exceeded (cap 64Mi)' });
  assert.equal(classifyExit({ status: 137, oomKills: 3, memoryLimitBytes: 1536 * MI, stop: { graceMs: 10, escalated: true } }).message, 'memory limit exceeded (cap 1.5Gi)');
  assert.equal(classifyExit({ status: undefined, oomKills: 1, memoryLimitBytes: MI }).reason, 'memory limit exceeded');
});

test('without an OOM counter (old v1 kernels), an unrequested SIGKILL after the cap was hit counts as an OOM kill', () => {
  assert.equal(classifyExit({ status: 137, oomKills: undefined, limitHits: 5, memoryLimitBytes: 64 * MI }).reason, 'memory limit exceeded');
  assert.equal(classifyExit({ status: 137, oomKills: undefined, limitHits: 0, memoryLimitBytes: 64 * MI }).reason, 'killed');
  assert.equal(classifyExit({ status: 137, oomKills: 0, limitHits: 5, memoryLimitBytes: 64 * MI }).reason, 'killed', 'a counter that says no OOM kill is believed');
  assert.equal(classifyExit({ status: 137, oomKills: undefined, limitHits: 5, memoryLimitBytes: 64 * MI, stop: { graceMs: 1, escalated: true } }).reason, 'stopped');
});

test('a requested stop says whether it needed SIGKILL', () => {
  assert.deepEqual(classifyExit({ status: 0, oomKills: 0, memoryLimitBytes: MI, stop: { graceMs: 5000, escalated: false } }), { exitCode: 0, reason: 'stopped', message: 'stopped: ended after SIGTERM' });
  assert.deepEqual(classifyExit({ status: 137, oomKills: 0, memoryLimitBytes: MI, stop: { graceMs: 300, escalated: true } }), { exitCode: 137, signal: 'SIGKILL', reason: 'stopped', message: 'stopped: killed with SIGKILL after the 300ms grace period' });
});

test('otherwise a signal is "killed", a status is "exited", and nothing observed is "unknown"', () => {
  assert.deepEqual(classifyExit({ status: 143, oomKills: 0, memoryLimitBytes: MI }), { exitCode: 143, signal: 'SIGTERM', reason: 'killed', message: 'killed by SIGTERM' });
  assert.deepEqual(classifyExit({ status: 3, oomKills: 0, memoryLimitBytes: MI }), { exitCode: 3, reason: 'exited', message: 'exited with code 3' });
  assert.deepEqual(classifyExit({ status: undefined, oomKills: undefined, memoryLimitBytes: MI }), { exitCode: undefined, reason: 'unknown', message: 'stopped while nobody was watching; exit status unknown' });
});
