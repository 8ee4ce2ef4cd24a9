// Keeps the desired count: an instance that exited (an OOM kill included) or stayed unhealthy past a threshold
// is replaced through the scheduler, with exponential backoff per (app, env, process type) and a crash-loop verdict.
import { formatMemory } from '@trc/core';
import { slotKey, type ControlState, type InstanceState } from '../state/state.ts';
import type { Change, Control } from './control.ts';
import { add, intentsOf, sameVolume } from './instances.ts';
import { stopChange } from './placement.ts';
import { tryPlace, viewOf } from './rolling.ts';

export interface ReplaceOptions {
  /** The reconciler's clock; failure times are event times. */
  readonly now: Date;
  /** An instance unhealthy this long counts as failed. */
  readonly unhealthyAfterMs: number;
  /** The first replacement waits this long; each further failure within the window doubles it, up to the max. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** This many failures within the window mark the slot crash-looping: retried at the max backoff from then on. */
  readonly crashLoopFailures: number;
  readonly crashLoopWindowMs: number;
}

export const DEFAULT_REPLACE: Omit<ReplaceOptions, 'now'> = { unhealthyAfterMs: 30_000, backoffBaseMs: 1_000, backoffMaxMs: 300_000, crashLoopFailures: 3, crashLoopWindowMs: 60_000 };

export interface ReplaceReport {
  readonly replaced: number;
  /** Failed instances still waiting: for their backoff, or for room. */
  readonly waiting: readonly { instance: string; reason: string }[];
}

/** When a failed instance counts as failed, or undefined while it does not. */
function failedAt(i: InstanceState, options: ReplaceOptions): number | undefined {
  const since = Date.parse(i.actualSince ?? i.placedAt);
  if (i.actual === 'exited') return since;
  if (i.actual === 'unhealthy' && options.now.getTime() - since >= options.unhealthyAfterMs) return since + options.unhealthyAfterMs;
  return undefined;
}

/** Why it failed, in a few words: an OOM kill names the memory cap. */
function cause(i: InstanceState): string {
  if (i.detail?.startsWith('memory limit exceeded') === true) return `memory limit exceeded (cap ${formatMemory(i.memoryBytes)})`;
  return i.detail ?? (i.actual === 'exited' ? 'the process exited' : 'it failed its health check');
}

/**
 * One pass: every failed instance (not on a down node, not draining, in an environment no rollout is changing,
 * not an old instance a pending restart replaces anyway) whose backoff has passed is stopped and replaced in one
 * append with InstanceReplaced; a volume-pinned one on its volume's node. The delay after the n-th failure within
 * the window is base x 2^(n-1), capped; at `crashLoopFailures` the slot gets ProcessTypeCrashLooped (once) and
 * waits the max until an instance runs past the window before failing.
 */
export async function replaceFailedInstances(control: Control, options: ReplaceOptions): Promise<ReplaceReport> {
  const state = await control.read();
  const view = viewOf(state, control.deps.random);
  const byApp = new Map<string, Change[]>();
  const waiting: { instance: string; reason: string }[] = [];
  let replaced = 0;
  const looped = new Set<string>();
  for (const i of [...state.instances.values()].sort((a, b) => (a.placedAt < b.placedAt ? -1 : a.placedAt > b.placedAt ? 1 : 0))) {
    if (!eligible(state, i)) continue;
    const at = failedAt(i, options);
    if (at === undefined) continue;
    const key = slotKey(i.app, i.env, i.processType);
    const slot = state.slots.get(key);
    const quick = at - Date.parse(i.placedAt) < options.crashLoopWindowMs;
    const failures = (slot?.failures ?? []).filter((t) => at - Date.parse(t) < options.crashLoopWindowMs).length + 1;
    const crashLooping = (quick && slot?.crashLooping === true) || failures >= options.crashLoopFailures;
    const delayMs = crashLooping ? options.backoffMaxMs : Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** (failures - 1));
    if (options.now.getTime() < at + delayMs) {
      waiting.push({ instance: i.id, reason: `replacement backoff: ${Math.ceil((at + delayMs - options.now.getTime()) / 1000)}s left` });
      continue;
    }
    const env = state.apps.get(i.app)!.envs[i.env]!;
    const group = { app: i.app, org: i.org, env: i.env, processType: i.processType, release: i.release, digest: i.digest, bundleVersion: env.secrets?.version ?? i.bundleVersion, cpu: i.cpu, memoryBytes: i.memoryBytes, count: 1, reason: 'failure' as const, ...sameVolume(i) };
    const placed = tryPlace(view, group, i, true);
    if (typeof placed === 'string' || placed.type !== 'InstancePlaced') {
      waiting.push({ instance: i.id, reason: typeof placed === 'string' ? placed : 'not placed' });
      continue;
    }
    view.state.instances.set(i.id, { ...i, desired: 'stopped' });
    const reason = `${i.id} ${i.actual === 'exited' ? 'exited' : 'stayed unhealthy'}: ${cause(i)}`.slice(0, 500);
    const ids = { app: i.app, org: i.org, env: i.env, processType: i.processType };
    add(byApp, i.app, stopChange(i, 'failure'), placed, { type: 'InstanceReplaced', payload: { ...ids, instanceId: i.id, replacementId: placed.payload.instanceId, reason, failedAt: new Date(at).toISOString(), quick, failures, delayMs } });
    if (failures >= options.crashLoopFailures && slot?.crashLooping !== true && !looped.has(key)) {
      looped.add(key);
      const why = `${i.actual === 'exited' ? 'exited' : 'became unhealthy'} ${failures} times within ${Math.round(options.crashLoopWindowMs / 1000)}s: ${cause(i)}`;
      add(byApp, i.app, { type: 'ProcessTypeCrashLooped', payload: { ...ids, failures, windowMs: options.crashLoopWindowMs, reason: why.slice(0, 500), retryDelayMs: options.backoffMaxMs } });
    }
    replaced++;
  }
  const intents = intentsOf(control, byApp);
  if (intents.length > 0) await control.commit({ kind: 'system' }, intents);
  return { replaced, waiting };
}

function eligible(state: ControlState, i: InstanceState): boolean {
  if (i.desired !== 'running' || i.drainingSince !== undefined || state.nodes.get(i.node)?.status !== 'up') return false;
  const env = state.apps.get(i.app)?.envs[i.env];
  // A rollout decides about its environment's failures itself (DeployFailed, rollback); a pending restart
  // replaces its old instances anyway.
  if (env === undefined || env.rollout !== null) return false;
  const restart = env.restarts[i.processType];
  return restart === undefined || i.bundleVersion >= restart.bundleVersion;
}
