// Structured events the edge emits (health transitions), and the sink interface the control plane will consume.
// Names follow the platform's past-tense event naming; the control plane registers them when it ingests them.

export interface BackendHealthEvent {
  readonly type: 'BackendMarkedHealthy' | 'BackendMarkedUnhealthy';
  /** ISO-8601 UTC time of the transition. */
  readonly time: string;
  readonly route: string;
  readonly backend: string;
  readonly reason: string;
  /** True when the probe found the backend does not speak the PROXY protocol the route sends. */
  readonly proxyMismatch: boolean;
}

export type EdgeEvent = BackendHealthEvent;

/** Where the edge sends its events. */
export interface EdgeEventSink {
  emit(event: EdgeEvent): void;
}

/** Writes one JSON object per line (to stdout in standalone mode). */
export class JsonLinesEventSink implements EdgeEventSink {
  readonly #write: (line: string) => void;

  constructor(write: (line: string) => void) {
    this.#write = write;
  }

  emit(event: EdgeEvent): void {
    this.#write(`${JSON.stringify(event)}\n`);
  }
}

/** Keeps events in memory; for tests and for an embedding process that polls. */
export class MemoryEventSink implements EdgeEventSink {
  readonly events: EdgeEvent[] = [];

  emit(event: EdgeEvent): void {
    this.events.push(event);
  }
}
