// One route's listening socket and backends: accepts, enforces the connection limit, balances, drains.
import { createServer, type Server, type Socket } from 'node:net';
import type { RouteSpec } from '../config/route-table.ts';
import type { EdgeMetrics } from '../admin/metrics.ts';
import { Backend } from './backend.ts';
import { pickTwoChoices, type Random } from './balancer.ts';
import { forward, type ForwardContext, type PendingForward } from './forward.ts';

export interface RouteListenerDeps {
  readonly metrics: EdgeMetrics;
  readonly random: Random;
  /** Builds the PROXY v2 header for a client connection. */
  readonly proxyHeader: (client: Socket) => Uint8Array;
}

/** What changed in a route's backends when a new spec was applied. */
export interface BackendDiff {
  readonly added: readonly Backend[];
  readonly removed: readonly Backend[];
}

export class RouteListener {
  #spec: RouteSpec;
  readonly #deps: RouteListenerDeps;
  readonly #server: Server;
  /** Backends in the current spec, in its order. */
  #backends = new Map<string, Backend>();
  readonly #draining = new Map<string, Backend>();
  /** Every client connection, with what it holds while it waits for a backend. */
  readonly #clients = new Map<Socket, PendingForward | undefined>();
  #onNoClients: (() => void) | undefined;
  #retired = false;

  constructor(spec: RouteSpec, deps: RouteListenerDeps) {
    this.#spec = spec;
    this.#deps = deps;
    this.#server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (c) => this.#accept(c));
    for (const a of spec.backends) this.#addBackend(a);
  }

  get spec(): RouteSpec {
    return this.#spec;
  }

  get name(): string {
    return this.#spec.name;
  }

  /** Current backends first, then those still draining. */
  get backends(): readonly Backend[] {
    return [...this.#backends.values(), ...this.#draining.values()];
  }

  get activeConnections(): number {
    return this.#clients.size;
  }

  /** Bytes held in user space by every forwarded connection of this route. */
  bufferedBytes(): number {
    let n = 0;
    for (const b of this.backends) for (const c of b.connections) n += c.bufferedBytes();
    for (const p of this.#clients.values()) n += p?.heldBytes() ?? 0;
    return n;
  }

  /** Binds the listen address; `[::]` is dual-stack, so IPv4 clients arrive as IPv4-mapped addresses. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.#server.once('error', onError);
      this.#server.listen({ host: this.#spec.listen.host, port: this.#spec.listen.port, ipv6Only: this.#spec.listen.family === 6 && this.#spec.listen.host !== '::' }, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
  }

  /** Applies a new spec with the same listen address: options apply to new connections, removed backends drain. */
  update(spec: RouteSpec): BackendDiff {
    this.#spec = spec;
    const added: Backend[] = [];
    const removed: Backend[] = [];
    const next = new Map<string, Backend>();
    for (const a of spec.backends) {
      const b = this.#addBackend(a, next);
      if (b !== undefined) added.push(b);
    }
    for (const [key, b] of this.#backends) {
      if (next.has(key)) continue;
      removed.push(b);
      this.#drainBackend(b);
    }
    this.#backends = next;
    return { added, removed };
  }

  /** Stops accepting, lets every connection finish within the route's drain grace, then cuts the rest. */
  close(): Promise<void> {
    this.#retired = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const drained = [...this.#backends.values()].map((b) => {
      this.#backends.delete(b.key);
      return this.#drainBackend(b);
    });
    const grace = setTimeout(() => {
      for (const c of this.#clients.keys()) c.destroy();
    }, this.#spec.drainGraceMs);
    const waitClients = new Promise<void>((resolve) => {
      if (this.#clients.size === 0) resolve();
      else this.#onNoClients = resolve;
    });
    return Promise.all([closed, ...drained, waitClients]).then(() => clearTimeout(grace));
  }

  #addBackend(address: RouteSpec['backends'][number], into = this.#backends): Backend | undefined {
    const probe = new Backend(address, this.#spec.healthCheck !== undefined);
    const existing = this.#backends.get(probe.key) ?? into.get(probe.key);
    if (existing !== undefined) {
      into.set(existing.key, existing);
      return undefined;
    }
    const revived = this.#draining.get(probe.key);
    if (revived !== undefined) {
      this.#draining.delete(probe.key);
      revived.undrain();
      into.set(revived.key, revived);
      this.#setHealthyGauge(revived);
      return undefined;
    }
    into.set(probe.key, probe);
    this.#setHealthyGauge(probe);
    return probe;
  }

  #drainBackend(b: Backend): Promise<void> {
    this.#draining.set(b.key, b);
    return new Promise((resolve) => {
      b.drain(this.#spec.drainGraceMs, () => {
        if (this.#draining.get(b.key) === b) this.#draining.delete(b.key);
        if (!this.#retired) this.#deps.metrics.remove('trc_edge_backend_healthy', this.#labels(b));
        resolve();
      });
      this.#setHealthyGauge(b);
    });
  }

  /** Called by health checking when a backend's verdict changes. */
  setHealth(b: Backend, healthy: boolean, reason: string): boolean {
    const changed = b.healthy !== healthy;
    b.healthy = healthy;
    b.reason = reason;
    if (changed) this.#deps.metrics.add('trc_edge_backend_health_transitions_total', { ...this.#labels(b), to: healthy ? 'healthy' : 'unhealthy' });
    this.#setHealthyGauge(b);
    return changed;
  }

  #setHealthyGauge(b: Backend): void {
    // A backend whose drain already finished has had its series removed; do not bring it back.
    if (!b.draining || this.#draining.get(b.key) === b) this.#gauge('trc_edge_backend_healthy', this.#labels(b), b.available ? 1 : 0);
  }

  /**
   * Sets a gauge unless this listener was retired: a route that moved to a new address shares its labels
   * with the old listener, which drains in the background and must not overwrite the new one's values.
   */
  #gauge(name: 'trc_edge_backend_healthy' | 'trc_edge_route_connections_active' | 'trc_edge_backend_connections_active', labels: Record<string, string>, value: number): void {
    if (!this.#retired) this.#deps.metrics.set(name, labels, value);
  }

  #labels(b: Backend): { route: string; backend: string } {
    return { route: this.#spec.name, backend: b.key };
  }

  #accept(client: Socket): void {
    const m = this.#deps.metrics;
    const route = { route: this.#spec.name };
    if (this.#clients.size >= this.#spec.maxConnections) {
      m.add('trc_edge_route_connections_rejected_total', { ...route, reason: 'limit' });
      client.destroy();
      return;
    }
    this.#clients.set(client, undefined);
    m.add('trc_edge_route_connections_total', route);
    this.#gauge('trc_edge_route_connections_active', route, this.#clients.size);
    client.setNoDelay(true);
    const spec = this.#spec;
    const ctx: ForwardContext = {
      connectTimeoutMs: spec.connectTimeoutMs,
      idleTimeoutMs: spec.idleTimeoutMs,
      pick: (tried) => pickTwoChoices([...this.#backends.values()].filter((b) => b.available && !tried.has(b)), this.#deps.random),
      proxyHeader: (c) => (spec.proxyProtocol === 'v2' ? this.#deps.proxyHeader(c) : undefined),
      onConnectFailed: (b) => m.add('trc_edge_backend_connect_failures_total', this.#labels(b)),
      onConnected: (b) => {
        m.add('trc_edge_backend_connections_total', this.#labels(b));
        this.#gauge('trc_edge_backend_connections_active', this.#labels(b), b.activeConnections);
      },
      onBytes: (b, dir, n) => m.add(dir === 'in' ? 'trc_edge_backend_bytes_in_total' : 'trc_edge_backend_bytes_out_total', this.#labels(b), n),
      onNoBackend: () => m.add('trc_edge_route_connections_rejected_total', { ...route, reason: 'no_backend' }),
      onClosed: (b) => {
        this.#clients.delete(client);
        this.#gauge('trc_edge_route_connections_active', route, this.#clients.size);
        if (b !== undefined) this.#gauge('trc_edge_backend_connections_active', this.#labels(b), b.activeConnections);
        if (this.#clients.size === 0) this.#onNoClients?.();
      },
    };
    const pending = forward(client, ctx);
    if (this.#clients.has(client)) this.#clients.set(client, pending);
  }
}
