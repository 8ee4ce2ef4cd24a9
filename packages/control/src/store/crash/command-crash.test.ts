// Crash test of the command layer on both stores: a child drives concurrent commands (as platform-control's
// API handlers do) and is SIGKILLed at seeded random points; after each kill, the reopened log holds every
// acknowledged event, every command that returned is in the rebuilt projection, and `Control.verify()` passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usePostgres } from '../../test-support/postgres.ts';
import type { EventStore } from '../store.ts';
import { runCrashTest, type CrashTestOptions } from './crash-test.ts';
import { Control } from '../../commands/control.ts';
import { AesGcmSealer } from '../../secrets/sealer.ts';

const postgres = usePostgres();
const SEED = 20261127;
const WRITER = new URL('./command-writer.ts', import.meta.url).pathname;

/** Rebuilds the projection from the reopened log, verifies it, and finds every acknowledged command in it. */
async function projectionHoldsEveryCommand(store: EventStore, notes: readonly string[], checked: { rounds: number; commands: number }): Promise<void> {
  const random = (n: number): Uint8Array => new Uint8Array(n);
  const control = new Control({ store, random, sealer: new AesGcmSealer(new Uint8Array(32).fill(7), random) });
  const result = await control.verify();
  assert.equal(result.ok, true, JSON.stringify(result.differences));
  const state = await control.read();
  for (const note of notes) {
    const [what, app, value] = note.split(' ');
    const found = state.apps.get(app!);
    assert.ok(found !== undefined, `acknowledged app ${app} is lost (${note})`);
    const prod = found.envs.prod!;
    if (what === 'release') assert.ok(found.releases.some((r) => r.version === Number(value)), `acknowledged ${note} is lost`);
    else if (what === 'secrets') assert.ok((prod.secrets?.version ?? 0) >= Number(value), `acknowledged ${note} is lost`);
    else if (what === 'deploy') assert.ok(prod.deploys.some((d) => d.id === value), `acknowledged ${note} is lost`);
    else assert.equal(what, 'app', `unknown note ${note}`);
  }
  checked.rounds += 1;
  checked.commands = notes.length;
}

async function crashCommands(location: CrashTestOptions['location'], seed: number): Promise<{ rounds: number; commands: number }> {
  const checked = { rounds: 0, commands: 0 };
  await runCrashTest({ location, seed, rounds: 4, writers: 8, maxAcksBeforeKill: 300, writer: WRITER, verify: (store, _log, _acked, notes) => projectionHoldsEveryCommand(store, notes, checked) });
  return checked;
}

test('SQLite: commands SIGKILLed at seeded random points lose no acknowledged write, and the rebuilt projection verifies', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trc-crash-commands-'));
  try {
    const checked = await crashCommands({ kind: 'sqlite', dataDir }, SEED);
    assert.equal(checked.rounds, 4);
    assert.ok(checked.commands > 0, 'no command was acknowledged before the kills');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('PostgreSQL: commands SIGKILLed at seeded random points lose no acknowledged write, and the rebuilt projection verifies', async () => {
  const url = await postgres.database('crash_commands');
  const checked = await crashCommands({ kind: 'postgres', url, schema: 'crash_commands' }, SEED + 1);
  assert.equal(checked.rounds, 4);
  assert.ok(checked.commands > 0, 'no command was acknowledged before the kills');
});

test('the command check itself catches a lost acknowledged app, release and deploy', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trc-crash-commands-neg-'));
  const { openStore } = await import('./open-store.ts');
  const store = await openStore({ kind: 'sqlite', dataDir }, () => new Date(Date.UTC(2026, 0, 1)));
  try {
    const checked = { rounds: 0, commands: 0 };
    await projectionHoldsEveryCommand(store, [], checked);
    await assert.rejects(projectionHoldsEveryCommand(store, ['app ghost'], checked), /acknowledged app ghost is lost/);
    await store.append([{ aggregateId: 'org:o', expectedVersion: 0, events: [{ type: 'OrgCreated', actor: 't', payload: { org: 'o' } }] }]);
    await store.append([{ aggregateId: 'app:a', expectedVersion: 0, events: [{ type: 'AppCreated', actor: 't', payload: { app: 'a', org: 'o' } }, { type: 'EnvironmentCreated', actor: 't', payload: { app: 'a', org: 'o', env: 'prod' } }] }]);
    await projectionHoldsEveryCommand(store, ['app a'], checked);
    await assert.rejects(projectionHoldsEveryCommand(store, ['release a 1'], checked), /release a 1 is lost/);
    await assert.rejects(projectionHoldsEveryCommand(store, ['deploy a dep_x'], checked), /deploy a dep_x is lost/);
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
