// vCPU requests (ADR 0012): the manifest's decimal `cpu`, integer milli-vCPU for exact sums, and the
// cgroup settings (as data, for the agent to write) that make cpu a relative share rather than a cap.

/** Milli-vCPU per vCPU: the scheduler sums integers so that 0.1 + 0.2 fits exactly where 0.3 does. */
export const MILLI_PER_VCPU = 1000;

/** cgroup v2 `cpu.weight` for 1 vCPU: the kernel's default weight, so a 1 vCPU instance weighs like any other process. */
export const CPU_WEIGHT_PER_VCPU = 100;
export const CPU_WEIGHT_MIN = 1;
export const CPU_WEIGHT_MAX = 10_000;
/** cgroup v1 `cpu.shares` for 1 vCPU: the v1 default. */
export const CPU_SHARES_PER_VCPU = 1024;
export const CPU_SHARES_MIN = 2;
export const CPU_SHARES_MAX = 262_144;
/** Period of `cpu.max` when an explicit limit is asked for (the kernel's default period). */
export const CPU_PERIOD_US = 100_000;

/** Why a vCPU value is refused, or undefined when it is a positive number with at most 3 decimals. */
export function cpuProblem(vcpu: unknown): { message: string; hint: string } | undefined {
  if (typeof vcpu !== 'number' || !Number.isFinite(vcpu)) return { message: `cpu must be a number of vCPU, got ${JSON.stringify(vcpu) ?? String(vcpu)}`, hint: 'for example cpu = 0.5 or cpu = 2' };
  if (vcpu <= 0) return { message: `cpu must be greater than zero, got ${vcpu}`, hint: 'the smallest useful request is cpu = 0.001; 0.25 is typical for a small web process' };
  if (Math.abs(vcpu * MILLI_PER_VCPU - Math.round(vcpu * MILLI_PER_VCPU)) > 1e-6) return { message: `cpu ${vcpu} has more than 3 decimals`, hint: `use ${Math.max(1, Math.round(vcpu * MILLI_PER_VCPU)) / MILLI_PER_VCPU}` };
  return undefined;
}

/** vCPU to integer milli-vCPU. The caller has checked the value with cpuProblem. */
export function toMilliCpu(vcpu: number): number {
  return Math.round(vcpu * MILLI_PER_VCPU);
}

/** Milli-vCPU as the user writes it: 1500 -> "1.5 vCPU". */
export function formatCpu(milli: number): string {
  return `${Number((milli / MILLI_PER_VCPU).toFixed(3))} vCPU`;
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

/** cgroup v2 `cpu.weight` proportional to the request: 1 vCPU = 100, clamped to the kernel's 1..10000. */
export function cpuWeight(vcpu: number): number {
  return clamp(Math.round(vcpu * CPU_WEIGHT_PER_VCPU), CPU_WEIGHT_MIN, CPU_WEIGHT_MAX);
}

/** cgroup v1 `cpu.shares` proportional to the request: 1 vCPU = 1024, clamped to the kernel's 2..262144. */
export function cpuShares(vcpu: number): number {
  return clamp(Math.round(vcpu * CPU_SHARES_PER_VCPU), CPU_SHARES_MIN, CPU_SHARES_MAX);
}

/** What the agent writes into an instance's cgroup: file name -> content, per cgroup version. */
export interface CgroupSettings {
  readonly v2: Readonly<Record<string, string>>;
  readonly v1: Readonly<Record<string, string>>;
}

export interface InstanceResources {
  /** Requested vCPU: a relative share, not a cap. */
  readonly cpu: number;
  /** Hard memory cap in bytes. */
  readonly memory: number;
  /** Optional hard cpu cap in vCPU. Absent by default (ADR 0012: cpu is soft), so no `cpu.max` is written. */
  readonly cpuLimit?: number;
}

/**
 * The cgroup files for an instance. cpu is a weight, never a quota unless `cpuLimit` asks for one;
 * memory is the single hard cap of ADR 0012 (`memory.max`, v1 `memory.limit_in_bytes`).
 */
export function cgroupSettings(resources: InstanceResources): CgroupSettings {
  const v2: Record<string, string> = { 'cpu.weight': String(cpuWeight(resources.cpu)), 'memory.max': String(resources.memory) };
  const v1: Record<string, string> = { 'cpu.shares': String(cpuShares(resources.cpu)), 'memory.limit_in_bytes': String(resources.memory) };
  if (resources.cpuLimit !== undefined) {
    const quota = Math.max(1000, Math.round(resources.cpuLimit * CPU_PERIOD_US));
    v2['cpu.max'] = `${quota} ${CPU_PERIOD_US}`;
    v1['cpu.cfs_period_us'] = String(CPU_PERIOD_US);
    v1['cpu.cfs_quota_us'] = String(quota);
  }
  return { v2, v1 };
}
