// The /status document: every route with its backends, their health verdict and open connections.
import { formatSocketAddress } from '../config/address.ts';
import type { RouteListener } from '../proxy/route-listener.ts';

export interface BackendStatus {
  readonly address: string;
  /** Whether the backend receives new connections: its last probe passed and it is not draining. */
  readonly healthy: boolean;
  readonly reason: string;
  readonly active_connections: number;
}

export interface RouteStatus {
  readonly name: string;
  readonly listen: string;
  readonly backends: readonly BackendStatus[];
}

export interface EdgeStatus {
  readonly routes: readonly RouteStatus[];
}

export function buildStatus(routes: Iterable<RouteListener>): EdgeStatus {
  return {
    routes: [...routes].map((r) => ({
      name: r.name,
      listen: formatSocketAddress(r.spec.listen),
      backends: r.backends.map((b) => ({
        address: b.key,
        healthy: b.available,
        reason: b.draining ? `draining (was: ${b.reason})` : b.reason,
        active_connections: b.activeConnections,
      })),
    })),
  };
}
