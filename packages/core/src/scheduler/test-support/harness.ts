// Test harness in the spirit of Nomad's scheduler/tests/testing.go: records every plan the scheduler
// makes, applies plans to snapshots, and replays a plan independently to list the rules it breaks.
import { nodeAllocatable } from '../../resources/cluster-settings.ts';
import { toMilliCpu } from '../../resources/cpu.ts';
import { schedule } from '../schedule.ts';
import type { PlacementRequest, Plan, ScheduleOptions, Snapshot, SnapshotNode } from '../types.ts';

export interface PlanRecord {
  readonly snapshot: Snapshot;
  readonly requests: readonly PlacementRequest[];
  readonly options: ScheduleOptions;
  readonly plan: Plan;
}

/** Calls the scheduler and keeps what it was asked and what it answered. */
export class Harness {
  readonly plans: PlanRecord[] = [];

  schedule(snapshot: Snapshot, requests: readonly PlacementRequest[], options: ScheduleOptions): Plan {
    const plan = schedule(snapshot, requests, options);
    this.plans.push({ snapshot, requests, options, plan });
    return plan;
  }

  /** Schedules, then returns the snapshot with the placed instances running: for chained scenarios. */
  scheduleAndApply(snapshot: Snapshot, requests: readonly PlacementRequest[], options: ScheduleOptions): Snapshot {
    return applyPlan(snapshot, requests, this.schedule(snapshot, requests, options));
  }
}

export function applyPlan(snapshot: Snapshot, requests: readonly PlacementRequest[], plan: Plan): Snapshot {
  const byId = new Map(requests.map((r) => [r.id, r]));
  const added = new Map<string, SnapshotNode['instances'][number][]>();
  for (const p of plan.placements) {
    const r = byId.get(p.requestId)!;
    const list = added.get(p.nodeId) ?? [];
    list.push({ app: r.app, env: r.env, processType: r.processType, cpu: r.cpu, memory: r.memory });
    added.set(p.nodeId, list);
  }
  return { ...snapshot, nodes: snapshot.nodes.map((n) => ({ ...n, instances: [...n.instances, ...(added.get(n.id) ?? [])] })) };
}

const key = (app: string, env: string, processType: string): string => `${app}/${env}/${processType}`;

/**
 * Replays the record's decisions in order (request order, then instance index) with plain arithmetic
 * and returns every broken rule: a node over its allocatable memory or cpu, a placement on a node that
 * is not up, a volume instance away from its volume, a placement less spread than a feasible node
 * allowed, or a failure although some node fitted.
 */
export function planViolations(record: PlanRecord): string[] {
  const { snapshot, requests, plan } = record;
  const out: string[] = [];
  const nodes = new Map(snapshot.nodes.map((n) => [n.id, n]));
  const freeCpu = new Map<string, number>();
  const freeMem = new Map<string, number>();
  const counts = new Map<string, Map<string, number>>();
  for (const n of snapshot.nodes) {
    const alloc = nodeAllocatable(n, snapshot.settings);
    freeCpu.set(n.id, alloc.cpu - n.instances.reduce((s, i) => s + toMilliCpu(i.cpu), 0));
    freeMem.set(n.id, alloc.memory - n.instances.reduce((s, i) => s + i.memory, 0));
    if (n.status !== 'up') continue;
    for (const i of n.instances) {
      const k = key(i.app, i.env, i.processType);
      const m = counts.get(k) ?? new Map<string, number>();
      m.set(n.id, (m.get(n.id) ?? 0) + 1);
      counts.set(k, m);
    }
  }
  const position = new Map(requests.map((r, i) => [r.id, i]));
  const decisions = [
    ...plan.placements.map((p) => ({ requestId: p.requestId, index: p.index, nodeId: p.nodeId as string | undefined })),
    ...plan.failures.map((f) => ({ requestId: f.requestId, index: f.index, nodeId: undefined })),
  ].sort((a, b) => position.get(a.requestId)! - position.get(b.requestId)! || a.index - b.index);
  const expected = requests.reduce((s, r) => s + (r.count ?? 1), 0);
  if (decisions.length !== expected) out.push(`${decisions.length} decisions for ${expected} instances`);
  for (const d of decisions) {
    const r = requests[position.get(d.requestId)!]!;
    const cpu = toMilliCpu(r.cpu);
    const k = key(r.app, r.env, r.processType);
    const groupCounts = counts.get(k) ?? new Map<string, number>();
    counts.set(k, groupCounts);
    const label = `${d.requestId}#${d.index}`;
    const volume = r.volumes?.[d.index];
    const fits = (id: string): boolean => nodes.get(id)!.status === 'up' && freeCpu.get(id)! >= cpu && freeMem.get(id)! >= r.memory;
    const feasible = volume === undefined ? snapshot.nodes.filter((n) => fits(n.id)) : snapshot.nodes.filter((n) => n.volumes.includes(volume) && fits(n.id));
    if (d.nodeId === undefined) {
      if (feasible.length > 0) out.push(`${label} failed although ${feasible[0]!.id} fitted`);
      continue;
    }
    const node = nodes.get(d.nodeId);
    if (node === undefined) {
      out.push(`${label} placed on unknown node ${d.nodeId}`);
      continue;
    }
    if (node.status !== 'up') out.push(`${label} placed on ${node.id}, which is ${node.status}`);
    if (volume !== undefined && !node.volumes.includes(volume)) out.push(`${label} placed on ${node.id}, away from its volume ${volume}`);
    if (volume === undefined && feasible.length > 0) {
      const least = Math.min(...feasible.map((n) => groupCounts.get(n.id) ?? 0));
      const mine = groupCounts.get(node.id) ?? 0;
      if (mine > least) out.push(`${label} placed on ${node.id} holding ${mine} of its group while a feasible node held ${least}`);
    }
    freeCpu.set(node.id, freeCpu.get(node.id)! - cpu);
    freeMem.set(node.id, freeMem.get(node.id)! - r.memory);
    groupCounts.set(node.id, (groupCounts.get(node.id) ?? 0) + 1);
    if (freeMem.get(node.id)! < 0) out.push(`${label} over-commits memory on ${node.id}`);
    if (freeCpu.get(node.id)! < 0) out.push(`${label} takes ${node.id} above its allocatable cpu`);
  }
  return out;
}
