// Process types: cmd, count, cpu (soft vCPU share, 0.01 steps), memory (binary quantity, whole Mi), port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcessType } from './process.ts';

const at = 'processes.web';
const base = { cmd: ['node', 'server.js'], memory: '512Mi' };

function problemsOf(raw: Record<string, unknown>): [string, string, string | undefined][] {
  const r = parseProcessType(raw, at, 'web');
  assert.equal(r.value, undefined, JSON.stringify(raw));
  return r.problems.map((p) => [p.path, p.code, p.hint]);
}

test('a process type needs only cmd and memory; count defaults to 1, cpu to 1 vCPU, no port, no health check', () => {
  assert.deepEqual(parseProcessType(base, at, 'web'), { value: { name: 'web', cmd: ['node', 'server.js'], count: 1, cpu: 1, memoryBytes: 512 * 2 ** 20 }, problems: [] });
});

test('a cmd written as one string runs through /bin/sh -c', () => {
  assert.deepEqual(parseProcessType({ ...base, cmd: 'node server.js --port $PORT' }, at, 'web').value?.cmd, ['/bin/sh', '-c', 'node server.js --port $PORT']);
});

test('cpu accepts positive decimal vCPU in steps of 0.01 up to 100', () => {
  for (const [cpu, expected] of [[0.25, 0.25], [0.5, 0.5], [1, 1], [2, 2], [4, 4], [0.01, 0.01], [0.29, 0.29], [1.1, 1.1], [100, 100]] as const) {
    assert.equal(parseProcessType({ ...base, cpu }, at, 'web').value?.cpu, expected, String(cpu));
  }
});

test('cpu finer than 0.01, zero, negative, over 100 or not a number is refused rather than rounded', () => {
  assert.deepEqual(problemsOf({ ...base, cpu: 0.125 }), [[`${at}.cpu`, 'TRC_MANIFEST_INVALID_CPU', 'did you mean 0.13?']]);
  assert.deepEqual(problemsOf({ ...base, cpu: 0.001 }), [[`${at}.cpu`, 'TRC_MANIFEST_INVALID_CPU', 'did you mean 0.01?']]);
  for (const cpu of [0, -1, 101, Infinity, NaN]) assert.equal(problemsOf({ ...base, cpu })[0]![1], 'TRC_MANIFEST_INVALID_CPU', String(cpu));
  assert.deepEqual(problemsOf({ ...base, cpu: '0.5' }), [[`${at}.cpu`, 'TRC_MANIFEST_WRONG_TYPE', 'write it without quotes: cpu = 0.5']]);
});

test('memory is required and read with parseMemoryQuantity: binary units only, with a did-you-mean hint', () => {
  assert.equal(parseProcessType({ ...base, memory: '2Gi' }, at, 'web').value?.memoryBytes, 2 * 2 ** 30);
  assert.equal(parseProcessType({ ...base, memory: '1.5Gi' }, at, 'web').value?.memoryBytes, 1536 * 2 ** 20);
  assert.deepEqual(problemsOf({ cmd: 'x' }), [[`${at}.memory`, 'TRC_MANIFEST_MISSING_FIELD', 'for example memory = "512Mi"']]);
  assert.deepEqual(problemsOf({ ...base, memory: '512MB' }), [[`${at}.memory`, 'TRC_MANIFEST_INVALID_QUANTITY', 'did you mean "512Mi"?']]);
  assert.deepEqual(problemsOf({ ...base, memory: '512' }), [[`${at}.memory`, 'TRC_MANIFEST_INVALID_QUANTITY', 'did you mean "512Mi"?']]);
  assert.deepEqual(problemsOf({ ...base, memory: 512 }), [[`${at}.memory`, 'TRC_MANIFEST_INVALID_QUANTITY', 'write it as a string with a binary unit: did you mean "512Mi"?']]);
});

test('memory that is not whole Mi, under 32Mi or over 1Ti is refused', () => {
  assert.deepEqual(problemsOf({ ...base, memory: '1000Ki' }), [[`${at}.memory`, 'TRC_MANIFEST_INVALID_QUANTITY', 'it would be rounded; write "1Mi"']]);
  assert.deepEqual(problemsOf({ ...base, memory: '16Mi' }), [[`${at}.memory`, 'TRC_MANIFEST_INVALID_QUANTITY', 'use from "32Mi" to "1048576Mi"']]);
  assert.equal(problemsOf({ ...base, memory: '2Ti' })[0]![1], 'TRC_MANIFEST_INVALID_QUANTITY');
});

test('count is an integer from 0 to 1000 and port an integer from 1 to 65535', () => {
  assert.equal(parseProcessType({ ...base, count: 0 }, at, 'web').value?.count, 0);
  assert.equal(parseProcessType({ ...base, port: 8080 }, at, 'web').value?.port, 8080);
  assert.deepEqual(problemsOf({ ...base, count: 1001 }).map((p) => p[1]), ['TRC_MANIFEST_OUT_OF_RANGE']);
  assert.deepEqual(problemsOf({ ...base, count: 1.5 }).map((p) => p[1]), ['TRC_MANIFEST_WRONG_TYPE']);
  assert.deepEqual(problemsOf({ ...base, port: 0 }).map((p) => p[1]), ['TRC_MANIFEST_OUT_OF_RANGE']);
  assert.deepEqual(problemsOf({ ...base, port: '80' }).map((p) => p[2]), ['write it without quotes: port = 80']);
});

test('cmd is required and must be a non-empty string or array of strings', () => {
  assert.deepEqual(problemsOf({ memory: '512Mi' }).map((p) => p.slice(0, 2)), [[`${at}.cmd`, 'TRC_MANIFEST_MISSING_FIELD']]);
  for (const cmd of [[], [''], ['node', 1], '  ']) assert.deepEqual(problemsOf({ ...base, cmd }).map((p) => p[1]), ['TRC_MANIFEST_INVALID_COMMAND'], JSON.stringify(cmd));
  assert.deepEqual(problemsOf({ ...base, cmd: 3 }).map((p) => p[1]), ['TRC_MANIFEST_WRONG_TYPE']);
});

test('a health check needs a port to check', () => {
  assert.deepEqual(parseProcessType({ ...base, port: 80, health_check: { kind: 'http' } }, at, 'web').value?.healthCheck, { kind: 'http', path: '/', intervalMs: 10_000, timeoutMs: 2_000 });
  assert.deepEqual(problemsOf({ ...base, health_check: {} }).map((p) => p.slice(0, 2)), [[`${at}.health_check`, 'TRC_HEALTH_CHECK_INVALID']]);
});

test('unknown process fields are refused with a did-you-mean hint', () => {
  assert.deepEqual(problemsOf({ ...base, memroy: '1Gi', replicas: 2 }), [
    [`${at}.memroy`, 'TRC_MANIFEST_UNKNOWN_FIELD', 'did you mean "memory"?'],
    [`${at}.replicas`, 'TRC_MANIFEST_UNKNOWN_FIELD', 'known fields here: cmd, count, cpu, memory, port, health_check'],
  ]);
});
