// The route table: the validated, typed form every route change takes before it enters the edge.
import type { SocketAddress } from './address.ts';

export interface HealthCheckSpec {
  readonly kind: 'tcp' | 'http';
  /** Request path of an http check; unused by tcp checks. */
  readonly path: string;
  readonly intervalMs: number;
  /** How long one probe may take; never more than the interval, so a verdict lands every interval. */
  readonly timeoutMs: number;
}

export interface RouteSpec {
  readonly name: string;
  readonly listen: SocketAddress;
  readonly backends: readonly SocketAddress[];
  readonly proxyProtocol: 'off' | 'v2';
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly drainGraceMs: number;
  readonly healthCheck?: HealthCheckSpec;
}

export interface RouteTable {
  readonly routes: readonly RouteSpec[];
}

/** Defaults of the per-route options, as the routes file spells them. */
export const ROUTE_DEFAULTS = {
  connect_timeout: '5s',
  idle_timeout: '1h',
  max_connections: 10_000,
  drain_grace: '30s',
} as const;

/** Where route tables come from: the routes file now, the control plane's event stream later. */
export interface RouteSource {
  /** Reads the current table; rejects with a TrcError listing every problem when it is invalid. */
  load(): Promise<RouteTable>;
}
