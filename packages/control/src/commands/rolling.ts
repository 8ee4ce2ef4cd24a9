// The one rolling-replacement machinery deploys and secret-change restarts share: surge first (place a new
// instance, wait for its health check, then drain and stop an old one), bounded by max surge and max unavailable.
import { TrcError, checkManifest } from '@trc/core';
import type { ControlState, InstanceState } from '../state/state.ts';
import { slotKey } from '../state/state.ts';
import type { Change } from './control.ts';
import { admit, planPlacements, stopChange, volumesFor, type InstanceGroup } from './placement.ts';
import type { Random } from './tokens.ts';

export interface RollingOptions {
  /** The reconciler's clock: drain graces and health deadlines count from event times to it. Absent: neither is checked. */
  readonly now?: Date;
  /** Healthy instances a rollout may take away below the desired count (0: capacity never drops). */
  readonly maxUnavailable: number;
  /** Instances a rollout may run above the desired count while new ones start (draining ones included). */
  readonly maxSurge: number;
  /** Between InstanceDrainStarted (the edges drop the instance) and InstanceStopRequested; 0 stops at once. */
  readonly drainGraceMs: number;
  /** How long a new instance may take to pass its health check; absent: 30 x the manifest's check interval. */
  readonly healthDeadlineMs?: number;
}

export const DEFAULT_ROLLING: RollingOptions = { maxUnavailable: 0, maxSurge: 1, drainGraceMs: 5_000 };

/** The factor on the manifest's health-check interval (default 10 s, so 5 minutes) giving a new instance's deadline. */
export const HEALTH_DEADLINE_INTERVALS = 30;
const DEFAULT_INTERVAL_MS = 10_000;

/**
 * A bare number keeps the first machinery's behaviour: `maxUnavailable` replacements at once, each stopping the
 * old instance in the same append that places the new one, no surge, no drain, no deadline.
 */
export function rollingOptions(options: number | Partial<RollingOptions> | undefined): RollingOptions {
  if (typeof options === 'number') return { maxUnavailable: options, maxSurge: 0, drainGraceMs: 0 };
  return { ...DEFAULT_ROLLING, ...options };
}

/** Milliseconds a new instance of `processType` has to pass its health check. */
export function healthDeadlineMs(manifest: string | undefined, processType: string, options: RollingOptions): number {
  if (options.healthDeadlineMs !== undefined) return options.healthDeadlineMs;
  const parsed = manifest === undefined ? undefined : checkManifest(manifest, 'platform.toml');
  const interval = parsed?.ok === true ? (parsed.value.processes[processType]?.healthCheck?.intervalMs ?? DEFAULT_INTERVAL_MS) : DEFAULT_INTERVAL_MS;
  return interval * HEALTH_DEADLINE_INTERVALS;
}

/** A new instance still not healthy past its deadline, with the words DeployFailed / RestartAbandoned use. */
export function overdue(i: InstanceState, deadlineMs: number, now: Date | undefined): string | undefined {
  if (now === undefined || (i.actual !== 'pending' && i.actual !== 'starting')) return undefined;
  if (now.getTime() - Date.parse(i.placedAt) < deadlineMs) return undefined;
  const s = Math.round(deadlineMs / 1000);
  return i.actual === 'pending' ? `no health report within ${s}s` : `not healthy within ${s}s (last reported starting)`;
}

/** The state a pass plans against: the projection plus what the pass already decided, so groups account for each other. */
export interface View {
  readonly state: ControlState;
  readonly random: Random;
}

export function viewOf(state: ControlState, random: Random): View {
  return { state: { ...state, instances: new Map(state.instances) }, random };
}

/** One (app, env, process type) being rolled towards instances `isNew` accepts. */
export interface RollGroup {
  /** Placement of one new instance (count 1); its volume is chosen here. */
  readonly template: InstanceGroup;
  readonly desired: number;
  readonly isNew: (i: InstanceState) => boolean;
  /** New instances that are not healthy yet do not hold the group open (a rollback's own failures). */
  readonly settled?: (i: InstanceState) => boolean;
}

export interface GroupStep {
  readonly changes: Change[];
  /** Old instances (or new ones) not yet healthy remain. */
  readonly done: boolean;
  /** Why nothing could be placed this pass, if so. */
  readonly waiting: string | undefined;
}

/** Broken instances go first, then those not yet up, and healthy ones last. */
function order(i: InstanceState): number {
  return i.actual === 'exited' || i.actual === 'unhealthy' ? 0 : i.actual === 'healthy' ? 2 : 1;
}

/**
 * One pass over one group:
 * 1. surge: place new instances while fewer than `desired` are new and the total (draining ones included)
 *    stays within desired + max surge;
 * 2. retire the old instances those new ones make surplus: a healthy one only while the healthy count stays
 *    at least desired - max unavailable (so with 0, only once a new one is healthy);
 * 3. replace in place (no surge room, or the surge was refused): an old instance that is not healthy, or a
 *    healthy one within max unavailable, gives way to a new one (drained first when a drain grace is set; its
 *    replacement is then placed by a later pass once it stopped).
 * Process types with local volumes cannot surge (the volume is held by the old instance): they replace in
 * place with max unavailable at least 1.
 */
export function rollGroup(view: View, g: RollGroup, options: RollingOptions): GroupStep {
  const t = g.template;
  const all = [...view.state.instances.values()].filter((i) => i.desired === 'running' && i.app === t.app && i.env === t.env && i.processType === t.processType);
  const draining = all.filter((i) => i.drainingSince !== undefined).length;
  const live = all.filter((i) => i.drainingSince === undefined);
  const old = live.filter((i) => !g.isNew(i)).sort((a, b) => order(a) - order(b));
  let fresh = live.length - old.length;
  const pinned = [...view.state.volumes.values()].some((v) => v.app === t.app && v.env === t.env && v.processType === t.processType);
  const floor = g.desired - (pinned ? Math.max(1, options.maxUnavailable) : options.maxUnavailable);
  let available = live.filter((i) => i.actual === 'healthy').length;
  const changes: Change[] = [];
  let waiting: string | undefined;
  let placed = 0;

  let room = Math.min(g.desired - fresh, g.desired + options.maxSurge - live.length - draining);
  for (; room > 0 && !pinned; room--) {
    const r = tryPlace(view, t, undefined, true);
    if (typeof r === 'string') {
      waiting = r;
      break;
    }
    changes.push(r);
    fresh++;
    placed++;
  }

  const retired = new Set<string>();
  let surplus = old.length + fresh - g.desired;
  for (const o of old) {
    if (surplus <= 0) break;
    if (o.actual === 'healthy') {
      if (available - 1 < floor) break;
      available--;
    }
    changes.push(retire(view, o, t.reason, options));
    retired.add(o.id);
    surplus--;
  }

  for (const o of old) {
    if (fresh >= g.desired) break;
    if (retired.has(o.id)) continue;
    const healthy = o.actual === 'healthy';
    if (healthy && available - 1 < floor) break;
    const drains = healthy && options.drainGraceMs > 0;
    const r = tryPlace(view, { ...t, ...(o.volume === undefined ? {} : { volumes: [o.volume] }) }, o, !drains);
    if (typeof r === 'string') {
      waiting = r;
      break;
    }
    changes.push(retire(view, o, t.reason, options));
    // A drained instance's replacement is placed by a later pass, once it has stopped and freed its room.
    if (!drains) {
      changes.push(r);
      placed++;
    }
    fresh++;
    if (healthy) available--;
  }

  const unavailable = live.some((i) => g.isNew(i) && i.actual !== 'healthy' && g.settled?.(i) !== true);
  return { changes, done: old.length === 0 && !unavailable && placed === 0, waiting: placed === 0 ? waiting : undefined };
}

/**
 * How an instance leaves: a serving one (healthy) drains when a grace is set, the edges dropping it at once and
 * the reconciler stopping it after the grace (finishedDrains); anything else serves nothing and stops at once.
 */
export function leaveChange(o: InstanceState, reason: InstanceGroup['reason'], drainGraceMs: number): Change {
  if (o.actual === 'healthy' && drainGraceMs > 0) {
    return { type: 'InstanceDrainStarted', payload: { instanceId: o.id, app: o.app, org: o.org, env: o.env, processType: o.processType, node: o.node, reason, graceMs: drainGraceMs } };
  }
  return stopChange(o, reason);
}

function retire(view: View, o: InstanceState, reason: InstanceGroup['reason'], options: RollingOptions): Change {
  const change = leaveChange(o, reason, options.drainGraceMs);
  const left = change.type === 'InstanceDrainStarted' ? { drainingSince: options.now?.toISOString() ?? o.placedAt, drainingFor: reason, drainGraceMs: options.drainGraceMs } : { desired: 'stopped' as const };
  view.state.instances.set(o.id, { ...o, ...left });
  return change;
}

/**
 * Quota admission then the scheduler for one new instance, `replacing` excluded from both; a refusal comes back
 * as its message. Applied to the view unless it is only a check (`apply` false).
 */
export function tryPlace(view: View, group: InstanceGroup, replacing: InstanceState | undefined, apply: boolean): Change | string {
  const exclude = new Set(replacing === undefined ? [] : [replacing.id]);
  let g: InstanceGroup = { ...group, count: 1 };
  try {
    admit(view.state, g.org, exclude, { instances: 1, memoryBytes: g.memoryBytes });
    if (g.volumes === undefined) {
      const volumes = volumesFor(view.state, g.app, g.env, g.processType, 1, exclude);
      if (volumes !== undefined) g = { ...g, volumes };
    }
  } catch (error) {
    if (error instanceof TrcError) return error.message;
    throw error;
  }
  const plan = planPlacements(view.state, [g], exclude, view.random)[0]!;
  const change = plan.placed[0];
  if (plan.failures.length > 0 || change === undefined || change.type !== 'InstancePlaced') return plan.failures[0]?.message ?? 'no node can take it';
  if (apply) {
    const p = change.payload;
    view.state.instances.set(p.instanceId, {
      id: p.instanceId, app: p.app, org: p.org, env: p.env, processType: p.processType, release: p.release, digest: p.digest, bundleVersion: p.bundleVersion, node: p.node,
      cpu: p.cpu, memoryBytes: p.memoryBytes, placedAt: '', reason: p.reason, volume: p.volume, deployId: p.deployId, desired: 'running', actual: 'pending', detail: undefined,
    });
  }
  return change;
}

/** Said once per reason: the waiting of a group whose replacement cannot proceed. */
export function deferredChange(state: ControlState, t: InstanceGroup, reason: string): Change | undefined {
  if (state.deferred.get(slotKey(t.app, t.env, t.processType)) === reason) return undefined;
  return { type: 'ReplacementDeferred', payload: { app: t.app, org: t.org, env: t.env, processType: t.processType, reason: reason.slice(0, 500) } };
}

/** Draining instances whose grace (the one their drain started with) has passed: their agents are asked to stop them. */
export function finishedDrains(state: ControlState, options: RollingOptions): Change[] {
  const now = options.now;
  if (now === undefined) return [];
  return [...state.instances.values()]
    .filter((i) => i.desired === 'running' && i.drainingSince !== undefined && now.getTime() - Date.parse(i.drainingSince) >= (i.drainGraceMs ?? options.drainGraceMs))
    .map((i) => stopChange(i, i.drainingFor ?? 'deploy'));
}
