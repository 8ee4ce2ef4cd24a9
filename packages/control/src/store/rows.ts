// What the SQLite and PostgreSQL stores share around a commit: an accepted append waiting for its batch, and
// how a row of the events table becomes a StoredEvent.
import type { AggregateAppend, StoredEvent } from './store.ts';
import { acceptAppends, type EncodedAppend } from './append-input.ts';

/** An append accepted into the queue, settled when its batch commits (or fails). */
export interface PendingAppend {
  readonly appends: readonly EncodedAppend[];
  readonly resolve: (events: StoredEvent[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Accepts an append into a store's queue (or rejects it: closed store, invalid input) and calls `schedule`,
 * which arranges for the queue to be committed; the promise settles with the append's batch.
 */
export function enqueueAppend(queue: PendingAppend[], closed: boolean, appends: readonly AggregateAppend[], schedule: () => void): Promise<StoredEvent[]> {
  let encoded: EncodedAppend[];
  try {
    encoded = acceptAppends(closed, appends);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    queue.push({ appends: encoded, resolve, reject });
    schedule();
  });
}

/** A row of the events table. Drivers differ only in how they return seq (pg: bigint as a string) and time (pg: a Date). */
export interface EventRow {
  seq: number | string;
  type: string;
  aggregate_id: string;
  aggregate_version: number;
  actor: string;
  time: string | Date;
  payload: string;
}

export function rowToStored(r: EventRow): StoredEvent {
  return {
    seq: Number(r.seq),
    type: r.type,
    aggregateId: r.aggregate_id,
    aggregateVersion: r.aggregate_version,
    actor: r.actor,
    time: r.time instanceof Date ? r.time.toISOString() : r.time,
    payload: JSON.parse(r.payload) as unknown,
  };
}
