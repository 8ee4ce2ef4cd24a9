// Runs a backend's health probe every interval and reports each verdict; the first probe runs at once.
import type { HealthCheckSpec } from '../config/route-table.ts';
import type { SocketAddress } from '../config/address.ts';
import { probe, type ProbeResult } from './probe.ts';

export type ProbeFn = typeof probe;

export class HealthChecker {
  readonly #spec: HealthCheckSpec;
  readonly #address: SocketAddress;
  readonly #proxyV2: boolean;
  readonly #onResult: (r: ProbeResult) => void;
  readonly #probe: ProbeFn;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(spec: HealthCheckSpec, address: SocketAddress, proxyV2: boolean, onResult: (r: ProbeResult) => void, probeFn: ProbeFn = probe) {
    this.#spec = spec;
    this.#address = address;
    this.#proxyV2 = proxyV2;
    this.#onResult = onResult;
    this.#probe = probeFn;
  }

  start(): void {
    void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    const started = performance.now();
    const result = await this.#probe({ kind: this.#spec.kind, address: this.#address, path: this.#spec.path, timeoutMs: this.#spec.timeoutMs, proxyV2: this.#proxyV2 });
    if (this.#stopped) return;
    this.#onResult(result);
    // Probes start one interval apart (not interval after the last one ended), so a verdict lands every interval.
    const wait = Math.max(0, this.#spec.intervalMs - (performance.now() - started));
    this.#timer = setTimeout(() => void this.#run(), wait);
  }
}
