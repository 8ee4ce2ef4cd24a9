// Per-org quotas: each quota alone, several at once, unlimited ones, and the operator's limit syntax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatError } from '../errors/errors.ts';
import { checkQuotas, instanceUsage, limitsFromEvent, parseQuotaLimits, UNLIMITED_QUOTAS, type QuotaAmounts, type OrgQuotaLimits } from './quotas.ts';

const Gi = 2 ** 30;
const usage: QuotaAmounts = { memory: 7.5 * Gi, instances: 10, publicRoutes: 5, ipv4Addresses: 1 };
const limits: OrgQuotaLimits = { memory: 8 * Gi, instances: 10, publicRoutes: 5, ipv4Addresses: 1 };

function messages(requested: Partial<QuotaAmounts>, l: OrgQuotaLimits = limits): string[] {
  const r = checkQuotas('acme', usage, requested, l);
  return r.ok ? [] : r.exceeded.map((e) => e.message);
}

test('memory quota: total memory across instances, with use, limit and the amount requested', () => {
  const r = checkQuotas('acme', usage, { memory: Gi }, limits);
  assert.equal(r.ok, false);
  assert.deepEqual(!r.ok && r.exceeded, [{ quota: 'memory', used: 7.5 * Gi, limit: 8 * Gi, requested: Gi, message: 'memory: org "acme" uses 7.5Gi of 8Gi; this request needs 1Gi more' }]);
  assert.equal(!r.ok && r.error.code, 'TRC_QUOTA_EXCEEDED');
  assert.equal(!r.ok && r.error.kind, 'user');
  assert.equal(!r.ok && r.error.message, 'memory: org "acme" uses 7.5Gi of 8Gi; this request needs 1Gi more');
  assert.deepEqual(messages({ memory: 0.5 * Gi }), [], 'reaching the limit exactly is allowed');
});

test('instance count quota', () => {
  assert.deepEqual(messages({ instances: 2 }), ['instances: org "acme" runs 10 of 10 instances; this request needs 2 more']);
});

test('public routes quota', () => {
  assert.deepEqual(messages({ publicRoutes: 1 }), ['public_routes: org "acme" has 5 of 5 public routes; this request needs 1 more']);
});

test('IPv4 addresses quota', () => {
  assert.deepEqual(messages({ ipv4Addresses: 1 }), ['ipv4_addresses: org "acme" holds 1 of 1 IPv4 addresses; this request needs 1 more']);
});

test('every exceeded quota is reported at once, in one TRC_QUOTA_EXCEEDED error', () => {
  const r = checkQuotas('acme', usage, { memory: 2 * Gi, instances: 2, publicRoutes: 1, ipv4Addresses: 1 }, limits);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.exceeded.map((e) => e.quota), ['memory', 'instances', 'publicRoutes', 'ipv4Addresses']);
  assert.deepEqual(r.error.problems.map((p) => p.path), ['memory', 'instances', 'public_routes', 'ipv4_addresses']);
  assert.match(r.error.message, /^org "acme" would exceed 4 quotas: memory: org "acme" uses 7.5Gi of 8Gi; this request needs 2Gi more; instances: /);
  assert.equal(formatError(r.error).split('\n').length, 6, 'message, one line per quota, hint');
  assert.deepEqual(messages({ memory: 2 * Gi, publicRoutes: 1 }).map((m) => m.split(':')[0]), ['memory', 'public_routes']);
});

test('unlimited quotas are explicit and never exceeded; requests that free capacity always pass', () => {
  assert.deepEqual(checkQuotas('acme', usage, { memory: 1000 * Gi, instances: 1e6, publicRoutes: 100, ipv4Addresses: 100 }, UNLIMITED_QUOTAS), { ok: true });
  assert.deepEqual(messages({ memory: Gi, instances: 1 }, { ...limits, memory: 'unlimited' }), ['instances: org "acme" runs 10 of 10 instances; this request needs 1 more']);
  const over = { ...usage, instances: 12 };
  assert.deepEqual(checkQuotas('acme', over, { instances: -1 }, limits), { ok: true }, 'scaling down an org already over its quota is allowed');
  assert.deepEqual(checkQuotas('acme', over, {}, limits), { ok: true });
  assert.deepEqual(instanceUsage([{ memory: Gi }, { memory: 2 * Gi }]), { memory: 3 * Gi, instances: 2 });
});

test('quota limits are read from the operator\'s settings with every problem reported', () => {
  assert.deepEqual(parseQuotaLimits({ memory: '8Gi', instances: 20, public_routes: 'unlimited', ipv4_addresses: 0 }, UNLIMITED_QUOTAS), { ok: true, value: { memory: 8 * Gi, instances: 20, publicRoutes: 'unlimited', ipv4Addresses: 0 } });
  assert.deepEqual(parseQuotaLimits({}, limits), { ok: true, value: limits });
  const r = parseQuotaLimits({ memory: '8GB', instances: -1, public_routes: 1.5, ipv4: 1 }, UNLIMITED_QUOTAS);
  assert.equal(r.ok, false);
  assert.deepEqual(!r.ok && r.problems.map((p) => [p.path, p.code]), [['ipv4', 'TRC_QUOTA_INVALID_LIMITS'], ['memory', 'TRC_QUOTA_INVALID_LIMITS'], ['instances', 'TRC_QUOTA_INVALID_LIMITS'], ['public_routes', 'TRC_QUOTA_INVALID_LIMITS']]);
  assert.equal(!r.ok && r.problems[1]!.hint, 'did you mean "8Gi"? (or "unlimited")');
  assert.equal(parseQuotaLimits('lots', UNLIMITED_QUOTAS).ok, false);
  assert.deepEqual(limitsFromEvent({ memoryBytes: 8 * Gi, instances: null, publicRoutes: 5, ipv4Addresses: null }), { memory: 8 * Gi, instances: 'unlimited', publicRoutes: 5, ipv4Addresses: 'unlimited' });
});
