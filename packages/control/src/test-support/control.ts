// Test harness: a Control on the real SQLite event store in a temp dir, with deterministic time and
// randomness. `using`-free: call `close()` in an after hook.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { SqliteEventStore } from '../store/sqlite/sqlite.ts';
import { Control } from '../commands/control.ts';
import { AesGcmSealer } from '../secrets/sealer.ts';
import type { Random } from '../commands/tokens.ts';
import type { Actor } from '../commands/actor.ts';

/** Deterministic bytes from a seed: SHA-256 in counter mode. Tests only; never for real tokens. */
export function seededRandom(seed: string): Random {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

/** A clock that advances one second per call, from a fixed start. */
export function steppingClock(start = Date.UTC(2026, 0, 1)): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

export interface TestControl {
  readonly control: Control;
  readonly store: SqliteEventStore;
  readonly dataDir: string;
  readonly masterKey: Uint8Array;
  close(): Promise<void>;
}

export async function makeTestControl(seed = 'test', dataDir?: string): Promise<TestControl> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'trc-control-'));
  const random = seededRandom(seed);
  const store = await SqliteEventStore.open({ dataDir: dir, clock: steppingClock() });
  const masterKey = seededRandom(`${seed}:master`)(32);
  const control = new Control({ store, random, sealer: new AesGcmSealer(masterKey, random) });
  return {
    control,
    store,
    dataDir: dir,
    masterKey,
    async close() {
      await store.close();
      if (dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const operator: Actor = { kind: 'operator', tokenId: 'tok_operator' };
export const orgActor = (org: string): Actor => ({ kind: 'org', org, tokenId: `tok_${org}` });

export const DIGEST = `sha256:${'a'.repeat(64)}`;
export const IMAGE = `registry.example/acme/web@${DIGEST}`;

/** Registers a node directly through the command layer (the operator may), big enough by default. */
export async function addNode(control: Control, name: string, cores = 16, memoryBytes = 64 * 2 ** 30): Promise<string> {
  const { registerNode } = await import('../commands/nodes.ts');
  return (await registerNode(control, operator, { name, cores, memoryBytes, reservedMemoryBytes: 2 ** 30 })).token;
}

export const nodeActor = (node: string): Actor => ({ kind: 'node', node, tokenId: `tok_${node}` });

/** The world most command tests start from: org "acme", nodes n1..n3 (8 cores, 16 GiB each) and its app "shop". */
export async function makeShopControl(seed: string): Promise<TestControl> {
  const { createOrg } = await import('../commands/orgs.ts');
  const { createApp } = await import('../commands/apps.ts');
  const t = await makeTestControl(seed);
  await createOrg(t.control, operator, { name: 'acme' });
  for (const n of ['n1', 'n2', 'n3']) await addNode(t.control, n, 8, 16 * 2 ** 30);
  await createApp(t.control, orgActor('acme'), { org: 'acme', name: 'shop' });
  return t;
}
