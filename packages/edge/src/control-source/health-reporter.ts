// Sends the edge's backend health transitions to the control plane. emit() only queues, so the data path
// and the health checkers never wait on the network; the queue is bounded (the oldest reports go first,
// since a newer verdict on the same backend supersedes them) and failed sends retry with backoff.
import type { EdgeEvent, EdgeEventSink } from '../events/edge-events.ts';
import type { ControlApi, HealthReport } from './control-client.ts';

export interface ReporterOptions {
  readonly maxQueued?: number;
  readonly maxAttempts?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** Reports that could not be delivered (dropped from a full queue, or out of attempts). */
  readonly onDropped?: (report: HealthReport, why: string) => void;
}

export class ControlHealthReporter implements EdgeEventSink {
  readonly #api: Pick<ControlApi, 'reportHealth'>;
  readonly #options: Required<ReporterOptions>;
  readonly #queue: HealthReport[] = [];
  #sending: Promise<void> | undefined;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;

  constructor(api: Pick<ControlApi, 'reportHealth'>, options: ReporterOptions = {}) {
    this.#api = api;
    this.#options = {
      maxQueued: options.maxQueued ?? 1000,
      maxAttempts: options.maxAttempts ?? 8,
      backoffMinMs: options.backoffMinMs ?? 200,
      backoffMaxMs: options.backoffMaxMs ?? 10_000,
      onDropped: options.onDropped ?? (() => undefined),
    };
  }

  /** Reports not yet accepted by the control plane. */
  get pending(): number {
    return this.#queue.length;
  }

  emit(event: EdgeEvent): void {
    if (this.#stopped) return;
    const report: HealthReport = { route: event.route, address: event.backend, healthy: event.type === 'BackendMarkedHealthy', reason: event.reason, proxyMismatch: event.proxyMismatch };
    if (this.#queue.length >= this.#options.maxQueued) this.#options.onDropped(this.#queue.shift()!, 'queue full');
    this.#queue.push(report);
    this.#sending ??= this.#drain().finally(() => (this.#sending = undefined));
  }

  /** Stops sending; whatever is still queued is dropped (the control plane learns the state from the next edge). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#sending;
  }

  async #drain(): Promise<void> {
    while (!this.#stopped && this.#queue.length > 0) {
      const report = this.#queue[0]!;
      let backoff = this.#options.backoffMinMs;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#api.reportHealth(report);
          break;
        } catch (e) {
          if (this.#stopped) return;
          // A 4xx other than a refused token (say the route was deleted meanwhile) will not change on retry.
          const status = (e as { details?: { status?: unknown } }).details?.status;
          if (attempt >= this.#options.maxAttempts || (typeof status === 'number' && status >= 400 && status < 500)) {
            this.#options.onDropped(report, (e as Error).message);
            break;
          }
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
            this.#timer = setTimeout(resolve, backoff);
          });
          backoff = Math.min(backoff * 2, this.#options.backoffMaxMs);
          if (this.#stopped) return;
          // Dropped from a full queue while waiting: newer verdicts are queued, this one is not sent.
          if (!this.#queue.includes(report)) break;
        }
      }
      // The head may have been dropped meanwhile by a full queue; remove this report wherever it is.
      const at = this.#queue.indexOf(report);
      if (at >= 0) this.#queue.splice(at, 1);
    }
  }
}

/** Sends each event to every sink (stdout JSON lines and the control plane). */
export class FanOutEventSink implements EdgeEventSink {
  readonly #sinks: readonly EdgeEventSink[];

  constructor(...sinks: EdgeEventSink[]) {
    this.#sinks = sinks;
  }

  emit(event: EdgeEvent): void {
    for (const s of this.#sinks) s.emit(event);
  }
}
