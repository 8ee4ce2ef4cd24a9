// The child side of the command-layer crash test: concurrent writers drive real commands (apps, releases,
// secrets, deploys, scaling, node reports, reconciler steps) through a Control, as platform-control's API
// handlers do. Each durable append is printed as `seq aggregateId version` when the store acknowledges it,
// and each command that returned as `# <what> <name> <value>`, until the parent SIGKILLs us.
// Usage: command-writer.ts '<json: { location, writers, maxAppends, maxMs, round }>'
import process from 'node:process';
import { randomBytes } from 'node:crypto';
import { isTrcError } from '@trc/core';
import type { EventStore } from '../store.ts';
import { openStore, type StoreLocation } from './open-store.ts';
import { Control } from '../../commands/control.ts';
import { AesGcmSealer } from '../../secrets/sealer.ts';
import { createOrg } from '../../commands/orgs.ts';
import { registerNode } from '../../commands/nodes.ts';
import { createApp, createRelease, deploy, scale } from '../../commands/apps.ts';
import { setSecrets } from '../../commands/secrets.ts';
import { reportInstanceState } from '../../commands/instances.ts';
import { advanceDeploys } from '../../commands/deploys.ts';
import { advanceRestarts } from '../../commands/instances.ts';
import type { Actor } from '../../commands/actor.ts';

interface Config {
  readonly location: StoreLocation;
  readonly writers: number;
  readonly maxAppends: number;
  readonly maxMs: number;
  readonly round: number;
}

/** The master key of the test's secrets: fixed, so every round's child opens what earlier ones sealed. */
const CRASH_MASTER_KEY = new Uint8Array(32).fill(7);
const CRASH_ORG = 'crash';
const CRASH_NODES = ['n1', 'n2', 'n3', 'n4'];
const GI = 2 ** 30;

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const store = await openStore(config.location, () => new Date());
const deadline = performance.now() + config.maxMs;
let appends = 0;

// A pipe write is synchronous on Linux: once it returns, the line survives our SIGKILL.
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const printing: EventStore = {
  async append(batch) {
    appends++;
    const events = await store.append(batch);
    process.stdout.write(events.map((e) => `${e.seq} ${e.aggregateId} ${e.aggregateVersion}\n`).join(''));
    return events;
  },
  read: (options) => store.read(options),
  aggregateVersion: (id) => store.aggregateVersion(id),
  headSeq: () => store.headSeq(),
  subscribe: (listener, options) => store.subscribe(listener, options),
  close: () => store.close(),
};
const random = (n: number): Uint8Array => randomBytes(n);
const control = new Control({ store: printing, random, sealer: new AesGcmSealer(CRASH_MASTER_KEY, random) });
const operator: Actor = { kind: 'operator', tokenId: 'tok_crash_operator' };
const org: Actor = { kind: 'org', org: CRASH_ORG, tokenId: 'tok_crash_org' };

/** A conflict (another writer moved the aggregate) or a refusal is part of the workload; a bug is not. */
async function attempt<T>(command: () => Promise<T>): Promise<T | undefined> {
  try {
    return await command();
  } catch (error) {
    if (isTrcError(error) && error.kind === 'user') return undefined;
    throw error;
  }
}

const live = (): boolean => appends < config.maxAppends && performance.now() < deadline;

// Set-up is idempotent: an earlier round may have been killed in the middle of it.
const state = await control.read();
if (!state.orgs.has(CRASH_ORG)) await attempt(() => createOrg(control, operator, { name: CRASH_ORG }));
for (const name of CRASH_NODES) if (!(await control.read()).nodes.has(name)) await attempt(() => registerNode(control, operator, { name, cores: 64, memoryBytes: 256 * GI, reservedMemoryBytes: GI }));
if (!(await control.read()).apps.has('shared')) await attempt(() => createApp(control, org, { org: CRASH_ORG, name: 'shared' }));

const IMAGE = `registry.example/crash/web@sha256:${'c'.repeat(64)}`;

async function writer(k: number): Promise<void> {
  for (let i = 0; live(); i++) {
    const name = `r${config.round}-w${k}-${i}`;
    if ((await attempt(() => createApp(control, org, { org: CRASH_ORG, name }))) === undefined) continue;
    say(`# app ${name}`);
    const release = await attempt(() => createRelease(control, org, name, { image: IMAGE, processes: { web: { cpu: 0.25, memory: '64Mi', count: 2 } } }));
    if (release !== undefined) say(`# release ${name} ${release.version}`);
    const secrets = await attempt(() => setSecrets(control, org, name, 'prod', { values: { TOKEN: `v${i}` } }));
    if (secrets !== undefined) say(`# secrets ${name} ${secrets.version}`);
    const started = release === undefined ? undefined : await attempt(() => deploy(control, org, name, 'prod', { release: release.version }));
    if (started !== undefined) say(`# deploy ${name} ${started.deployId}`);
    if (started !== undefined) await attempt(() => scale(control, org, name, 'prod', { processType: 'web', count: 1 + (i % 3) }));
    // Contended: every writer releases and deploys the same app, so most of these lose with TRC_CONFLICT.
    const shared = await attempt(() => createRelease(control, org, 'shared', { image: IMAGE, processes: { web: { cpu: 0.25, memory: '64Mi', count: 1 } } }));
    if (shared !== undefined) {
      say(`# release shared ${shared.version}`);
      const d = await attempt(() => deploy(control, org, 'shared', 'prod', { release: shared.version }));
      if (d !== undefined) say(`# deploy shared ${d.deployId}`);
    }
  }
}

/** The node agents and the reconciler: instances turn healthy, rollouts and restarts advance. */
async function nodesAndReconciler(): Promise<void> {
  while (live()) {
    const pending = [...(await control.read()).instances.values()].filter((i) => i.desired === 'running' && i.actual !== 'healthy').slice(0, 8);
    for (const i of pending) await attempt(() => reportInstanceState(control, { kind: 'node', node: i.node, tokenId: `tok_${i.node}` }, i.node, i.id, { state: 'healthy' }));
    await attempt(() => advanceDeploys(control, 2));
    await attempt(() => advanceRestarts(control, 2));
    // With nothing to do every await above settles in microtasks: yield so queued appends get committed.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

await Promise.all([...Array.from({ length: config.writers }, (_, k) => writer(k)), nodesAndReconciler()]);
await store.close();
