// The standalone routes file (TOML): parsed and validated into a RouteTable with the manifest's shared rules,
// reporting every problem at once.
import { readFile } from 'node:fs/promises';
import { parse, TomlError } from 'smol-toml';
import { TrcError, type Problem } from '@trc/core';
import { checkKnownFields, isTable, joinPath, problem, readInteger, readString, readTable, wrongType } from '@trc/core/manifest/fields';
import { checkName } from '@trc/core/manifest/names';
import { checkProxyProtocol } from '@trc/core/manifest/route';
import { HEALTH_CHECK_LIMITS, parseHealthCheck } from '@trc/core/manifest/health-check';
import { formatDuration, parseDuration } from '@trc/core/manifest/duration';
import { formatSocketAddress, parseSocketAddress, type SocketAddress } from './address.ts';
import { ROUTE_DEFAULTS, type HealthCheckSpec, type RouteSource, type RouteSpec, type RouteTable } from './route-table.ts';

export const ROUTE_FILE_FIELDS = [
  'name', 'listen', 'backends', 'proxy_protocol', 'backend_expects_proxy_protocol', 'health_check',
  'connect_timeout', 'idle_timeout', 'max_connections', 'drain_grace',
] as const;

/** Bounds of the per-route durations, in milliseconds. */
const DURATION_LIMITS = {
  connect_timeout: { min: 100, max: 300_000 },
  idle_timeout: { min: 1_000, max: 86_400_000 },
  drain_grace: { min: 0, max: 3_600_000 },
} as const;

export type ParseResult = { readonly ok: true; readonly table: RouteTable } | { readonly ok: false; readonly error: TrcError };

/** Parses the text of a routes file; `source` names it in messages. */
export function parseRoutesFile(text: string, source: string): ParseResult {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const what = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    return { ok: false, error: new TrcError('TRC_EDGE_ROUTES_SYNTAX', `${source} is not valid TOML at line ${e.line}, column ${e.column}: ${what}`, { hint: 'fix the TOML syntax at the line and column given' }) };
  }
  const problems: Problem[] = [];
  const routes: RouteSpec[] = [];
  if (!isTable(doc)) return { ok: false, error: invalid(source, [wrongType('', 'a table', doc)]) };
  checkKnownFields(doc, '', ['routes'], problems);
  const list = doc.routes ?? [];
  if (!Array.isArray(list)) {
    problems.push(wrongType('routes', 'an array of tables', list, 'write each route as a [[routes]] section'));
  } else {
    list.forEach((raw, i) => {
      const route = parseRoute(raw, `routes[${i}]`, problems);
      if (route !== undefined) routes.push(route);
    });
    checkUnique(routes, problems);
  }
  if (problems.length > 0) return { ok: false, error: invalid(source, problems) };
  return { ok: true, table: { routes } };
}

function invalid(source: string, problems: readonly Problem[]): TrcError {
  return new TrcError('TRC_EDGE_ROUTES_INVALID', `${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}; no route was changed`, {
    problems,
    hint: 'fix every problem listed, then start the edge again (or send it SIGHUP)',
  });
}

function parseRoute(raw: unknown, path: string, problems: Problem[]): RouteSpec | undefined {
  if (!isTable(raw)) {
    problems.push(wrongType(path, 'a table', raw, 'write each route as a [[routes]] section'));
    return undefined;
  }
  const before = problems.length;
  checkKnownFields(raw, path, ROUTE_FILE_FIELDS, problems);
  const name = readString(raw, 'name', path, problems, true);
  if (name !== undefined) {
    const p = checkName(name, joinPath(path, 'name'), 'route');
    if (p !== undefined) problems.push(p);
  }
  const listen = readAddress(raw.listen, joinPath(path, 'listen'), problems, true);
  const backends: SocketAddress[] = [];
  if (raw.backends === undefined) {
    problems.push(problem(joinPath(path, 'backends'), 'TRC_MANIFEST_MISSING_FIELD', '"backends" is required', 'list them, e.g. backends = ["127.0.0.1:25432"]; an empty list refuses every connection'));
  } else if (!Array.isArray(raw.backends)) {
    problems.push(wrongType(joinPath(path, 'backends'), 'an array of addresses', raw.backends, 'e.g. backends = ["127.0.0.1:25432"]'));
  } else {
    const seen = new Set<string>();
    raw.backends.forEach((b: unknown, i: number) => {
      const a = readAddress(b, `${joinPath(path, 'backends')}[${i}]`, problems, true);
      if (a === undefined) return;
      const key = formatSocketAddress(a);
      if (seen.has(key)) problems.push(problem(`${joinPath(path, 'backends')}[${i}]`, 'TRC_EDGE_DUPLICATE_BACKEND', `backend ${key} is listed twice`, 'list each backend once'));
      seen.add(key);
      backends.push(a);
    });
  }
  const proxy = checkProxyProtocol(raw, path, name ?? path);
  problems.push(...proxy.problems);
  let healthCheck: HealthCheckSpec | undefined;
  const hcRaw = readTable(raw, 'health_check', path, problems);
  if (hcRaw !== undefined) {
    const hc = parseHealthCheck(withTimeoutDefault(hcRaw), joinPath(path, 'health_check'));
    problems.push(...hc.problems);
    if (hc.value !== undefined) healthCheck = { kind: hc.value.kind, path: hc.value.kind === 'http' ? hc.value.path : '', intervalMs: hc.value.intervalMs, timeoutMs: hc.value.timeoutMs };
  }
  const connectTimeoutMs = readDuration(raw, 'connect_timeout', path, problems);
  const idleTimeoutMs = readDuration(raw, 'idle_timeout', path, problems);
  const drainGraceMs = readDuration(raw, 'drain_grace', path, problems);
  const maxConnections = raw.max_connections === undefined ? ROUTE_DEFAULTS.max_connections : readInteger(raw, 'max_connections', path, problems, { min: 1, max: 1_000_000 });
  if (problems.length > before || name === undefined || listen === undefined || connectTimeoutMs === undefined || idleTimeoutMs === undefined || drainGraceMs === undefined || maxConnections === undefined) {
    return undefined;
  }
  return { name, listen, backends, proxyProtocol: proxy.proxyProtocol, connectTimeoutMs, idleTimeoutMs, maxConnections, drainGraceMs, ...(healthCheck === undefined ? {} : { healthCheck }) };
}

/**
 * The shared default timeout (2s) is longer than a short interval such as the "1s" of the routes file's
 * documented example, which the shared rule would then refuse; without an explicit timeout the probe
 * gets the whole interval instead.
 */
function withTimeoutDefault(raw: Record<string, unknown>): Record<string, unknown> {
  if (raw.timeout !== undefined) return raw;
  const interval = parseDuration(raw.interval);
  if (!interval.ok || interval.ms >= HEALTH_CHECK_LIMITS.timeout.default) return raw;
  return { ...raw, timeout: raw.interval };
}

function readAddress(value: unknown, at: string, problems: Problem[], required: boolean): SocketAddress | undefined {
  if (value === undefined) {
    if (required) problems.push(problem(at, 'TRC_MANIFEST_MISSING_FIELD', `"${at.split('.').pop()}" is required`));
    return undefined;
  }
  const r = parseSocketAddress(value);
  if (r.ok) return r.address;
  problems.push(problem(at, 'TRC_EDGE_INVALID_ADDRESS', r.message, 'write an IP address and a port: "127.0.0.1:5432" or "[::1]:5432"'));
  return undefined;
}

function readDuration(raw: Record<string, unknown>, key: keyof typeof DURATION_LIMITS, path: string, problems: Problem[]): number | undefined {
  const at = joinPath(path, key);
  const parsed = parseDuration(raw[key] ?? ROUTE_DEFAULTS[key]);
  if (!parsed.ok) {
    problems.push(problem(at, 'TRC_MANIFEST_INVALID_DURATION', parsed.message, parsed.hint));
    return undefined;
  }
  const limits = DURATION_LIMITS[key];
  if (parsed.ms < limits.min || parsed.ms > limits.max) {
    problems.push(problem(at, 'TRC_MANIFEST_INVALID_DURATION', `${key} ${formatDuration(parsed.ms)} is out of range`, `use a ${key} from ${formatDuration(limits.min)} to ${formatDuration(limits.max)}`));
    return undefined;
  }
  return parsed.ms;
}

function checkUnique(routes: readonly RouteSpec[], problems: Problem[]): void {
  const names = new Map<string, number>();
  const listens = new Map<string, string>();
  routes.forEach((r, i) => {
    if (names.has(r.name)) problems.push(problem(`routes[${i}].name`, 'TRC_EDGE_DUPLICATE_ROUTE', `route name "${r.name}" is used twice`, 'give every route its own name'));
    names.set(r.name, i);
    const key = formatSocketAddress(r.listen);
    const other = listens.get(key);
    if (other !== undefined) problems.push(problem(`routes[${i}].listen`, 'TRC_EDGE_LISTEN_CONFLICT', `route "${r.name}" listens on ${key}, as route "${other}" does`, 'give every route its own listen address'));
    listens.set(key, r.name);
  });
}

/** The routes file as a RouteSource: every load reads the file afresh (SIGHUP calls it again). */
export class FileRouteSource implements RouteSource {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async load(): Promise<RouteTable> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new TrcError('TRC_EDGE_ROUTES_UNREADABLE', `cannot read the routes file ${this.path} (${code})`, { hint: 'check the path given to --routes and that the file is readable' });
    }
    const r = parseRoutesFile(text, this.path);
    if (!r.ok) throw r.error;
    return r.table;
  }
}
