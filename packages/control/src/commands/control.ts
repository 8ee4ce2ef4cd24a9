// The command layer's core: the live projection and the one way to change it, an append with optimistic
// concurrency. Commands validate against the state and build their events synchronously after `read()`,
// so the expected versions they append with are the versions they validated against.
import { TrcError, type EventPayloads, type EventType } from '@trc/core';
import type { AggregateAppend, EventStore, StoredEvent } from '../store/store.ts';
import { reduce } from '../state/reduce.ts';
import { emptyState, type ControlState } from '../state/state.ts';
import { projectionDifferences, type VerifyResult } from './verify.ts';
import { actorLabel, type Actor } from './actor.ts';
import type { Random } from './tokens.ts';
import type { SecretSealer } from '../secrets/sealer.ts';
import type { ImageResolver } from '../images/resolver.ts';

export interface ControlDeps {
  readonly store: EventStore;
  readonly random: Random;
  readonly sealer: SecretSealer;
  /** Resolves image tags to digests; without one, releases must give name@sha256:<digest>. */
  readonly resolver?: ImageResolver;
  /**
   * The drain grace (`--drain-grace`) of instances scaled down while serving; the reconciler stops them once it
   * has passed, and uses it for rollouts unless told otherwise. Absent: DEFAULT_ROLLING's (5 s).
   */
  readonly drainGraceMs?: number;
}

/** One event to append, typed by the registry. */
export type Change = { [T in EventType]: { readonly type: T; readonly payload: EventPayloads[T] } }[EventType];

export interface Intent {
  readonly aggregateId: string;
  readonly expectedVersion: number;
  readonly changes: readonly Change[];
}

const PAGE = 1000;

export class Control {
  readonly deps: ControlDeps;
  #state: ControlState = emptyState();
  #syncing: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  constructor(deps: ControlDeps) {
    this.deps = deps;
  }

  /** Catches up with the log and returns the live state. Callers must not mutate it. */
  async read(): Promise<ControlState> {
    // A catch-up queued but not yet started will see everything committed before this call: join it, so a
    // burst of concurrent requests costs one log read, not one each.
    let run = this.#queued;
    if (run === undefined) {
      run = this.#syncing.then(() => {
        this.#queued = undefined;
        return this.#catchUp();
      });
      this.#queued = run;
      // A failed catch-up must not wedge every later one.
      this.#syncing = run.catch(() => undefined);
    }
    await run;
    return this.#state;
  }

  /** Captures an aggregate's version in the state just read: the version to append against. */
  version(aggregateId: string): number {
    return this.#state.versions.get(aggregateId) ?? 0;
  }

  /** Appends the intents atomically (TRC_CONFLICT if any aggregate moved), then applies them. */
  async commit(actor: Actor, intents: readonly Intent[]): Promise<StoredEvent[]> {
    const label = actorLabel(actor);
    const appends: AggregateAppend[] = intents.map((i) => ({
      aggregateId: i.aggregateId,
      expectedVersion: i.expectedVersion,
      events: i.changes.map((c) => ({ type: c.type, actor: label, payload: c.payload })),
    }));
    const stored = await this.deps.store.append(appends);
    await this.read();
    return stored;
  }

  /**
   * Replays the whole log into a fresh state and compares it with the live projection: each difference names
   * its projection, key and field (verify.ts), never a value.
   */
  async verify(): Promise<VerifyResult> {
    const live = await this.read();
    const replayed = emptyState();
    let events = 0;
    for (;;) {
      const page = await this.deps.store.read({ afterSeq: replayed.seq, limit: PAGE });
      for (const event of page) {
        if (event.seq > live.seq) break;
        reduce(replayed, event);
        events += 1;
      }
      if (page.length < PAGE || replayed.seq >= live.seq) break;
    }
    const { differences, truncated } = projectionDifferences(live, replayed);
    return { ok: differences.length === 0, seq: live.seq, events, differences, ...(truncated ? { truncated } : {}) };
  }

  async #catchUp(): Promise<void> {
    for (;;) {
      const page = await this.deps.store.read({ afterSeq: this.#state.seq, limit: PAGE });
      for (const event of page) {
        try {
          reduce(this.#state, event);
        } catch (error) {
          // The live state is now unreliable; start over from an empty one on the next read.
          this.#state = emptyState();
          throw error instanceof TrcError ? error : new TrcError('TRC_INTERNAL', 'replaying the event log failed', { cause: error });
        }
      }
      if (page.length < PAGE) return;
    }
  }
}
