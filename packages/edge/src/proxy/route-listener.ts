// One route's listening socket and backends: accepts, enforces the connection limit, balances, drains,
// and sweeps its connections periodically for idle timeouts.
import { createServer, type Server, type Socket } from 'node:net';
import type { RouteSpec } from '../config/route-table.ts';
import type { EdgeMetrics } from '../admin/metrics.ts';
import { Backend } from './backend.ts';
import { pickTwoChoices, type Random } from './balancer.ts';
import { CLIENT_ONREAD, Forwarding, type ForwardContext } from './forward.ts';
import { acceptWithOnread } from './accept.ts';

export interface RouteListenerDeps {
  readonly metrics: EdgeMetrics;
  readonly random: Random;
  /** Builds the PROXY v2 header for a client connection. */
  readonly proxyHeader: (client: Socket) => Uint8Array;
  /**
   * Where client sockets read into: 'edge' (default) the edge's reused buffers (`read-buffers.ts`), 'node'
   * Node's fresh buffer per read. 'node' is also what a route gets when Node's internals do not allow 'edge'.
   */
  readonly readBuffers?: 'edge' | 'node';
}

/** How often a route sweeps for idle connections: an eighth of its idle timeout, within 10 ms to 1 s. */
export function sweepIntervalMs(idleTimeoutMs: number): number {
  return Math.min(1000, Math.max(10, Math.floor(idleTimeoutMs / 8)));
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
  /** Every client connection, from accept to close. */
  readonly #clients = new Set<Forwarding>();
  #onNoClients: (() => void) | undefined;
  #retired = false;
  readonly #context: ForwardContext;
  #sweeper: NodeJS.Timeout | undefined;
  #sweepEveryMs = 0;
  /** Whether accepted clients read through the edge's buffers (see `acceptWithOnread`). */
  #clientOnread = false;
  /** Label sets per backend, built once: metrics are updated on every connection. */
  readonly #backendLabels = new WeakMap<Backend, { route: string; backend: string }>();

  constructor(spec: RouteSpec, deps: RouteListenerDeps) {
    this.#spec = spec;
    this.#deps = deps;
    this.#server = createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true }, (c) => this.#accept(c));
    for (const a of spec.backends) this.#addBackend(a);
    this.#context = this.#makeContext();
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
    for (const f of this.#clients) n += f.bufferedBytes();
    return n;
  }

  /** Adds the bytes each open connection forwarded since the last call to the byte counters. */
  flushByteCounts(): void {
    for (const f of this.#clients) this.#countBytes(f);
  }

  #countBytes(f: Forwarding): void {
    if (f.backend === undefined) return;
    const [inBytes, outBytes] = f.takeByteCounts();
    const labels = this.#labels(f.backend);
    if (inBytes > 0) this.#deps.metrics.add('trc_edge_backend_bytes_in_total', labels, inBytes);
    if (outBytes > 0) this.#deps.metrics.add('trc_edge_backend_bytes_out_total', labels, outBytes);
  }

  /** Binds the listen address; `[::]` is dual-stack, so IPv4 clients arrive as IPv4-mapped addresses. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.#server.once('error', onError);
      this.#server.listen({ host: this.#spec.listen.host, port: this.#spec.listen.port, ipv6Only: this.#spec.listen.family === 6 && this.#spec.listen.host !== '::' }, () => {
        this.#server.off('error', onError);
        if (this.#deps.readBuffers !== 'node') this.#clientOnread = acceptWithOnread(this.#server, CLIENT_ONREAD, (c) => this.#accept(c));
        resolve();
      });
    });
  }

  /** Applies a new spec with the same listen address: options apply to new connections, removed backends drain. */
  update(spec: RouteSpec): BackendDiff {
    this.#spec = spec;
    if (this.#sweeper !== undefined && sweepIntervalMs(spec.idleTimeoutMs) < this.#sweepEveryMs) this.#startSweeper();
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
      for (const f of this.#clients) f.client.destroy();
    }, this.#spec.drainGraceMs);
    const waitClients = new Promise<void>((resolve) => {
      if (this.#clients.size === 0) resolve();
      else this.#onNoClients = resolve;
    });
    return Promise.all([closed, ...drained, waitClients]).then(() => {
      clearTimeout(grace);
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    });
  }

  /** One unref'd interval per route replaces a timer per socket, which would be reset on every read. */
  #startSweeper(): void {
    clearInterval(this.#sweeper);
    this.#sweepEveryMs = sweepIntervalMs(this.#spec.idleTimeoutMs);
    this.#sweeper = setInterval(() => {
      const now = performance.now();
      for (const f of this.#clients) f.sweep(now);
    }, this.#sweepEveryMs);
    this.#sweeper.unref();
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
    let labels = this.#backendLabels.get(b);
    if (labels === undefined) {
      labels = { route: this.#spec.name, backend: b.key };
      this.#backendLabels.set(b, labels);
    }
    return labels;
  }

  /** How this route's clients read: 'edge' when accepted through `acceptWithOnread`. */
  get readBuffers(): 'edge' | 'node' {
    return this.#clientOnread ? 'edge' : 'node';
  }

  #accept(client: Socket): void {
    const m = this.#deps.metrics;
    const spec = this.#spec;
    const route = { route: spec.name };
    if (this.#clients.size >= spec.maxConnections) {
      m.add('trc_edge_route_connections_rejected_total', { ...route, reason: 'limit' });
      client.destroy();
      return;
    }
    const f = new Forwarding(client, this.#context, spec, this.#clientOnread);
    this.#clients.add(f);
    m.add('trc_edge_route_connections_total', route);
    this.#gauge('trc_edge_route_connections_active', route, this.#clients.size);
    if (this.#sweeper === undefined) this.#startSweeper();
    f.start();
  }

  /** What every connection of this route calls back into; built once, not per connection. */
  #makeContext(): ForwardContext {
    const m = this.#deps.metrics;
    return {
      pick: (tried) => {
        const candidates: Backend[] = [];
        for (const b of this.#backends.values()) if (b.available && !tried.includes(b)) candidates.push(b);
        return pickTwoChoices(candidates, this.#deps.random);
      },
      proxyHeader: (client) => this.#deps.proxyHeader(client),
      onConnectFailed: (b) => m.add('trc_edge_backend_connect_failures_total', this.#labels(b)),
      onConnected: (f) => {
        const b = f.backend!;
        m.add('trc_edge_backend_connections_total', this.#labels(b));
        this.#gauge('trc_edge_backend_connections_active', this.#labels(b), b.activeConnections);
      },
      onNoBackend: () => m.add('trc_edge_route_connections_rejected_total', { route: this.#spec.name, reason: 'no_backend' }),
      onClosed: (f) => {
        this.#clients.delete(f);
        const route = { route: this.#spec.name };
        this.#gauge('trc_edge_route_connections_active', route, this.#clients.size);
        const b = f.backend;
        if (b !== undefined) {
          this.#countBytes(f);
          this.#gauge('trc_edge_backend_connections_active', this.#labels(b), b.activeConnections);
        }
        if (this.#clients.size === 0) this.#onNoClients?.();
      },
    };
  }
}
