// Delivers appended events to subscribers in seq order without gaps: each subscriber has a cursor; events
// that continue it are handed over at once, otherwise the subscriber catches up by reading the store.
import type { EventListener, StoredEvent } from './store.ts';

export type ReadAfter = (afterSeq: number, limit: number) => Promise<StoredEvent[]>;

interface Subscriber {
  readonly listener: EventListener;
  cursor: number;
  pumping: boolean;
  active: boolean;
}

const CATCH_UP_PAGE = 500;

export class Subscriptions {
  readonly #subs = new Set<Subscriber>();
  readonly #readAfter: ReadAfter;
  readonly #onError: (error: unknown) => void;
  #head: number;

  constructor(readAfter: ReadAfter, head: number, onError: (error: unknown) => void) {
    this.#readAfter = readAfter;
    this.#head = head;
    this.#onError = onError;
  }

  get size(): number {
    return this.#subs.size;
  }

  add(listener: EventListener, afterSeq?: number): () => void {
    const sub: Subscriber = { listener, cursor: afterSeq ?? this.#head, pumping: false, active: true };
    this.#subs.add(sub);
    if (sub.cursor < this.#head) void this.#pump(sub);
    return () => {
      sub.active = false;
      this.#subs.delete(sub);
    };
  }

  /** A contiguous run of events this process just committed. */
  published(events: readonly StoredEvent[]): void {
    const last = events.at(-1);
    if (last === undefined) return;
    if (last.seq > this.#head) this.#head = last.seq;
    for (const sub of this.#subs) {
      if (!sub.pumping && events[0]!.seq === sub.cursor + 1) this.#deliver(sub, events);
      else if (!sub.pumping && sub.cursor < this.#head) void this.#pump(sub);
    }
  }

  /** Another process committed up to `seq` (a notification or a poll). */
  advanced(seq: number): void {
    if (seq > this.#head) this.#head = seq;
    for (const sub of this.#subs) if (!sub.pumping && sub.cursor < this.#head) void this.#pump(sub);
  }

  clear(): void {
    for (const sub of this.#subs) sub.active = false;
    this.#subs.clear();
  }

  #deliver(sub: Subscriber, events: readonly StoredEvent[]): void {
    sub.cursor = events.at(-1)!.seq;
    try {
      sub.listener(events);
    } catch (error) {
      // A failing listener must not stop the store or other listeners; its owner hears about it.
      this.#onError(error);
    }
  }

  async #pump(sub: Subscriber): Promise<void> {
    sub.pumping = true;
    try {
      while (sub.active && sub.cursor < this.#head) {
        const events = await this.#readAfter(sub.cursor, CATCH_UP_PAGE);
        if (!sub.active || events.length === 0) break;
        // Only deliver what continues the cursor, in case a page raced with another delivery.
        const fresh = events.filter((e) => e.seq > sub.cursor);
        if (fresh.length > 0 && fresh[0]!.seq === sub.cursor + 1) this.#deliver(sub, fresh);
        else break;
      }
    } catch (error) {
      // After unsubscribe or close a failed read concerns nobody; the next advance retries otherwise.
      if (sub.active) this.#onError(error);
    } finally {
      sub.pumping = false;
    }
  }
}
