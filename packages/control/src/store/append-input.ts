// Checks an append before any store touches its database, and builds the errors every store shares, so
// SQLite and PostgreSQL reject the same inputs with the same codes.
import { TrcError, userError, type Problem } from '@trc/core';
import type { AggregateAppend, NewEvent, StoredEvent } from './store.ts';

/** An append's events with their payloads serialised once, up front (also a copy the caller cannot mutate). */
export interface EncodedAppend {
  readonly aggregateId: string;
  readonly expectedVersion: number;
  readonly events: readonly { readonly type: string; readonly actor: string; readonly payload: string }[];
}

/** Validates and encodes; throws TRC_INVALID_INPUT listing every problem. */
export function encodeAppends(appends: readonly AggregateAppend[]): EncodedAppend[] {
  const problems: Problem[] = [];
  const problem = (path: string, message: string): void => {
    problems.push({ path, code: 'TRC_INVALID_INPUT', message });
  };
  const seen = new Set<string>();
  const encoded: EncodedAppend[] = [];
  if (!Array.isArray(appends)) throw invalid([{ path: '', code: 'TRC_INVALID_INPUT', message: 'appends must be an array' }]);
  appends.forEach((a, i) => {
    const at = `appends[${i}]`;
    if (typeof a.aggregateId !== 'string' || a.aggregateId.length === 0) problem(`${at}.aggregateId`, 'must be a non-empty string');
    else if (seen.has(a.aggregateId)) problem(`${at}.aggregateId`, `aggregate "${a.aggregateId}" appears twice in one append`);
    else seen.add(a.aggregateId);
    if (!Number.isSafeInteger(a.expectedVersion) || a.expectedVersion < 0) problem(`${at}.expectedVersion`, 'must be an integer >= 0');
    if (!Array.isArray(a.events)) {
      problem(`${at}.events`, 'must be an array');
      return;
    }
    const list: readonly NewEvent[] = a.events;
    const events = list.map((e, j) => {
      const ep = `${at}.events[${j}]`;
      if (typeof e.type !== 'string' || e.type.length === 0) problem(`${ep}.type`, 'must be a non-empty string');
      if (typeof e.actor !== 'string' || e.actor.length === 0) problem(`${ep}.actor`, 'must be a non-empty string');
      let payload: string | undefined;
      try {
        payload = JSON.stringify(e.payload);
      } catch {
        payload = undefined;
      }
      if (payload === undefined) problem(`${ep}.payload`, 'must be JSON-serialisable');
      return { type: e.type, actor: e.actor, payload: payload ?? 'null' };
    });
    encoded.push({ aggregateId: a.aggregateId, expectedVersion: a.expectedVersion, events });
  });
  if (problems.length > 0) throw invalid(problems);
  return encoded;
}

/** The synchronous part of every store's append: refused once the store is closed, else validated and encoded. */
export function acceptAppends(closed: boolean, appends: readonly AggregateAppend[]): EncodedAppend[] {
  if (closed) throw closedError();
  return encodeAppends(appends);
}

function invalid(problems: Problem[]): TrcError {
  return new TrcError('TRC_INVALID_INPUT', `the append is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})`, {
    problems,
    hint: 'Fix every listed field; nothing was appended.',
  });
}

export function conflictError(aggregateId: string, expectedVersion: number, actualVersion: number): TrcError {
  return userError(
    'TRC_CONFLICT',
    `aggregate "${aggregateId}" is at version ${actualVersion}, not the expected ${expectedVersion}`,
    'Someone changed it first: re-read the aggregate and retry on its current state.',
    { details: { aggregateId, expectedVersion, actualVersion } },
  );
}

export function closedError(): TrcError {
  return new TrcError('TRC_STORE_CLOSED', 'the event store is closed', { hint: 'The control plane is shutting down; retry against a running one.' });
}

export function unavailableError(cause: unknown, doing: 'commit' | 'open' | 'read' = 'commit'): TrcError {
  const message = doing === 'commit' ? 'the event store could not commit; nothing was acknowledged' : `the event store could not ${doing} its database`;
  return new TrcError('TRC_STORE_UNAVAILABLE', message, { cause, hint: 'Check the database (data directory permissions and disk space, PostgreSQL reachability) and retry.' });
}

/** Builds the stored form of an encoded event (payload parsed again, so the caller gets its own copy). */
export function storedEvent(seq: number, aggregateId: string, aggregateVersion: number, time: string, e: EncodedAppend['events'][number]): StoredEvent {
  return { seq, type: e.type, aggregateId, aggregateVersion, actor: e.actor, time, payload: JSON.parse(e.payload) as unknown };
}
