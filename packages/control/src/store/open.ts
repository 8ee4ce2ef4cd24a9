// Chooses the event store from configuration: PostgreSQL when a `postgres://` URL is given (several control
// planes share it), otherwise the embedded SQLite file in the data directory.
import { TrcError } from '@trc/core';
import type { Clock, EventStore } from './store.ts';
import { SqliteEventStore } from './sqlite/sqlite.ts';
import { PostgresEventStore } from './postgres/postgres.ts';

export interface OpenEventStoreOptions {
  readonly dataDir: string;
  /** `postgres://...` (or `postgresql://...`); absent or empty: SQLite in `dataDir`. */
  readonly databaseUrl?: string;
  /** PostgreSQL schema (default `trc`). */
  readonly schema?: string;
  readonly clock: Clock;
}

export function openEventStore(options: OpenEventStoreOptions): Promise<EventStore> {
  const url = options.databaseUrl ?? '';
  if (url === '') return SqliteEventStore.open({ dataDir: options.dataDir, clock: options.clock });
  if (!/^postgres(ql)?:\/\//.test(url)) {
    // Only the scheme is echoed: the rest of a database URL may hold a password.
    const scheme = /^[a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'no scheme';
    return Promise.reject(new TrcError('TRC_INVALID_INPUT', `the database URL must start with postgres:// (got ${scheme})`, { hint: 'Set a postgres://user@host:port/database URL, or leave it empty for the embedded SQLite log.' }));
  }
  return PostgresEventStore.open({ url, clock: options.clock, ...(options.schema === undefined ? {} : { schema: options.schema }) });
}
