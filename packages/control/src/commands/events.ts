// Reading the log through the API: filters, and what an actor may see (its own org's events only).
import type { StoredEvent } from '../store/store.ts';
import { forbidden, type Actor } from './actor.ts';
import type { Control } from './control.ts';
import { edgeWatches } from './edges.ts';

export interface EventFilter {
  readonly afterSeq?: number;
  readonly limit?: number;
  readonly types?: readonly string[];
  readonly app?: string;
  /** A node's edge asking for the routing events of every org as well (`edge=1`): those come without payload. */
  readonly edge?: boolean;
}

/** Whether the actor may see the event: operators all; an org the events naming it; a node those naming it (its instances too). */
export function visibleTo(actor: Actor, event: StoredEvent): boolean {
  const payload = event.payload as { org?: unknown; node?: unknown };
  if (actor.kind === 'operator' || actor.kind === 'system') return true;
  if (actor.kind === 'org') return payload.org === actor.org;
  if (actor.kind === 'node') return payload.node === actor.node;
  return false;
}

export function matches(filter: EventFilter, event: StoredEvent): boolean {
  if (filter.types !== undefined && filter.types.length > 0 && !filter.types.includes(event.type)) return false;
  if (filter.app !== undefined && (event.payload as { app?: unknown }).app !== filter.app) return false;
  return true;
}

/**
 * The event as this reader gets it, or undefined. An edge runs on a node with the node's token and must
 * reload on every routing change of every org, yet a node learns nothing of other orgs: with `edge` it gets
 * those events as type and seq only, enough to know its table is stale (commands/edges.ts).
 */
export function viewOf(actor: Actor, filter: EventFilter, event: StoredEvent): StoredEvent | undefined {
  if (!matches(filter, event)) return undefined;
  if (visibleTo(actor, event)) return publicEvent(event);
  if (filter.edge === true && actor.kind === 'node' && edgeWatches(event.type)) return { ...event, actor: '', payload: {} };
  return undefined;
}

/** Token hashes stay inside the control plane even though they are not secrets themselves. */
export function publicEvent(event: StoredEvent): StoredEvent {
  if (event.type !== 'ApiTokenCreated') return event;
  const { sha256: _hidden, ...payload } = event.payload as Record<string, unknown>;
  return { ...event, payload };
}

const MAX_PAGE = 1000;

export async function listEvents(control: Control, actor: Actor, filter: EventFilter): Promise<StoredEvent[]> {
  if (actor.kind === 'join') throw forbidden('read events');
  const limit = Math.min(filter.limit ?? 100, MAX_PAGE);
  const out: StoredEvent[] = [];
  let after = filter.afterSeq ?? 0;
  // Filtering by visibility happens after reading, so read pages until the page is full or the log ends.
  for (let rounds = 0; out.length < limit && rounds < 10_000; rounds++) {
    const page = await control.deps.store.read({ afterSeq: after, limit: MAX_PAGE, ...(filter.types !== undefined && filter.types.length > 0 ? { types: filter.types } : {}) });
    for (const event of page) {
      const view = viewOf(actor, filter, event);
      if (view !== undefined) out.push(view);
      if (out.length >= limit) break;
    }
    if (page.length < MAX_PAGE) break;
    after = page.at(-1)!.seq;
  }
  return out;
}
