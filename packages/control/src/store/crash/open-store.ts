// Opens a store from a plain, serialisable description, so a child process can open the same log as its parent.
import type { Clock, EventStore } from '../store.ts';
import { openEventStore } from '../open.ts';

export type StoreLocation = { readonly kind: 'sqlite'; readonly dataDir: string } | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };

export function openStore(location: StoreLocation, clock: Clock): Promise<EventStore> {
  return location.kind === 'sqlite' ? openEventStore({ dataDir: location.dataDir, clock }) : openEventStore({ dataDir: '', databaseUrl: location.url, schema: location.schema, clock });
}
