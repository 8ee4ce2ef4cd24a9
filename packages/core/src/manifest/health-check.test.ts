// The health-check table: defaults, bounds, and every rule that refuses an inconsistent check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHealthCheck } from './health-check.ts';

const at = 'processes.web.health_check';

test('an empty health-check table is a tcp check every 10s with a 2s timeout', () => {
  assert.deepEqual(parseHealthCheck({}, at), { value: { kind: 'tcp', intervalMs: 10_000, timeoutMs: 2_000 }, problems: [] });
});

test('an http health check defaults its path to "/" and reads durations into milliseconds', () => {
  assert.deepEqual(parseHealthCheck({ kind: 'http' }, at).value, { kind: 'http', path: '/', intervalMs: 10_000, timeoutMs: 2_000 });
  assert.deepEqual(parseHealthCheck({ kind: 'http', path: '/healthz?full=1', interval: '2m', timeout: '500ms' }, at).value, { kind: 'http', path: '/healthz?full=1', intervalMs: 120_000, timeoutMs: 500 });
});

test('the default timeout shrinks to an interval shorter than 2s', () => {
  assert.deepEqual(parseHealthCheck({ interval: '1s' }, at).value, { kind: 'tcp', intervalMs: 1_000, timeoutMs: 1_000 });
});

test('each inconsistent health check is refused with its path, code and hint', () => {
  const table: { raw: unknown; path: string; code: string; hint?: RegExp }[] = [
    { raw: 'tcp', path: at, code: 'TRC_MANIFEST_WRONG_TYPE', hint: /\[processes\.web\.health_check\]/ },
    { raw: { kind: 'udp' }, path: `${at}.kind`, code: 'TRC_HEALTH_CHECK_INVALID', hint: /"tcp".*"http"/ },
    { raw: { kind: 'tcp', path: '/x' }, path: `${at}.path`, code: 'TRC_HEALTH_CHECK_INVALID', hint: /remove path/ },
    { raw: { path: '/x' }, path: `${at}.path`, code: 'TRC_HEALTH_CHECK_INVALID', hint: /kind = "http"/ },
    { raw: { kind: 'http', path: 'healthz' }, path: `${at}.path`, code: 'TRC_HEALTH_CHECK_INVALID', hint: /start with "\/"/ },
    { raw: { kind: 'http', path: '/a b' }, path: `${at}.path`, code: 'TRC_HEALTH_CHECK_INVALID' },
    { raw: { kind: 'http', path: `/${'a'.repeat(1024)}` }, path: `${at}.path`, code: 'TRC_HEALTH_CHECK_INVALID' },
    { raw: { interval: 10 }, path: `${at}.interval`, code: 'TRC_MANIFEST_INVALID_DURATION', hint: /did you mean "10s"/ },
    { raw: { interval: '500ms' }, path: `${at}.interval`, code: 'TRC_MANIFEST_INVALID_DURATION', hint: /from 1s to 5m/ },
    { raw: { interval: '6m' }, path: `${at}.interval`, code: 'TRC_MANIFEST_INVALID_DURATION', hint: /from 1s to 5m/ },
    { raw: { timeout: '50ms' }, path: `${at}.timeout`, code: 'TRC_MANIFEST_INVALID_DURATION', hint: /from 100ms to 1m/ },
    { raw: { interval: '1s', timeout: '2s' }, path: `${at}.timeout`, code: 'TRC_HEALTH_CHECK_INVALID', hint: /overlap/ },
    { raw: { kind: 'tcp', intervall: '5s' }, path: `${at}.intervall`, code: 'TRC_MANIFEST_UNKNOWN_FIELD', hint: /did you mean "interval"/ },
    { raw: { kind: 1 }, path: `${at}.kind`, code: 'TRC_MANIFEST_WRONG_TYPE' },
  ];
  for (const row of table) {
    const r = parseHealthCheck(row.raw, at);
    assert.equal(r.value, undefined, JSON.stringify(row.raw));
    assert.equal(r.problems.length, 1, `${JSON.stringify(row.raw)}: ${JSON.stringify(r.problems)}`);
    assert.equal(r.problems[0]!.path, row.path);
    assert.equal(r.problems[0]!.code, row.code);
    if (row.hint !== undefined) assert.match(r.problems[0]!.hint ?? '', row.hint);
  }
});

test('a health check with several mistakes reports them all', () => {
  const r = parseHealthCheck({ kind: 'tcp', path: '/x', interval: '1h', timeout: 'soon', extra: 1 }, at);
  assert.deepEqual(r.problems.map((p) => p.path).sort(), [`${at}.extra`, `${at}.interval`, `${at}.path`, `${at}.timeout`]);
});
