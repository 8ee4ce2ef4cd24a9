// The parent side of the crash test: runs crash-writer.ts, SIGKILLs it at seeded random points, reopens the
// store and checks that no acknowledged event was lost and the log is contiguous. `verify` is the hook for
// further checks on the reopened store (e.g. projections rebuilt from it).
import { spawn } from 'node:child_process';
import process from 'node:process';
import assert from 'node:assert/strict';
import type { EventStore, StoredEvent } from '../store.ts';
import { assertLogInvariants } from '../conformance.ts';
import { openStore, type StoreLocation } from './open-store.ts';

const WRITER = new URL('./crash-writer.ts', import.meta.url).pathname;

export interface Acknowledged {
  readonly seq: number;
  readonly aggregateId: string;
  readonly aggregateVersion: number;
}

export interface CrashTestOptions {
  readonly location: StoreLocation;
  readonly seed: number;
  readonly rounds: number;
  readonly writers?: number;
  /** Kill after between 1 and this many acknowledged events in a round. */
  readonly maxAcksBeforeKill?: number;
  /** Further checks after each round, on the reopened store with every event acknowledged so far. */
  readonly verify?: (store: EventStore, log: readonly StoredEvent[], acknowledged: readonly Acknowledged[], notes: readonly string[]) => Promise<void>;
  /** The child to run (default crash-writer.ts: raw appends); it gets `{ location, writers, maxAppends, maxMs, round }` as JSON. */
  readonly writer?: string;
}

export interface CrashTestReport {
  readonly rounds: { readonly killedAfterAcks: number; readonly acknowledged: number; readonly head: number }[];
}

/** mulberry32: a tiny seeded PRNG so kill points are reproducible from the seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs one child until it has acknowledged `killAfter` events, then SIGKILLs it. Bounded by `timeoutMs`. */
function runChild(writer: string, location: StoreLocation, writers: number, killAfter: number, timeoutMs: number, round: number): Promise<{ acked: Acknowledged[]; notes: string[] }> {
  return new Promise((resolve, reject) => {
    const config = { location, writers, maxAppends: 1_000_000, maxMs: timeoutMs, round };
    const child = spawn(process.execPath, [writer, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: Acknowledged[] = [];
    // Lines starting with '#' are acknowledged higher-level writes (a command returned), checked by `verify`.
    const notes: string[] = [];
    let partial = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5000);
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('#')) {
          notes.push(line.slice(1).trim());
          continue;
        }
        const [seq, aggregateId, version] = line.split(' ');
        acked.push({ seq: Number(seq), aggregateId: aggregateId!, aggregateVersion: Number(version) });
      }
      if (!killed && acked.length >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // A line cut by the kill was never fully acknowledged: drop it.
      if (killed && signal === 'SIGKILL') resolve({ acked, notes });
      else reject(new Error(`crash writer ended before the kill (code ${code}, signal ${signal}, ${acked.length} acks): ${stderr}`));
    });
  });
}

/** What must hold after any crash: a contiguous log that holds every acknowledged event, unchanged. */
export function checkAfterCrash(log: readonly StoredEvent[], acknowledged: readonly Acknowledged[]): void {
  assertLogInvariants(log);
  for (const a of acknowledged) {
    const e = log[a.seq - 1];
    assert.ok(e !== undefined, `acknowledged seq ${a.seq} is lost (log ends at ${log.length})`);
    assert.deepEqual({ seq: e.seq, aggregateId: e.aggregateId, aggregateVersion: e.aggregateVersion }, a, `acknowledged event ${a.seq} differs after the crash`);
  }
}

export async function runCrashTest(options: CrashTestOptions): Promise<CrashTestReport> {
  const random = seededRandom(options.seed);
  const acknowledged: Acknowledged[] = [];
  const notes: string[] = [];
  const report: CrashTestReport = { rounds: [] };
  for (let round = 0; round < options.rounds; round++) {
    const killAfter = 1 + Math.floor(random() * (options.maxAcksBeforeKill ?? 400));
    const { acked, notes: written } = await runChild(options.writer ?? WRITER, options.location, options.writers ?? 16, killAfter, 20_000, round);
    acknowledged.push(...acked);
    notes.push(...written);
    const store = await openStore(options.location, () => new Date());
    try {
      const log = await store.read();
      checkAfterCrash(log, acknowledged);
      await options.verify?.(store, log, acknowledged, notes);
      report.rounds.push({ killedAfterAcks: killAfter, acknowledged: acked.length, head: log.length });
    } finally {
      await store.close();
    }
  }
  return report;
}
