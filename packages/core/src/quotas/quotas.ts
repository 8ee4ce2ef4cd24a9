// Per-org quotas (ADR 0012): the fairness mechanism between tenants. A pure check of current use, the
// amount a request adds and the limits, naming every quota it would exceed.
import { failed, ok, TrcError, type Problem, type Result } from '../errors/errors.ts';
import { formatMemory, parseMemoryQuantity } from '../resources/quantity.ts';
import type { QuotaLimits as EventQuotaLimits } from '../events/payloads.ts';

/** A limit is a whole amount, or explicitly no limit at all. */
export type Limit = number | 'unlimited';
export const UNLIMITED = 'unlimited';

/** What quotas count; memory in bytes, the rest as counts. */
export interface QuotaAmounts {
  /** Sum of the memory caps of the org's instances. */
  readonly memory: number;
  readonly instances: number;
  readonly publicRoutes: number;
  readonly ipv4Addresses: number;
}

export type OrgQuotaLimits = { readonly [K in keyof QuotaAmounts]: Limit };
export type QuotaName = keyof QuotaAmounts;

export const UNLIMITED_QUOTAS: OrgQuotaLimits = { memory: UNLIMITED, instances: UNLIMITED, publicRoutes: UNLIMITED, ipv4Addresses: UNLIMITED };

export interface QuotaExceeded {
  readonly quota: QuotaName;
  readonly used: number;
  readonly limit: number;
  readonly requested: number;
  /** `memory: org "acme" uses 7.5Gi of 8Gi; this request needs 1Gi more` */
  readonly message: string;
}

export type QuotaCheck = { readonly ok: true } | { readonly ok: false; readonly exceeded: readonly QuotaExceeded[]; readonly error: TrcError };

/** How each quota reads in a message and in the operator's settings. */
const QUOTAS: readonly { name: QuotaName; key: string; verb: string; noun: string; format: (n: number) => string; hint: string }[] = [
  { name: 'memory', key: 'memory', verb: 'uses', noun: '', format: formatMemory, hint: 'lower the memory of some process types or scale them down' },
  { name: 'instances', key: 'instances', verb: 'runs', noun: ' instances', format: String, hint: 'scale down some process types' },
  { name: 'publicRoutes', key: 'public_routes', verb: 'has', noun: ' public routes', format: String, hint: 'remove a public route you no longer need' },
  { name: 'ipv4Addresses', key: 'ipv4_addresses', verb: 'holds', noun: ' IPv4 addresses', format: String, hint: 'release an IPv4 address, or use the shared IPv6 address' },
];

/**
 * Checks a request against the org's limits. `requested` is what the request adds (absent = 0; a
 * negative amount frees capacity and never exceeds). A quota is exceeded when the request adds something
 * and use + request would pass the limit. Every exceeded quota is returned, not just the first.
 */
export function checkQuotas(org: string, usage: QuotaAmounts, requested: Partial<QuotaAmounts>, limits: OrgQuotaLimits): QuotaCheck {
  const exceeded: QuotaExceeded[] = [];
  const problems: Problem[] = [];
  for (const q of QUOTAS) {
    const limit = limits[q.name];
    const more = requested[q.name] ?? 0;
    const used = usage[q.name];
    if (limit === UNLIMITED || more <= 0 || used + more <= limit) continue;
    const message = `${q.key}: org "${org}" ${q.verb} ${q.format(used)} of ${q.format(limit)}${q.noun}; this request needs ${q.format(more)} more`;
    exceeded.push({ quota: q.name, used, limit, requested: more, message });
    problems.push({ path: q.key, code: 'TRC_QUOTA_EXCEEDED', message, hint: q.hint });
  }
  if (exceeded.length === 0) return { ok: true };
  const message = exceeded.length === 1 ? exceeded[0]!.message : `org "${org}" would exceed ${exceeded.length} quotas: ${exceeded.map((e) => e.message).join('; ')}`;
  const error = new TrcError('TRC_QUOTA_EXCEEDED', message, {
    hint: 'free some of what is listed, or ask an operator to raise the org\'s quota',
    problems,
    details: { org, exceeded: exceeded.map(({ quota, used, limit, requested: r }) => ({ quota, used, limit, requested: r })) },
  });
  return { ok: false, exceeded, error };
}

/** The amounts of an org's running instances, as quotas count them. */
export function instanceUsage(instances: readonly { readonly memory: number }[]): Pick<QuotaAmounts, 'memory' | 'instances'> {
  return { memory: instances.reduce((sum, i) => sum + i.memory, 0), instances: instances.length };
}

/**
 * Reads an org's limits as an operator writes them (snake_case): `memory = "8Gi"`, `instances = 20`,
 * `public_routes = "unlimited"`, ... Keys left out take `defaults`; every problem is reported at once.
 */
export function parseQuotaLimits(raw: unknown, defaults: OrgQuotaLimits): Result<OrgQuotaLimits> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return failed([{ path: '', code: 'TRC_QUOTA_INVALID_LIMITS', message: 'quota limits must be a table', hint: 'for example { memory = "8Gi", instances = 20, public_routes = 5, ipv4_addresses = "unlimited" }' }]);
  }
  const table = raw as Record<string, unknown>;
  const problems: Problem[] = [];
  const known = QUOTAS.map((q) => q.key);
  for (const key of Object.keys(table)) {
    if (!known.includes(key)) problems.push({ path: key, code: 'TRC_QUOTA_INVALID_LIMITS', message: `unknown quota "${key}"`, hint: `known quotas: ${known.join(', ')}` });
  }
  const out: Record<string, Limit> = { ...defaults };
  for (const q of QUOTAS) {
    const v = table[q.key];
    if (v === undefined) continue;
    if (v === UNLIMITED) {
      out[q.name] = UNLIMITED;
    } else if (q.name === 'memory') {
      const m = v === 0 || v === '0' ? { ok: true as const, bytes: 0 } : parseMemoryQuantity(v);
      if (m.ok) out[q.name] = m.bytes;
      else problems.push({ path: q.key, code: 'TRC_QUOTA_INVALID_LIMITS', message: `memory: ${m.message}`, hint: `${m.hint} (or "unlimited")` });
    } else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      out[q.name] = v;
    } else {
      problems.push({ path: q.key, code: 'TRC_QUOTA_INVALID_LIMITS', message: `${q.key} must be a whole number of at least 0 or "unlimited", got ${JSON.stringify(v)}`, hint: `for example ${q.key} = 10` });
    }
  }
  return problems.length === 0 ? ok(out as unknown as OrgQuotaLimits) : failed(problems);
}

/** The limits as the `QuotasChanged` event records them (null = unlimited), in the form checkQuotas takes. */
export function limitsFromEvent(limits: EventQuotaLimits): OrgQuotaLimits {
  const limit = (v: number | null): Limit => (v === null ? UNLIMITED : v);
  return { memory: limit(limits.memoryBytes), instances: limit(limits.instances), publicRoutes: limit(limits.publicRoutes), ipv4Addresses: limit(limits.ipv4Addresses) };
}
