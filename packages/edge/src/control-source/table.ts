// The control plane's edge table (GET /v1/edge/routes) turned into the edge's RouteTable. The control plane
// validated every route when it was created; this checks the shape, so a version mismatch is named, not guessed.
import { TrcError, type Problem } from '@trc/core';
import { formatSocketAddress, parseSocketAddress, type SocketAddress } from '../config/address.ts';
import { ROUTE_DEFAULTS, type HealthCheckSpec, type RouteSpec, type RouteTable } from '../config/route-table.ts';

export interface TableOptions {
  /** Where routes without a dedicated IPv4 listen when the control plane gave no address for them. */
  readonly publicAddress: string;
  /**
   * The check of routes whose process type has none in its manifest: a tcp check still catches backends
   * that refuse connections and, on v2 routes, ones that do not speak PROXY (ADR 0009: fail fast).
   */
  readonly defaultHealthCheck: HealthCheckSpec;
  readonly drainGraceMs: number;
}

export const DEFAULT_TABLE_OPTIONS: Omit<TableOptions, 'publicAddress'> = {
  defaultHealthCheck: { kind: 'tcp', path: '', intervalMs: 10_000, timeoutMs: 2_000 },
  drainGraceMs: 30_000,
};

export interface ControlTable {
  /** The control plane's log position the table reflects. */
  readonly seq: number;
  /** Event types after which the table is stale. */
  readonly watch: readonly string[];
  readonly table: RouteTable;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseControlTable(body: unknown, options: TableOptions): ControlTable {
  const problems: Problem[] = [];
  const bad = (path: string, message: string): undefined => {
    problems.push({ path, code: 'TRC_EDGE_CONTROL_TABLE_INVALID', message });
    return undefined;
  };
  if (!isObject(body) || typeof body.seq !== 'number' || !Array.isArray(body.watch) || !Array.isArray(body.routes)) {
    throw invalid([{ path: '', code: 'TRC_EDGE_CONTROL_TABLE_INVALID', message: 'expected {seq, watch, routes}' }]);
  }
  const routes: RouteSpec[] = [];
  const listens = new Set<string>();
  body.routes.forEach((raw: unknown, i: number) => {
    const at = `routes[${i}]`;
    if (!isObject(raw) || typeof raw.name !== 'string' || !isObject(raw.listen) || !Array.isArray(raw.backends)) return bad(at, 'expected {name, listen, backends, ...}');
    const host = typeof raw.listen.address === 'string' ? raw.listen.address : options.publicAddress;
    const listen = address(`${host.includes(':') ? `[${host}]` : host}:${String(raw.listen.port)}`, `${at}.listen`, bad);
    if (listen === undefined) return undefined;
    const key = formatSocketAddress(listen);
    // Two routes on one address and port cannot both listen; the control plane never hands one out twice.
    if (listens.has(key)) return bad(`${at}.listen`, `${key} is given to two routes`);
    listens.add(key);
    const backends: SocketAddress[] = [];
    raw.backends.forEach((b: unknown, k: number) => {
      const a = isObject(b) ? address(b.address, `${at}.backends[${k}]`, bad) : bad(`${at}.backends[${k}]`, 'expected {address}');
      if (a !== undefined && !backends.some((x) => formatSocketAddress(x) === formatSocketAddress(a))) backends.push(a);
    });
    if (raw.proxyProtocol !== 'off' && raw.proxyProtocol !== 'v2') return bad(`${at}.proxyProtocol`, 'expected "off" or "v2"');
    // A v2 route exists only once acknowledged; a table saying otherwise is not sent by this control plane.
    if (raw.proxyProtocol === 'v2' && raw.backendExpectsProxyProtocol !== true) return bad(`${at}.backendExpectsProxyProtocol`, 'a v2 route must be acknowledged');
    const healthCheck = raw.healthCheck == null ? options.defaultHealthCheck : check(raw.healthCheck, `${at}.healthCheck`, bad);
    if (healthCheck === undefined) return undefined;
    routes.push({
      name: raw.name, listen, backends, proxyProtocol: raw.proxyProtocol,
      connectTimeoutMs: 5_000, idleTimeoutMs: 3_600_000, maxConnections: ROUTE_DEFAULTS.max_connections, drainGraceMs: options.drainGraceMs, healthCheck,
    });
    return undefined;
  });
  if (problems.length > 0) throw invalid(problems);
  return { seq: body.seq, watch: body.watch.filter((t): t is string => typeof t === 'string'), table: { routes } };
}

function address(value: unknown, at: string, bad: (path: string, message: string) => undefined): SocketAddress | undefined {
  const r = parseSocketAddress(value);
  return r.ok ? r.address : bad(at, r.message);
}

function check(raw: unknown, at: string, bad: (path: string, message: string) => undefined): HealthCheckSpec | undefined {
  if (!isObject(raw) || (raw.kind !== 'tcp' && raw.kind !== 'http') || typeof raw.intervalMs !== 'number' || typeof raw.timeoutMs !== 'number') return bad(at, 'expected {kind, intervalMs, timeoutMs}');
  return { kind: raw.kind, path: raw.kind === 'http' && typeof raw.path === 'string' ? raw.path : '', intervalMs: raw.intervalMs, timeoutMs: Math.min(raw.timeoutMs, raw.intervalMs) };
}

function invalid(problems: readonly Problem[]): TrcError {
  return new TrcError('TRC_EDGE_CONTROL_TABLE_INVALID', `the control plane's routing table has ${problems.length} problem${problems.length === 1 ? '' : 's'}; the running routes stay`, {
    problems,
    hint: 'run platform-edge and platform-control from the same release',
  });
}
