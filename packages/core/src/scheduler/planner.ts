// One scheduling call's decisions, instance by instance: locality first, then spread, then binpack
// among a seeded sample of feasible nodes. See README.md for the order of checks and the score.
import { TrcError } from '../errors/errors.ts';
import { toMilliCpu } from '../resources/cpu.ts';
import { buildClusterState, groupKey, type ClusterState } from './cluster-state.ts';
import { MaxTree } from './max-tree.ts';
import { createPrng, shuffle } from './prng.ts';
import * as reasons from './reasons.ts';
import { requestProblems } from './requests.ts';
import { binpackScore } from './score.ts';
import type { Placement, PlacementFailure, PlacementRequest, Plan, ScheduleOptions, Snapshot } from './types.ts';

/** Spread state of one group: instance counts per up node, and how many up nodes hold each count. */
interface Group {
  readonly counts: Map<number, number>;
  /** levels[c] = number of up nodes holding exactly c instances of the group. */
  readonly levels: number[];
  /** Smallest c with levels[c] > 0: a node at this count is as spread as any can be. */
  min: number;
}

/** Builds a plan one request at a time; each decision sees every earlier one. */
export interface Planner {
  /** Places every instance of the request, recording placements and failures. */
  place(request: PlacementRequest): void;
  plan(): Plan;
}

/** Nomad's limit for service jobs: compare ceil(log2(n)) feasible nodes, at least 2. */
export function defaultCandidates(upNodes: number): number {
  return Math.max(2, Math.ceil(Math.log2(Math.max(1, upNodes))));
}

export function startPlan(snapshot: Snapshot, options: ScheduleOptions): Planner {
  // The seed and sample size come from the control plane, not from users: a bad one is a bug.
  if (!Number.isSafeInteger(options.seed)) throw new TrcError('TRC_INTERNAL', `scheduler seed must be a safe integer, got ${options.seed}`);
  if (options.candidates !== undefined && !(Number.isSafeInteger(options.candidates) && options.candidates >= 1)) {
    throw new TrcError('TRC_INTERNAL', `scheduler candidates must be a positive integer, got ${options.candidates}`);
  }
  const state = buildClusterState(snapshot);
  return new ClusterPlanner(state, options);
}

class ClusterPlanner implements Planner {
  readonly #s: ClusterState;
  readonly #limit: number;
  /** Up nodes in a seeded random order; decisions walk it from a rotating cursor, as Nomad's StaticIterator. */
  readonly #order: Int32Array;
  #cursor = 0;
  readonly #freeCpuIndex: MaxTree;
  readonly #freeMemIndex: MaxTree;
  readonly #largestCpu: reasons.Largest;
  readonly #largestMem: reasons.Largest;
  readonly #groups = new Map<string, Group>();
  readonly #seenIds = new Set<string>();
  readonly #seenVolumes = new Set<string>();
  readonly #placements: Placement[] = [];
  readonly #failures: PlacementFailure[] = [];

  constructor(state: ClusterState, options: ScheduleOptions) {
    this.#s = state;
    const n = state.ids.length;
    this.#limit = options.candidates ?? defaultCandidates(state.upCount);
    const order = new Int32Array(state.upCount);
    let k = 0;
    for (let i = 0; i < n; i++) if (state.up[i] === 1) order[k++] = i;
    shuffle(order, createPrng(options.seed));
    this.#order = order;
    const masked = (values: Float64Array): Float64Array => values.map((v, i) => (state.up[i] === 1 ? v : -Infinity));
    this.#freeCpuIndex = new MaxTree(masked(state.freeCpu));
    this.#freeMemIndex = new MaxTree(masked(state.freeMem));
    this.#largestCpu = this.#largest(masked(state.allocCpu));
    this.#largestMem = this.#largest(masked(state.allocMem));
  }

  #largest(values: Float64Array): reasons.Largest {
    let best = -1;
    for (let i = 0; i < values.length; i++) if (best === -1 || values[i]! > values[best]!) best = i;
    return best === -1 || values[best] === -Infinity ? { nodeId: '', amount: 0 } : { nodeId: this.#s.ids[best]!, amount: values[best]! };
  }

  #group(key: string): Group {
    let g = this.#groups.get(key);
    if (g !== undefined) return g;
    const counts = this.#s.groups.get(key) ?? new Map<number, number>();
    this.#s.groups.set(key, counts);
    const levels = [this.#s.upCount - counts.size];
    for (const c of counts.values()) levels[c] = (levels[c] ?? 0) + 1;
    let min = 0;
    while ((levels[min] ?? 0) === 0 && min < levels.length) min++;
    g = { counts, levels, min };
    this.#groups.set(key, g);
    return g;
  }

  place(request: PlacementRequest): void {
    const problems = requestProblems([request]);
    if (this.#seenIds.has(request.id)) problems.push({ path: 'id', code: 'TRC_SCHEDULER_INVALID_REQUEST', message: `id "${request.id}" was already placed in this plan` });
    for (const v of request.volumes ?? []) {
      if (this.#seenVolumes.has(v)) problems.push({ path: 'volumes', code: 'TRC_SCHEDULER_INVALID_REQUEST', message: `volume "${v}" was already asked for in this plan`, hint: 'a local volume serves one instance' });
    }
    if (problems.length > 0) throw new TrcError('TRC_SCHEDULER_INVALID_REQUEST', `invalid placement request "${request.id}"`, { hint: 'fix each field listed', problems });
    this.#seenIds.add(request.id);
    for (const v of request.volumes ?? []) this.#seenVolumes.add(v);

    const cpu = toMilliCpu(request.cpu);
    const mem = request.memory;
    const count = request.count ?? 1;
    const group = this.#group(groupKey(request.app, request.env, request.processType));
    // A failure changes nothing, so the next instance of the same size (without a volume) fails alike:
    // reuse the reason rather than walk the nodes again.
    let failed: reasons.Reason | undefined;
    for (let index = 0; index < count; index++) {
      const volume = request.volumes?.[index];
      const node = volume !== undefined ? this.#volumeNode(volume, cpu, mem) : (failed ?? this.#pick(group, cpu, mem));
      if (volume === undefined && typeof node !== 'number') failed = node;
      if (typeof node === 'number') {
        this.#commit(node, group, cpu, mem);
        const s = this.#s;
        this.#placements.push({ requestId: request.id, index, nodeId: s.ids[node]!, score: binpackScore(s.allocCpu[node]!, s.freeCpu[node]!, s.allocMem[node]!, s.freeMem[node]!) });
      } else {
        this.#failures.push({ requestId: request.id, index, code: node.code, reason: node.reason, hint: node.hint });
      }
    }
  }

  plan(): Plan {
    return { placements: [...this.#placements], failures: [...this.#failures] };
  }

  #volumeNode(volume: string, cpu: number, mem: number): number | reasons.Reason {
    const s = this.#s;
    const i = s.volumeOwner.get(volume);
    if (i === undefined) return reasons.volumeNotFound(volume);
    if (s.up[i] !== 1) return reasons.volumeNodeUnavailable(volume, s.ids[i]!, s.statuses[i]!);
    if (s.freeCpu[i]! < cpu || s.freeMem[i]! < mem) return reasons.volumeNodeFull(volume, s.ids[i]!, cpu, mem, s.freeCpu[i]!, s.freeMem[i]!);
    return i;
  }

  /** The best feasible node: lowest spread count first, then highest binpack score, then lowest id. */
  #pick(group: Group, cpu: number, mem: number): number | reasons.Reason {
    const s = this.#s;
    if (s.upCount === 0) return reasons.noNodes(s.draining, s.down);
    if (cpu > this.#largestCpu.amount || mem > this.#largestMem.amount) return reasons.exceedsNodeSize(cpu, mem, this.#largestCpu, this.#largestMem);
    // The index answers "does any node have enough of each" exactly, without walking the nodes.
    const freeCpu = this.#freeCpuIndex;
    const freeMem = this.#freeMemIndex;
    if (cpu > freeCpu.max() || mem > freeMem.max()) {
      return reasons.noCapacity(cpu, mem, { nodeId: s.ids[freeCpu.argMax()]!, amount: freeCpu.max() }, { nodeId: s.ids[freeMem.argMax()]!, amount: freeMem.max() }, s.settings.cpuOvercommit);
    }
    const order = this.#order;
    const n = order.length;
    let best = -1;
    let bestCount = Infinity;
    let bestScore = -1;
    let found = 0;
    let visited = 0;
    // Stop after `limit` feasible nodes at the group's lowest count anywhere: none can be more spread.
    // Otherwise walk every up node, so a less spread feasible node is never missed.
    while (visited < n) {
      const i = order[(this.#cursor + visited) % n]!;
      visited++;
      const fc = s.freeCpu[i]!;
      const fm = s.freeMem[i]!;
      if (fc < cpu || fm < mem) continue;
      const c = group.counts.get(i) ?? 0;
      if (c > bestCount) continue;
      const score = binpackScore(s.allocCpu[i]!, fc - cpu, s.allocMem[i]!, fm - mem);
      if (c < bestCount || score > bestScore || (score === bestScore && i < best)) {
        best = i;
        bestCount = c;
        bestScore = score;
      }
      if (c === group.min && ++found >= this.#limit) break;
    }
    this.#cursor = (this.#cursor + visited) % n;
    if (best !== -1) return best;
    const m = freeMem.argMax();
    const c = freeCpu.argMax();
    return reasons.noFit(cpu, mem, { nodeId: s.ids[m]!, freeCpu: s.freeCpu[m]!, freeMem: s.freeMem[m]! }, { nodeId: s.ids[c]!, freeCpu: s.freeCpu[c]!, freeMem: s.freeMem[c]! });
  }

  #commit(i: number, group: Group, cpu: number, mem: number): void {
    const s = this.#s;
    s.freeCpu[i] = s.freeCpu[i]! - cpu;
    s.freeMem[i] = s.freeMem[i]! - mem;
    // A volume may pin an instance to a node that is not up only if the checks above are wrong; guard anyway.
    if (s.up[i] !== 1) return;
    this.#freeCpuIndex.set(i, s.freeCpu[i]!);
    this.#freeMemIndex.set(i, s.freeMem[i]!);
    const before = group.counts.get(i) ?? 0;
    group.counts.set(i, before + 1);
    group.levels[before] = group.levels[before]! - 1;
    group.levels[before + 1] = (group.levels[before + 1] ?? 0) + 1;
    if (before === group.min && group.levels[before] === 0) group.min = before + 1;
  }
}
