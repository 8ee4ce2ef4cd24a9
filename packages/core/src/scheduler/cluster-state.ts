// Precomputes, once per scheduling call, what every decision needs: nodes in id order with their free
// cpu and memory, the per-group instance counts used for spread, and which node holds which volume.
import { TrcError, type Problem } from '../errors/errors.ts';
import { nodeAllocatable, type ClusterSettings } from '../resources/cluster-settings.ts';
import { toMilliCpu } from '../resources/cpu.ts';
import type { NodeStatus, Snapshot, SnapshotNode } from './types.ts';

/** The spread key: instances of one process type of one app environment. */
export function groupKey(app: string, env: string, processType: string): string {
  return `${app}\u0000${env}\u0000${processType}`;
}

/** Mutable working state of one scheduling call; index i is the i-th node in id order. */
export interface ClusterState {
  readonly settings: ClusterSettings;
  readonly ids: readonly string[];
  readonly up: Uint8Array;
  readonly statuses: readonly NodeStatus[];
  readonly upCount: number;
  readonly draining: number;
  readonly down: number;
  /** Allocatable milli-vCPU and bytes, fixed for the call. */
  readonly allocCpu: Float64Array;
  readonly allocMem: Float64Array;
  /** Free = allocatable - requests of instances running or placed so far (negative if over-committed by hand). */
  readonly freeCpu: Float64Array;
  readonly freeMem: Float64Array;
  /** Per spread group: node index -> instances of the group on that up node (absent = 0). */
  readonly groups: Map<string, Map<number, number>>;
  /** Volume id -> node index. */
  readonly volumeOwner: Map<string, number>;
}

const STATUSES = new Set(['up', 'draining', 'down']);

function nodeProblems(node: SnapshotNode, at: string): Problem[] {
  const problems: Problem[] = [];
  const bad = (field: string, message: string): void => {
    problems.push({ path: `${at}.${field}`, code: 'TRC_SCHEDULER_INVALID_SNAPSHOT', message });
  };
  if (typeof node.id !== 'string' || node.id === '') bad('id', 'node id must be a non-empty string');
  if (!(Number.isFinite(node.cores) && node.cores >= 0)) bad('cores', `cores must be a non-negative number, got ${node.cores}`);
  if (!(Number.isSafeInteger(node.memory) && node.memory >= 0)) bad('memory', `memory must be a non-negative whole number of bytes, got ${node.memory}`);
  if (!(Number.isSafeInteger(node.reservedMemory) && node.reservedMemory >= 0)) bad('reservedMemory', `reservedMemory must be a non-negative whole number of bytes, got ${node.reservedMemory}`);
  if (!STATUSES.has(node.status)) bad('status', `status must be up, draining or down, got ${JSON.stringify(node.status)}`);
  node.instances.forEach((inst, j) => {
    if (!(Number.isFinite(inst.cpu) && inst.cpu >= 0)) bad(`instances.${j}.cpu`, `cpu must be a non-negative number, got ${inst.cpu}`);
    if (!(Number.isSafeInteger(inst.memory) && inst.memory >= 0)) bad(`instances.${j}.memory`, `memory must be a non-negative whole number of bytes, got ${inst.memory}`);
  });
  return problems;
}

/** Builds the working state; an inconsistent snapshot is a bug of whoever assembled it. */
export function buildClusterState(snapshot: Snapshot): ClusterState {
  // Sorting by id makes every later decision independent of the order nodes arrive in.
  const nodes = [...snapshot.nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = nodes.length;
  const problems: Problem[] = [];
  const ids: string[] = new Array<string>(n);
  const up = new Uint8Array(n);
  const statuses: NodeStatus[] = new Array<NodeStatus>(n);
  const allocCpu = new Float64Array(n);
  const allocMem = new Float64Array(n);
  const freeCpu = new Float64Array(n);
  const freeMem = new Float64Array(n);
  const groups = new Map<string, Map<number, number>>();
  const volumeOwner = new Map<string, number>();
  let upCount = 0;
  let draining = 0;
  let down = 0;
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    ids[i] = node.id;
    statuses[i] = node.status;
    if (i > 0 && ids[i - 1] === node.id) problems.push({ path: `nodes.${node.id}`, code: 'TRC_SCHEDULER_INVALID_SNAPSHOT', message: `node "${node.id}" appears twice` });
    for (const p of nodeProblems(node, `nodes.${node.id}`)) problems.push(p);
    const alloc = nodeAllocatable(node, snapshot.settings);
    allocCpu[i] = alloc.cpu;
    allocMem[i] = alloc.memory;
    let usedCpu = 0;
    let usedMem = 0;
    const isUp = node.status === 'up';
    for (const inst of node.instances) {
      usedCpu += toMilliCpu(inst.cpu);
      usedMem += inst.memory;
      // Instances on draining or down nodes are leaving, so they do not count towards spread.
      if (!isUp) continue;
      const key = groupKey(inst.app, inst.env, inst.processType);
      let counts = groups.get(key);
      if (counts === undefined) groups.set(key, (counts = new Map()));
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    freeCpu[i] = alloc.cpu - usedCpu;
    freeMem[i] = alloc.memory - usedMem;
    if (isUp) {
      up[i] = 1;
      upCount++;
    } else if (node.status === 'draining') draining++;
    else down++;
    for (const vol of node.volumes) {
      const other = volumeOwner.get(vol);
      if (other !== undefined) problems.push({ path: `nodes.${node.id}.volumes`, code: 'TRC_SCHEDULER_INVALID_SNAPSHOT', message: `volume "${vol}" is on both "${ids[other]}" and "${node.id}"` });
      volumeOwner.set(vol, i);
    }
  }
  if (problems.length > 0) {
    throw new TrcError('TRC_SCHEDULER_INVALID_SNAPSHOT', `the cluster snapshot is inconsistent (${problems.length} problem${problems.length === 1 ? '' : 's'})`, { problems });
  }
  return { settings: snapshot.settings, ids, up, statuses, upCount, draining, down, allocCpu, allocMem, freeCpu, freeMem, groups, volumeOwner };
}
