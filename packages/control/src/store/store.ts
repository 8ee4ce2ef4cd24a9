// The EventStore port: an append-only, durable event log with optimistic concurrency per aggregate.
// Every implementation (store/sqlite, store/postgres) passes one conformance suite (conformance.ts).

/** An event to append. `type` is a past-tense name from the append-only registry in @trc/core. */
export interface NewEvent {
  readonly type: string;
  readonly actor: string;
  /** JSON-serialisable. Never a secret value in plaintext. */
  readonly payload: unknown;
}

/** An event as stored: numbered globally (`seq`) and per aggregate (`aggregateVersion`, from 1). */
export interface StoredEvent {
  readonly seq: number;
  readonly type: string;
  readonly aggregateId: string;
  readonly aggregateVersion: number;
  readonly actor: string;
  /** ISO-8601 UTC time of the append. */
  readonly time: string;
  readonly payload: unknown;
}

/**
 * Events for one aggregate, appended only if the aggregate's current version equals `expectedVersion`
 * (0 for an aggregate with no events yet). A mismatch fails the whole append with TRC_CONFLICT.
 */
export interface AggregateAppend {
  readonly aggregateId: string;
  readonly expectedVersion: number;
  readonly events: readonly NewEvent[];
}

export interface ReadOptions {
  /** Only events with seq greater than this. */
  readonly afterSeq?: number;
  readonly limit?: number;
  readonly aggregateId?: string;
  readonly types?: readonly string[];
}

export type EventListener = (events: readonly StoredEvent[]) => void;

export interface SubscribeOptions {
  /** Deliver every event with seq greater than this (0: the whole log) before live appends. */
  readonly afterSeq?: number;
}

/** The store's source of time, a parameter so tests control it. */
export type Clock = () => Date;

export interface EventStore {
  /**
   * Appends atomically: every aggregate's events, or none. Resolves once the events are durable
   * (committed and synced), with the stored events in order. Time comes from the store's clock parameter.
   * Rejects with TRC_CONFLICT (a version moved), TRC_INVALID_INPUT (every problem listed),
   * TRC_STORE_CLOSED, or TRC_STORE_UNAVAILABLE (nothing acknowledged).
   */
  append(appends: readonly AggregateAppend[]): Promise<StoredEvent[]>;
  /** Events in seq order. */
  read(options?: ReadOptions): Promise<StoredEvent[]>;
  /** The current version of an aggregate (0 if it has no events). */
  aggregateVersion(aggregateId: string): Promise<number>;
  /** The highest seq appended so far (0 when empty). */
  headSeq(): Promise<number>;
  /**
   * Calls `listener` after each durable append, in seq order, never skipping an event. With `afterSeq`,
   * first delivers every stored event after it (catch-up, then live): a projection reads nothing itself.
   * Without it, delivery starts at the next append. Returns an unsubscribe function.
   */
  subscribe(listener: EventListener, options?: SubscribeOptions): () => void;
  close(): Promise<void>;
}
