// What the edge proxies need from the control plane: the full routing table, the event types that change it,
// and a place to report backend health (recorded as events, shown per route to the route's org).
// An edge runs on a node and authenticates with that node's token (the operator's token works too).
import { isIP } from 'node:net';
import { checkManifest, type EnvName, type EventType, type HealthCheck, type RouteBackendHealth } from '@trc/core';
import { routeKey, type ControlState, type RouteState } from '../state/state.ts';
import { forbidden, notFound, requireApp, type Actor } from './actor.ts';
import type { Control } from './control.ts';
import { invalid } from './validate.ts';

/** Events after which an edge reloads its table: routes, addresses, and which instances are up where. */
export const EDGE_WATCHED_EVENTS: readonly EventType[] = [
  'RouteCreated', 'RouteDeleted', 'Ipv4AddressAllocated', 'Ipv4AddressReleased', 'DeployStarted', 'DeployFailed', 'AppDeleted',
  'InstancePlaced', 'InstanceStopRequested', 'InstanceStateReported', 'InstanceOomKilled', 'NodeMarkedDown', 'NodeMarkedUp',
  'InstanceDrainStarted',
];
const WATCHED: ReadonlySet<string> = new Set(EDGE_WATCHED_EVENTS);

/** Whether an edge (on a node, with its token and `edge=1`) is told of an event it is not named in. */
export function edgeWatches(type: string): boolean {
  return WATCHED.has(type);
}

export interface EdgeBackend {
  /** `IP:port` of the instance's internal port, as its node reported it. */
  readonly address: string;
  readonly instanceId: string;
}

export interface EdgeRoute {
  /** `app/env/route`: unique on the edge, and how the edge names the route in its health reports. */
  readonly name: string;
  readonly app: string;
  readonly env: EnvName;
  readonly route: string;
  /** The app's dedicated IPv4 address, else the public address the edge asked with (null when it gave none). */
  readonly listen: { readonly address: string | null; readonly port: number };
  readonly proxyProtocol: 'off' | 'v2';
  /** Always true with "v2": the route was only created once its owner acknowledged it. */
  readonly backendExpectsProxyProtocol: boolean;
  readonly healthCheck: HealthCheck | null;
  readonly backends: readonly EdgeBackend[];
}

export interface EdgeTable {
  /** The log position the table reflects. */
  readonly seq: number;
  readonly watch: readonly EventType[];
  readonly routes: readonly EdgeRoute[];
}

export function requireEdge(actor: Actor, what: string): string {
  if (actor.kind === 'node') return actor.node;
  if (actor.kind === 'operator' || actor.kind === 'system') return 'operator';
  throw forbidden(what);
}

/** `IPv4:port` or `[IPv6]:port`. */
export function isBackendAddress(text: string): boolean {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(text);
  if (m === null) return false;
  const port = Number(m[3]);
  return port >= 1 && port <= 65535 && (m[1] !== undefined ? isIP(m[1]) === 6 : isIP(m[2]!) === 4);
}

export async function edgeTable(control: Control, actor: Actor, publicAddress: string | undefined): Promise<EdgeTable> {
  requireEdge(actor, 'read the edge routing table (use a node token)');
  if (publicAddress !== undefined && isIP(publicAddress) === 0) {
    throw invalid([{ path: 'publicAddress', code: 'TRC_INVALID_INPUT', message: `"${publicAddress.slice(0, 60)}" is not an IP address`, hint: 'the address the edge listens on for routes without a dedicated IPv4, e.g. 198.51.100.7' }]);
  }
  const state = await control.read();
  const routes = [...state.routes.values()].map((r) => edgeRoute(state, r, publicAddress ?? null));
  routes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { seq: state.seq, watch: EDGE_WATCHED_EVENTS, routes };
}

function edgeRoute(state: ControlState, r: RouteState, publicAddress: string | null): EdgeRoute {
  // Draining instances (InstanceDrainStarted, or already asked to stop) and ones on a down node get no new
  // connections: the edge drops a draining one before its node agent is asked to stop it.
  const backends = [...state.instances.values()]
    .filter((i) => i.app === r.app && i.env === r.env && i.processType === r.processType && i.desired === 'running' && i.drainingSince === undefined && i.actual === 'healthy' && i.address !== undefined && state.nodes.get(i.node)?.status !== 'down')
    .map((i) => ({ address: i.address!, instanceId: i.id }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return {
    name: routeKey(r.app, r.env, r.name),
    app: r.app,
    env: r.env,
    route: r.name,
    listen: { address: r.address ?? publicAddress, port: r.port },
    proxyProtocol: r.proxyProtocol,
    backendExpectsProxyProtocol: r.proxyProtocol === 'v2',
    healthCheck: healthCheckOf(state, r),
    backends,
  };
}

/** The health check the manifest of the environment's release gives the route's process type, if any. */
function healthCheckOf(state: ControlState, r: RouteState): HealthCheck | null {
  const app = state.apps.get(r.app);
  const env = app?.envs[r.env];
  const release = env?.release == null ? undefined : app!.releases.find((x) => x.version === env.release);
  if (release?.manifest === undefined) return null;
  const parsed = checkManifest(release.manifest, 'platform.toml');
  return parsed.ok ? (parsed.value.processes[r.processType]?.healthCheck ?? null) : null;
}

export interface BackendHealthReport {
  /** `app/env/route`, as the table names it. */
  readonly route: string;
  readonly address: string;
  readonly healthy: boolean;
  readonly reason: string;
  readonly proxyMismatch: boolean;
}

const healthAggregate = (key: string): string => `route-health:${key}`;
const HEALTH_TYPES = ['RouteBackendMarkedUnhealthy', 'RouteBackendMarkedHealthy'] as const;

/**
 * Records an edge's health verdict on a backend as an event, unless it repeats that edge's last verdict on
 * it. Reports from several edges race on the route's health aggregate; a lost race is retried.
 */
export async function reportBackendHealth(control: Control, actor: Actor, input: BackendHealthReport): Promise<{ recorded: boolean }> {
  const edge = requireEdge(actor, 'report route backend health (use a node token)');
  if (!isBackendAddress(input.address)) throw invalid([{ path: 'address', code: 'TRC_INVALID_INPUT', message: `"${input.address.slice(0, 60)}" is not IP:port`, hint: 'the backend address as the edge table gave it' }]);
  for (let attempt = 0; ; attempt++) {
    const state = await control.read();
    const route = state.routes.get(input.route);
    if (route === undefined) throw notFound(`route "${input.route.slice(0, 100)}"`);
    const aggregateId = healthAggregate(input.route);
    const expectedVersion = control.version(aggregateId);
    const last = (await latestReports(control, input.route)).find((p) => p.address === input.address && p.edge === edge);
    const type = input.healthy ? 'RouteBackendMarkedHealthy' : 'RouteBackendMarkedUnhealthy';
    if (last !== undefined && last.type === type && last.reason === input.reason) return { recorded: false };
    const instance = [...state.instances.values()].find((i) => i.address === input.address && i.app === route.app && i.env === route.env);
    const payload: RouteBackendHealth = {
      app: route.app, org: route.org, env: route.env, route: route.name, address: input.address,
      ...(instance === undefined ? {} : { instanceId: instance.id }),
      reason: input.reason.slice(0, 500), proxyMismatch: input.proxyMismatch, edge,
    };
    try {
      await control.commit(actor, [{ aggregateId, expectedVersion, changes: [{ type, payload }] }]);
      return { recorded: true };
    } catch (error) {
      if (attempt >= 3 || (error as { code?: string }).code !== 'TRC_CONFLICT') throw error;
    }
  }
}

type Report = RouteBackendHealth & { readonly type: (typeof HEALTH_TYPES)[number]; readonly time: string };

/** Per control plane and route: the log position read so far and the last report per (address, edge). */
const seen = new WeakMap<Control, Map<string, { seq: number; last: Map<string, Report> }>>();

/**
 * The last report per (address, edge), newest first. Only the events appended since the previous call
 * are read, so a route's flapping history is never re-read in full.
 */
async function latestReports(control: Control, key: string): Promise<Report[]> {
  let routes = seen.get(control);
  if (routes === undefined) seen.set(control, (routes = new Map()));
  let cached = routes.get(key);
  if (cached === undefined) routes.set(key, (cached = { seq: 0, last: new Map() }));
  for (let page = 0; page < 10_000; page++) {
    const events = await control.deps.store.read({ aggregateId: healthAggregate(key), types: HEALTH_TYPES, afterSeq: cached.seq, limit: 1000 });
    for (const e of events) {
      const p = e.payload as RouteBackendHealth;
      const k = `${p.address} ${p.edge}`;
      // Re-inserted so the map stays in append order.
      cached.last.delete(k);
      cached.last.set(k, { ...p, type: e.type as Report['type'], time: e.time });
      cached.seq = Math.max(cached.seq, e.seq);
    }
    if (events.length < 1000) break;
  }
  return [...cached.last.values()].reverse();
}

export interface RouteBackendStatus {
  readonly address: string;
  readonly instanceId: string;
  /** null until an edge has checked it. */
  readonly healthy: boolean | null;
  readonly reason: string;
  readonly proxyMismatch: boolean;
  readonly edge: string | null;
  readonly since: string | null;
}

export interface RouteStatusView {
  readonly app: string;
  readonly env: EnvName;
  readonly route: string;
  readonly process: string;
  readonly listen: { readonly address: string | null; readonly port: number };
  readonly proxyProtocol: 'off' | 'v2';
  readonly backends: readonly RouteBackendStatus[];
}

/**
 * A route as the edges see it: each backend the edges are given, with the latest edge verdict on it. The
 * route is looked up in `env` when given, else in prod, else in staging, else in the other environments by name.
 */
export async function routeStatus(control: Control, actor: Actor, appName: string, routeName: string, envName: EnvName | undefined): Promise<RouteStatusView> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const others = Object.keys(app.envs).filter((e) => e !== 'prod' && e !== 'staging').sort();
  const candidates: EnvName[] = envName === undefined ? ['prod', 'staging', ...others] : [envName];
  const route = candidates.map((e) => state.routes.get(routeKey(appName, e, routeName))).find((r) => r !== undefined);
  if (route === undefined) throw notFound(`route "${routeName}" of app "${appName}"`);
  const table = edgeRoute(state, route, null);
  const reports = await latestReports(control, table.name);
  return {
    app: route.app,
    env: route.env,
    route: route.name,
    process: route.processType,
    listen: { address: route.address, port: route.port },
    proxyProtocol: route.proxyProtocol,
    backends: table.backends.map((b) => {
      const last = reports.find((p) => p.address === b.address);
      if (last === undefined) return { ...b, healthy: null, reason: 'not yet checked by an edge', proxyMismatch: false, edge: null, since: null };
      return { ...b, healthy: last.type === 'RouteBackendMarkedHealthy', reason: last.reason, proxyMismatch: last.proxyMismatch, edge: last.edge, since: last.time };
    }),
  };
}
