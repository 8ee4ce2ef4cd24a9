// The child side of the crash test: concurrent writers append to the store as fast as they can and print each
// acknowledged event (`seq aggregateId version`) the moment its append resolves, until killed or bounded out.
// Usage: crash-writer.ts '<json: { location, writers, maxAppends, maxMs }>'
import process from 'node:process';
import { isTrcError } from '@trc/core';
import type { AggregateAppend, EventStore } from '../store.ts';
import { openStore, type StoreLocation } from './open-store.ts';

interface Config {
  readonly location: StoreLocation;
  readonly writers: number;
  readonly maxAppends: number;
  readonly maxMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const store = await openStore(config.location, () => new Date());
const deadline = performance.now() + config.maxMs;
let appends = 0;

async function writer(store: EventStore, k: number): Promise<void> {
  const own = `crash:w${k}`;
  const shared = `crash:shared${k % 4}`;
  let mine = await store.aggregateVersion(own);
  let theirs = await store.aggregateVersion(shared);
  for (let i = 0; appends < config.maxAppends && performance.now() < deadline; i++) {
    appends++;
    // Every third append also touches an aggregate shared with other writers: multi-aggregate and contended.
    const batch: AggregateAppend[] = [{ aggregateId: own, expectedVersion: mine, events: [{ type: 'CrashTestWritten', actor: `writer:${k}`, payload: { k, i } }] }];
    if (i % 3 === 0) batch.push({ aggregateId: shared, expectedVersion: theirs, events: [{ type: 'CrashTestShared', actor: `writer:${k}`, payload: { k, i, pad: 'x'.repeat(i % 200) } }] });
    try {
      const events = await store.append(batch);
      // A pipe write is synchronous on Linux: once this returns the line survives our SIGKILL.
      process.stdout.write(events.map((e) => `${e.seq} ${e.aggregateId} ${e.aggregateVersion}\n`).join(''));
      for (const e of events) {
        if (e.aggregateId === own) mine = e.aggregateVersion;
        else theirs = e.aggregateVersion;
      }
    } catch (error) {
      if (!isTrcError(error) || error.code !== 'TRC_CONFLICT') throw error;
      mine = await store.aggregateVersion(own);
      theirs = await store.aggregateVersion(shared);
    }
  }
}

await Promise.all(Array.from({ length: config.writers }, (_, k) => writer(store, k)));
await store.close();
