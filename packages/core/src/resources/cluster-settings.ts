// Cluster-wide resource settings (ADR 0012) and what a node can therefore offer to instances:
// allocatable cpu = physical cores x cpu_overcommit; allocatable memory = physical - reserved - safety buffer.
import { userError, type Problem, type Result, failed, ok, TrcError } from '../errors/errors.ts';
import { formatMemory, parseMemoryQuantity } from './quantity.ts';
import { MILLI_PER_VCPU } from './cpu.ts';

export interface ClusterSettings {
  /** How many vCPU of requests one physical core carries. cpu is a relative share, so this may exceed 1. */
  readonly cpuOvercommit: number;
  /** Bytes kept free on every node beyond its reserved host memory, so the host never swaps or OOMs. */
  readonly memorySafetyBuffer: number;
}

export const DEFAULT_CPU_OVERCOMMIT = 4;
/** Above this, one core would carry so many requests that `cpu` would stop meaning anything. */
export const MAX_CPU_OVERCOMMIT = 64;
export const DEFAULT_CLUSTER_SETTINGS: ClusterSettings = { cpuOvercommit: DEFAULT_CPU_OVERCOMMIT, memorySafetyBuffer: 256 * 2 ** 20 };

const KNOWN_KEYS = ['cpu_overcommit', 'memory_safety_buffer'];

/**
 * Reads the `[cluster]` settings an operator writes (snake_case, as in TOML). Missing keys take the
 * defaults; unknown keys and bad values are all reported at once.
 */
export function parseClusterSettings(raw: unknown): Result<ClusterSettings> {
  if (raw === undefined) return ok(DEFAULT_CLUSTER_SETTINGS);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return failed([{ path: '', code: 'TRC_RESOURCES_INVALID_CLUSTER_SETTINGS', message: 'cluster settings must be a table', hint: 'for example { cpu_overcommit = 4.0, memory_safety_buffer = "256Mi" }' }]);
  }
  const table = raw as Record<string, unknown>;
  const problems: Problem[] = [];
  const bad = (path: string, message: string, hint: string): void => {
    problems.push({ path, code: 'TRC_RESOURCES_INVALID_CLUSTER_SETTINGS', message, hint });
  };
  for (const key of Object.keys(table)) {
    if (!KNOWN_KEYS.includes(key)) bad(key, `unknown cluster setting "${key}"`, `known settings: ${KNOWN_KEYS.join(', ')}`);
  }
  let cpuOvercommit = DEFAULT_CLUSTER_SETTINGS.cpuOvercommit;
  const oc = table.cpu_overcommit;
  if (oc !== undefined) {
    if (typeof oc !== 'number' || !Number.isFinite(oc)) bad('cpu_overcommit', `cpu_overcommit must be a number, got ${JSON.stringify(oc)}`, 'for example cpu_overcommit = 4.0');
    else if (oc < 1) bad('cpu_overcommit', `cpu_overcommit must be at least 1, got ${oc}`, 'use 1.0 to never place more vCPU than a node has cores');
    else if (oc > MAX_CPU_OVERCOMMIT) bad('cpu_overcommit', `cpu_overcommit must be at most ${MAX_CPU_OVERCOMMIT}, got ${oc}`, `${DEFAULT_CPU_OVERCOMMIT}.0 is the default`);
    else cpuOvercommit = oc;
  }
  let memorySafetyBuffer = DEFAULT_CLUSTER_SETTINGS.memorySafetyBuffer;
  const buf = table.memory_safety_buffer;
  if (buf === 0 || buf === '0') memorySafetyBuffer = 0;
  else if (buf !== undefined) {
    const q = parseMemoryQuantity(buf);
    if (q.ok) memorySafetyBuffer = q.bytes;
    else bad('memory_safety_buffer', `memory_safety_buffer: ${q.message}`, q.hint);
  }
  return problems.length === 0 ? ok({ cpuOvercommit, memorySafetyBuffer }) : failed(problems);
}

/** parseClusterSettings, throwing one user error that lists every problem. */
export function clusterSettingsOrThrow(raw: unknown): ClusterSettings {
  const r = parseClusterSettings(raw);
  if (r.ok) return r.value;
  throw new TrcError('TRC_RESOURCES_INVALID_CLUSTER_SETTINGS', `invalid cluster settings (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'})`, { hint: 'fix each setting listed', problems: r.problems });
}

/** The physical facts of a node that decide its capacity. */
export interface NodeCapacity {
  readonly id: string;
  /** Physical cores (may be fractional for a VM host with a cpu quota). */
  readonly cores: number;
  /** Physical memory in bytes. */
  readonly memory: number;
  /** Bytes reserved for the host itself (agent, kernel, page cache). */
  readonly reservedMemory: number;
}

export interface Allocatable {
  /** Milli-vCPU that requests may add up to. */
  readonly cpu: number;
  /** Bytes that memory caps may add up to. */
  readonly memory: number;
}

/** What a node offers; a node whose reservations exceed its memory offers 0 (see nodeCapacityProblem). */
export function nodeAllocatable(node: NodeCapacity, settings: ClusterSettings): Allocatable {
  return {
    cpu: Math.floor(node.cores * settings.cpuOvercommit * MILLI_PER_VCPU),
    memory: Math.max(0, node.memory - node.reservedMemory - settings.memorySafetyBuffer),
  };
}

/** Refuses, as a user error for the operator, a node that could never host an instance. */
export function checkNodeCapacity(node: NodeCapacity, settings: ClusterSettings): void {
  if (!(node.cores > 0) || !Number.isFinite(node.cores)) {
    throw userError('TRC_RESOURCES_NODE_TOO_SMALL', `node "${node.id}" reports ${node.cores} cores`, 'a node needs at least one core; check what the agent reads from /proc/cpuinfo or its cgroup');
  }
  if (nodeAllocatable(node, settings).memory <= 0) {
    throw userError(
      'TRC_RESOURCES_NODE_TOO_SMALL',
      `node "${node.id}" has ${formatMemory(node.memory)} of memory, but reserves ${formatMemory(node.reservedMemory)} for the host and ${formatMemory(settings.memorySafetyBuffer)} as safety buffer, leaving nothing for instances`,
      'lower the node\'s reserved host memory or the cluster\'s memory_safety_buffer, or use a larger node',
    );
  }
}
