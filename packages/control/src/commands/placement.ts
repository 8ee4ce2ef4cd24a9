// Admission then placement: quotas first (naming each exceeded quota), then the core scheduler over the
// current nodes. The result is a list of InstancePlaced changes; nothing is appended here.
import { TrcError, checkQuotas, limitsFromEvent, schedule, type EnvName, type InstanceWorkload, type Problem, type Snapshot, type InstanceChangeReason } from '@trc/core';
import type { ControlState, InstanceState } from '../state/state.ts';
import type { Change } from './control.ts';
import { newId, type Random } from './tokens.ts';

/** Instances the scheduler and quotas count: desired running, minus those the command is replacing. */
function counted(state: ControlState, exclude: ReadonlySet<string>): InstanceState[] {
  return [...state.instances.values()].filter((i) => i.desired === 'running' && !exclude.has(i.id));
}

export function snapshotOf(state: ControlState, exclude: ReadonlySet<string>): Snapshot {
  const byNode = new Map<string, InstanceState[]>();
  for (const i of counted(state, exclude)) byNode.set(i.node, [...(byNode.get(i.node) ?? []), i]);
  return {
    settings: { cpuOvercommit: state.settings.cpuOvercommit, memorySafetyBuffer: state.settings.memorySafetyBufferBytes },
    nodes: [...state.nodes.values()].map((n) => ({
      id: n.name,
      cores: n.cores,
      memory: n.memoryBytes,
      reservedMemory: n.reservedMemoryBytes,
      status: n.status,
      volumes: [...state.volumes.values()].filter((v) => v.node === n.name).map((v) => v.id),
      instances: (byNode.get(n.name) ?? []).map((i) => ({ app: i.app, env: i.env, processType: i.processType, cpu: i.cpu, memory: i.memoryBytes })),
    })),
  };
}

export interface QuotaRequest {
  readonly memoryBytes?: number;
  readonly instances?: number;
  readonly publicRoutes?: number;
  readonly ipv4Addresses?: number;
}

/** Refuses with TRC_QUOTA_EXCEEDED, naming every quota the request would take the org past. */
export function admit(state: ControlState, org: string, exclude: ReadonlySet<string>, add: QuotaRequest): void {
  const quotas = state.orgs.get(org)?.quotas;
  if (quotas === undefined) return;
  const mine = counted(state, exclude).filter((i) => i.org === org);
  const usage = {
    memory: mine.reduce((sum, i) => sum + i.memoryBytes, 0),
    instances: mine.length,
    publicRoutes: [...state.routes.values()].filter((r) => r.org === org).length,
    ipv4Addresses: [...state.ipv4.values()].filter((a) => a.org === org).length,
  };
  const requested = { memory: add.memoryBytes ?? 0, instances: add.instances ?? 0, publicRoutes: add.publicRoutes ?? 0, ipv4Addresses: add.ipv4Addresses ?? 0 };
  const check = checkQuotas(org, usage, requested, limitsFromEvent(quotas));
  if (!check.ok) throw check.error;
}

export interface InstanceGroup extends InstanceWorkload {
  readonly count: number;
  readonly reason: InstanceChangeReason;
  /** One local volume per instance (length = count): instance i runs where volumes[i] lives. */
  readonly volumes?: readonly string[];
  /** The deploy placing them, when a deploy's rollout does. */
  readonly deployId?: string;
}

export interface GroupPlan {
  readonly placed: Change[];
  readonly failures: readonly Problem[];
}

/** Plans every group in one scheduler call, so placements account for each other; one result per group. */
export function planPlacements(state: ControlState, groups: readonly InstanceGroup[], exclude: ReadonlySet<string>, random: Random): GroupPlan[] {
  const results = groups.map((): { placed: Change[]; failures: Problem[] } => ({ placed: [], failures: [] }));
  const ids = groups.map((g, i) => (g.count > 0 ? i : -1)).filter((i) => i >= 0);
  if (ids.length === 0) return results;
  const seed = Buffer.from(random(4)).readUInt32BE(0);
  const plan = schedule(
    snapshotOf(state, exclude),
    ids.map((i) => {
      const g = groups[i]!;
      return { id: String(i), org: g.org, app: g.app, env: g.env, processType: g.processType, count: g.count, cpu: g.cpu, memory: g.memoryBytes, ...(g.volumes === undefined ? {} : { volumes: g.volumes }) };
    }),
    { seed },
  );
  for (const f of plan.failures) {
    const g = groups[Number(f.requestId)]!;
    results[Number(f.requestId)]!.failures.push({ path: `${g.processType}[${f.index}]`, code: f.code, message: f.reason, hint: f.hint });
  }
  for (const p of plan.placements) {
    const g = groups[Number(p.requestId)]!;
    results[Number(p.requestId)]!.placed.push({
      type: 'InstancePlaced',
      payload: {
        instanceId: newId('ins', random), app: g.app, org: g.org, env: g.env, processType: g.processType, release: g.release, digest: g.digest,
        bundleVersion: g.bundleVersion, node: p.nodeId, cpu: g.cpu, memoryBytes: g.memoryBytes, reason: g.reason,
        ...(g.volumes === undefined ? {} : { volume: g.volumes[p.index]! }),
        ...(g.deployId === undefined ? {} : { deployId: g.deployId }),
      },
    });
  }
  return results;
}

/** Places every instance of every group, or throws with every instance that does not fit and why. */
export function place(state: ControlState, groups: readonly InstanceGroup[], exclude: ReadonlySet<string>, random: Random): Change[] {
  const results = planPlacements(state, groups, exclude, random);
  const problems = results.flatMap((r) => r.failures);
  const first = problems[0];
  if (first !== undefined) throw new TrcError(first.code, `${problems.length} instance(s) cannot be placed: ${first.message}`, { ...(first.hint === undefined ? {} : { hint: first.hint }), problems });
  return results.flatMap((r) => r.placed);
}

/** Actual states in which an instance counts as failed: it exited, or fails its health check. */
export const FAILED: ReadonlySet<string> = new Set(['exited', 'unhealthy']);

export function stopChange(i: InstanceState, reason: InstanceChangeReason): Change {
  return { type: 'InstanceStopRequested', payload: { instanceId: i.id, app: i.app, org: i.org, env: i.env, processType: i.processType, node: i.node, reason } };
}

/**
 * The running instances of one (app, env[, process type]), oldest first. Draining ones are on their way out
 * (their stop follows the drain grace): they count for resources and quotas (counted), not towards a count.
 */
export function runningOf(state: ControlState, app: string, env: EnvName, processType?: string): InstanceState[] {
  return [...state.instances.values()].filter((i) => i.desired === 'running' && i.drainingSince === undefined && i.app === app && i.env === env && (processType === undefined || i.processType === processType));
}

/**
 * The local volumes `count` new instances of a process type mount: the type's volumes no running instance
 * (outside `exclude`) holds. Undefined when the type has no volumes; TRC_VOLUMES_TOO_FEW when too few are free.
 */
export function volumesFor(state: ControlState, app: string, env: EnvName, processType: string, count: number, exclude: ReadonlySet<string>): string[] | undefined {
  const mine = [...state.volumes.values()].filter((v) => v.app === app && v.env === env && v.processType === processType);
  if (mine.length === 0) return undefined;
  const held = new Set(counted(state, exclude).map((i) => i.volume));
  const free = mine.filter((v) => !held.has(v.id)).map((v) => v.id);
  if (free.length < count) {
    throw new TrcError('TRC_VOLUMES_TOO_FEW', `${app}/${env} process type "${processType}" needs ${count} more local volume(s) but has ${free.length} free`, { hint: 'each instance of a process type with volumes mounts its own: create one volume per instance' });
  }
  return free.slice(0, count);
}
