// Probes one instance every interval and reports transitions only: healthy after a passing probe,
// unhealthy after `failuresBeforeUnhealthy` failing ones in a row (so one slow answer does not flap).
// Until the first pass, probes come faster (5, 10, 20, 40 ms apart, then every `startupProbeMs`, for
// `startupWindowMs`): a rolling restart or a burst waits on that first pass, and most apps answer within tens of
// milliseconds, so a fixed 50 ms step would add up to 50 ms of idle waiting to each start. Failures in that
// window do not count towards unhealthy: an app still starting is not failing, and counting them made fast
// probes mark every slow starter unhealthy (then probed only each interval: a second lost per start in a burst).
import { performance } from 'node:perf_hooks';
import type { HealthCheck } from '@trc/core';
import { probe as defaultProbe, type ProbeResult, type ProbeTarget } from './prober.ts';

export type HealthState = 'healthy' | 'unhealthy';

export interface HealthMonitorOptions {
  readonly target: ProbeTarget;
  readonly check: HealthCheck;
  readonly onTransition: (state: HealthState, detail: string) => void;
  readonly failuresBeforeUnhealthy?: number;
  /** The start-up backoff's ceiling; default 50 ms. */
  readonly startupProbeMs?: number;
  /** Default 30 s. */
  readonly startupWindowMs?: number;
  /** Replaces the real prober (tests of the transition rules). */
  readonly probe?: (target: ProbeTarget, check: HealthCheck) => Promise<ProbeResult>;
}

export class HealthMonitor {
  readonly #options: HealthMonitorOptions;
  readonly #threshold: number;
  #state: HealthState | undefined;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** -Infinity until start(): a monitor stepped by hand has no start-up window. */
  #startedAt = Number.NEGATIVE_INFINITY;
  #probes = 0;

  constructor(options: HealthMonitorOptions) {
    this.#options = options;
    this.#threshold = options.failuresBeforeUnhealthy ?? 3;
  }

  get state(): HealthState | undefined {
    return this.#state;
  }

  /** The first probe runs at once: a fresh instance should count as soon as it answers. */
  start(): void {
    this.#startedAt = performance.now();
    this.#probes = 0;
    void this.#tick();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  /** One probe and its consequence; exported for tests that step it by hand. */
  async check(): Promise<void> {
    const result = await (this.#options.probe ?? defaultProbe)(this.#options.target, this.#options.check);
    if (this.#stopped) return;
    if (result.ok) {
      this.#failures = 0;
      if (this.#state !== 'healthy') this.#set('healthy', result.detail);
      return;
    }
    this.#failures++;
    if (this.#inStartup()) return;
    if (this.#failures >= this.#threshold && this.#state !== 'unhealthy') this.#set('unhealthy', result.detail);
  }

  #set(state: HealthState, detail: string): void {
    this.#state = state;
    this.#options.onTransition(state, detail);
  }

  /** Started, never passed yet, and within the start-up window. */
  #inStartup(): boolean {
    return this.#state === undefined && performance.now() - this.#startedAt < (this.#options.startupWindowMs ?? 30_000);
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    await this.check().catch(() => undefined);
    if (this.#stopped) return;
    const interval = this.#options.check.intervalMs;
    this.#timer = setTimeout(() => void this.#tick(), this.#inStartup() ? Math.min(interval, startupDelayMs(this.#probes++, this.#options.startupProbeMs ?? 50)) : interval);
    this.#timer.unref();
  }
}

/** The wait after the n-th failing start-up probe (n from 0): 5 ms doubling, capped at `ceilingMs`. */
export function startupDelayMs(n: number, ceilingMs: number): number {
  return Math.min(ceilingMs, 5 * 2 ** Math.min(n, 20));
}
