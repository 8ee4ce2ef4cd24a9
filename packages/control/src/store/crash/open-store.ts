// Opens a store from a plain, serialisable description, so a child process can open the same log as its parent.
import type { Clock, EventStore } from '../store.ts';
import { SqliteEventStore } from '../sqlite/sqlite.ts';
import { PostgresEventStore } from '../postgres/postgres.ts';

export type StoreLocation = { readonly kind: 'sqlite'; readonly dataDir: string } | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };

export function openStore(location: StoreLocation, clock: Clock): Promise<EventStore> {
  return location.kind === 'sqlite' ? SqliteEventStore.open({ dataDir: location.dataDir, clock }) : PostgresEventStore.open({ url: location.url, schema: location.schema, clock });
}
