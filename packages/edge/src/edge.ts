// The edge proxy: route listeners, health checkers, metrics and events wired together.
// applyRoutes(table) is the one way route changes enter, whatever their source.
import type { TrcError } from '@trc/core';
import { formatSocketAddress } from './config/address.ts';
import type { RouteSpec, RouteTable } from './config/route-table.ts';
import { EdgeMetrics } from './admin/metrics.ts';
import { buildStatus, type EdgeStatus } from './admin/status.ts';
import { listenFailed } from './admin/server.ts';
import type { EdgeEventSink } from './events/edge-events.ts';
import type { Backend } from './proxy/backend.ts';
import type { Random } from './proxy/balancer.ts';
import { cachedClientProxyHeader } from './proxy/proxy-header.ts';
import { RouteListener } from './proxy/route-listener.ts';
import { HealthChecker, type ProbeFn } from './health/checker.ts';
import type { ProbeResult } from './health/probe.ts';

export interface EdgeDeps {
  readonly events: EdgeEventSink;
  readonly random: Random;
  readonly now: () => Date;
  readonly probe?: ProbeFn;
  /** Where client sockets read into; see RouteListenerDeps.readBuffers (default 'edge'). */
  readonly readBuffers?: 'edge' | 'node';
}

export interface ApplyResult {
  /** Routes that could not be (re)started, e.g. their listen address is taken; the rest of the table applied. */
  readonly errors: readonly TrcError[];
}

export class Edge {
  readonly #metrics = new EdgeMetrics();
  readonly #deps: EdgeDeps;
  readonly #routes = new Map<string, RouteListener>();
  readonly #checkers = new Map<Backend, HealthChecker>();
  readonly #closing = new Set<Promise<void>>();
  /** Listeners of removed or moved routes, still draining. */
  readonly #retiring = new Set<RouteListener>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: EdgeDeps) {
    this.#deps = deps;
  }

  /**
   * The metrics registry, with the byte counters brought up to date first: open connections count their
   * bytes when read here or when they close, not on every chunk (see proxy/PERFORMANCE.md).
   */
  get metrics(): EdgeMetrics {
    for (const r of this.#routes.values()) r.flushByteCounts();
    for (const r of this.#retiring) r.flushByteCounts();
    return this.#metrics;
  }

  /** Applies a whole table; calls are serialised, so tables apply in the order given. */
  applyRoutes(table: RouteTable): Promise<ApplyResult> {
    const run = this.#queue.then(() => this.#apply(table));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  status(): EdgeStatus {
    return buildStatus(this.#routes.values());
  }

  /** Bytes buffered in user space by all forwarded connections (bounded by backpressure). */
  bufferedBytes(): number {
    let n = 0;
    for (const r of this.#routes.values()) n += r.bufferedBytes();
    return n;
  }

  /** Stops accepting on every route, lets connections finish within each route's drain grace, then returns. */
  async stop(): Promise<void> {
    await this.#queue;
    for (const c of this.#checkers.values()) c.stop();
    this.#checkers.clear();
    const routes = [...this.#routes.values()];
    this.#routes.clear();
    await Promise.all([...routes.map((r) => r.close()), ...this.#closing]);
  }

  async #apply(table: RouteTable): Promise<ApplyResult> {
    const errors: TrcError[] = [];
    const wanted = new Map(table.routes.map((r) => [r.name, r]));
    for (const [name, current] of this.#routes) {
      const next = wanted.get(name);
      if (next === undefined || !sameAddress(next, current.spec)) {
        this.#routes.delete(name);
        this.#retire(current);
      }
    }
    for (const spec of table.routes) {
      const current = this.#routes.get(spec.name);
      if (current === undefined) {
        const listener = new RouteListener(spec, { metrics: this.#metrics, random: this.#deps.random, proxyHeader: cachedClientProxyHeader(), readBuffers: this.#deps.readBuffers ?? 'edge' });
        try {
          await listener.listen();
        } catch (e) {
          errors.push(listenFailed(`route "${spec.name}"`, spec.listen, e as NodeJS.ErrnoException));
          continue;
        }
        this.#routes.set(spec.name, listener);
        for (const b of listener.backends) this.#startChecker(listener, b);
        continue;
      }
      const probesChanged = JSON.stringify(current.spec.healthCheck) !== JSON.stringify(spec.healthCheck) || current.spec.proxyProtocol !== spec.proxyProtocol;
      const diff = current.update(spec);
      for (const b of diff.removed) this.#stopChecker(b);
      if (probesChanged) {
        for (const b of current.backends) this.#stopChecker(b);
        for (const b of current.backends) if (!b.draining) this.#resetHealth(current, b);
      }
      for (const b of current.backends) if (!b.draining && !this.#checkers.has(b)) this.#startChecker(current, b);
    }
    // Keep the status in table order.
    const ordered = table.routes.map((r) => [r.name, this.#routes.get(r.name)] as const).filter((e): e is [string, RouteListener] => e[1] !== undefined);
    this.#routes.clear();
    for (const [n, l] of ordered) this.#routes.set(n, l);
    return { errors };
  }

  #retire(listener: RouteListener): void {
    for (const b of listener.backends) this.#stopChecker(b);
    const closing = listener.close();
    this.#closing.add(closing);
    this.#retiring.add(listener);
    void closing.then(() => {
      this.#closing.delete(closing);
      this.#retiring.delete(listener);
      if (!this.#routes.has(listener.name)) this.#metrics.dropGauges(listener.name);
    });
  }

  /** Backends whose first probe verdict has been reported. */
  readonly #checked = new WeakSet<Backend>();

  #resetHealth(listener: RouteListener, b: Backend): void {
    listener.setHealth(b, true, listener.spec.healthCheck === undefined ? 'no health check configured' : 'not checked yet');
  }

  #startChecker(listener: RouteListener, b: Backend): void {
    const hc = listener.spec.healthCheck;
    if (hc === undefined) return;
    const checker = new HealthChecker(hc, b.address, listener.spec.proxyProtocol === 'v2', (r) => this.#onProbe(listener, b, r), this.#deps.probe);
    this.#checkers.set(b, checker);
    checker.start();
  }

  #stopChecker(b: Backend): void {
    this.#checkers.get(b)?.stop();
    this.#checkers.delete(b);
  }

  #onProbe(listener: RouteListener, b: Backend, r: ProbeResult): void {
    // The first verdict is reported even when it matches the optimistic default, so the control plane
    // learns that a backend was checked (and `platform routes status` need not say "not checked yet").
    const changed = listener.setHealth(b, r.healthy, r.reason);
    const first = !this.#checked.has(b);
    this.#checked.add(b);
    if (!changed && !first) return;
    this.#deps.events.emit({
      type: r.healthy ? 'BackendMarkedHealthy' : 'BackendMarkedUnhealthy',
      time: this.#deps.now().toISOString(),
      route: listener.name,
      backend: b.key,
      reason: r.reason,
      proxyMismatch: r.proxyMismatch,
    });
  }
}

function sameAddress(a: RouteSpec, b: RouteSpec): boolean {
  return formatSocketAddress(a.listen) === formatSocketAddress(b.listen);
}
