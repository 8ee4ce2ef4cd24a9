// The control plane as a RouteSource: loads the edge table, then follows the event stream and reloads the
// table (debounced) on the event types it names, with a periodic full resync as the safety net and
// reconnects with backoff when the stream drops. Each new table goes to `apply` (Edge.applyRoutes).
import { isTrcError, type TrcError } from '@trc/core';
import type { RouteSource, RouteTable } from '../config/route-table.ts';
import type { ControlApi } from './control-client.ts';
import { DEFAULT_TABLE_OPTIONS, parseControlTable, type ControlTable, type TableOptions } from './table.ts';

export interface ControlSourceOptions extends Partial<TableOptions> {
  /** Events arriving within this window cause one reload (a rolling restart is a burst of events). */
  readonly debounceMs?: number;
  /** A full reload this often even when the stream is quiet. */
  readonly resyncMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
}

export interface FollowHooks {
  /** Called with each table that differs from the last one applied; calls never overlap. */
  readonly apply: (table: RouteTable) => Promise<void>;
  /** Stream drops, failed reloads: the edge keeps running on its last table meanwhile. */
  readonly log: (line: string, error?: TrcError) => void;
}

export class ControlPlaneRouteSource implements RouteSource {
  readonly #api: ControlApi;
  readonly #options: Required<ControlSourceOptions>;
  #seq = 0;
  #watch: readonly string[] = [];
  #applied = '';
  #running = false;
  #abort = new AbortController();
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #resync: ReturnType<typeof setInterval> | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #reloadAgain = false;
  #loop: Promise<void> = Promise.resolve();

  constructor(api: ControlApi, options: ControlSourceOptions = {}) {
    this.#api = api;
    this.#options = {
      publicAddress: options.publicAddress ?? '0.0.0.0',
      defaultHealthCheck: options.defaultHealthCheck ?? DEFAULT_TABLE_OPTIONS.defaultHealthCheck,
      drainGraceMs: options.drainGraceMs ?? DEFAULT_TABLE_OPTIONS.drainGraceMs,
      debounceMs: options.debounceMs ?? 50,
      resyncMs: options.resyncMs ?? 30_000,
      backoffMinMs: options.backoffMinMs ?? 200,
      backoffMaxMs: options.backoffMaxMs ?? 5_000,
    };
  }

  /** The control plane's log position of the last table loaded. */
  get seq(): number {
    return this.#seq;
  }

  async load(): Promise<RouteTable> {
    return (await this.#fetch()).table;
  }

  /**
   * Follows the control plane until stop(): the table current at start is applied first. Resolves once
   * that first table is applied; rejects if it cannot be loaded (the caller decides whether to retry).
   */
  async start(hooks: FollowHooks): Promise<void> {
    const first = await this.#fetch();
    this.#running = true;
    await this.#applyIfChanged(first.table, hooks);
    this.#resync = setInterval(() => this.#scheduleReload(hooks, 0), this.#options.resyncMs);
    this.#loop = this.#followLoop(hooks);
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#abort.abort();
    clearTimeout(this.#debounce);
    clearInterval(this.#resync);
    await this.#loop;
    await this.#reloading;
  }

  async #fetch(): Promise<ControlTable> {
    const raw = await this.#api.table(this.#options.publicAddress === '0.0.0.0' ? undefined : this.#options.publicAddress);
    const parsed = parseControlTable(raw, this.#options);
    this.#seq = Math.max(this.#seq, parsed.seq);
    this.#watch = parsed.watch;
    return parsed;
  }

  async #applyIfChanged(table: RouteTable, hooks: FollowHooks): Promise<void> {
    const text = JSON.stringify(table);
    if (text === this.#applied) return;
    this.#applied = text;
    await hooks.apply(table);
  }

  #scheduleReload(hooks: FollowHooks, delayMs: number): void {
    if (!this.#running) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.#reload(hooks);
    }, delayMs);
  }

  /** One reload at a time; events during a reload cause exactly one more. */
  #reload(hooks: FollowHooks): void {
    if (this.#reloadAgain) return;
    this.#reloadAgain = true;
    this.#reloading = this.#reloading.then(async () => {
      this.#reloadAgain = false;
      if (!this.#running) return;
      try {
        const next = await this.#fetch();
        if (this.#running) await this.#applyIfChanged(next.table, hooks);
      } catch (e) {
        // Whatever failed, the follow loop must go on: the running routes stay and a later reload retries.
        if (isTrcError(e)) hooks.log('reload failed; the running routes stay', e);
        else hooks.log(`reload failed (${(e as Error).message}); the running routes stay`);
        // The periodic resync would get there too, but a missed change should not wait that long.
        this.#scheduleReload(hooks, this.#options.backoffMaxMs);
      }
    });
  }

  async #followLoop(hooks: FollowHooks): Promise<void> {
    let backoff = this.#options.backoffMinMs;
    while (this.#running) {
      let gotEvents = false;
      try {
        await this.#api.follow(this.#seq, this.#watch, this.#abort.signal, (e) => {
          gotEvents = true;
          if (this.#watch.includes(e.type)) this.#scheduleReload(hooks, this.#options.debounceMs);
        });
        if (this.#running) hooks.log('the control plane closed the event stream; reconnecting');
      } catch (e) {
        if (!this.#running) return;
        if (isTrcError(e)) hooks.log('event stream failed; reconnecting', e);
        else hooks.log(`event stream failed (${(e as Error).message}); reconnecting`);
      }
      if (gotEvents) backoff = this.#options.backoffMinMs;
      await this.#sleep(backoff);
      backoff = Math.min(backoff * 2, this.#options.backoffMaxMs);
      // Whatever happened while the stream was down is in the table, not in the (resumed) stream.
      this.#scheduleReload(hooks, 0);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
