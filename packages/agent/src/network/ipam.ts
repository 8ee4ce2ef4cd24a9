// Address allocation for instances on one node: pure functions over a state value, so the rules are tested
// without root; ipam-file.ts persists the state.
import { TrcError, userError } from '@trc/core';

/** An IPv4 subnet of the node: `.1` is the gateway every instance routes through, the rest are instance addresses. */
export interface Subnet {
  readonly cidr: string;
  /** The network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefix: number;
  readonly gateway: string;
  /** How many addresses the subnet has (network and broadcast included). */
  readonly size: number;
}

export interface Allocation {
  readonly instanceId: string;
  readonly orgId: string;
  readonly address: string;
  /** Offset of the address from the network address; also names the host-side interface unless `hostInterface` is set. */
  readonly offset: number;
  /** Set when the instance took a pre-made namespace from the pool: its namespace's name (else derived from the id). */
  readonly netns?: string;
  /** Set with `netns`: the pooled veth's host side (else derived from the offset). */
  readonly hostInterface?: string;
}

/** The names of a pre-made namespace and its veth's host side, kept in the allocation that takes it. */
export interface PooledNames {
  readonly netns: string;
  readonly hostInterface: string;
}

export interface IpamState {
  readonly subnet: string;
  /** Where the next search starts: addresses are handed out round-robin, so a freed one is reused last. */
  readonly cursor: number;
  /** In instance id order. */
  readonly allocations: readonly Allocation[];
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/p` with p from 8 to 29 and no host bits set. */
export function parseSubnet(cidr: string): Subnet {
  const m = CIDR.exec(cidr);
  const octets = m === null ? [] : m.slice(1, 5).map(Number);
  const prefix = m === null ? NaN : Number(m[5]);
  const bad = (why: string): TrcError => userError('TRC_NETWORK_CONFIG_INVALID', `node subnet ${JSON.stringify(cidr)} ${why}`, 'use a private IPv4 subnet such as 10.88.0.0/16');
  if (m === null || octets.some((o) => o > 255)) throw bad('is not an IPv4 CIDR like 10.88.0.0/16');
  if (prefix < 8 || prefix > 29) throw bad('must have a prefix length from /8 to /29');
  const network = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (network % size !== 0) throw bad(`has host bits set (the network is ${formatIPv4(network - (network % size))}/${prefix})`);
  return { cidr, network, prefix, gateway: formatIPv4(network + 1), size };
}

/** Instance addresses are offsets 2 .. size-2: not the network, the gateway or the broadcast address. */
export function instanceOffsets(subnet: Subnet): { first: number; last: number } {
  return { first: 2, last: subnet.size - 2 };
}

export function emptyIpamState(subnet: Subnet): IpamState {
  return { subnet: subnet.cidr, cursor: instanceOffsets(subnet).first, allocations: [] };
}

/**
 * Gives the instance an address, or returns its existing one when it already has one for the same org.
 * Throws TRC_NETWORK_INSTANCE_CONFLICT for another org and TRC_NETWORK_ADDRESSES_EXHAUSTED when full.
 */
export function allocate(subnet: Subnet, state: IpamState, instanceId: string, orgId: string, pooled?: PooledNames): { state: IpamState; allocation: Allocation } {
  const existing = state.allocations.find((a) => a.instanceId === instanceId);
  if (existing !== undefined) {
    if (existing.orgId === orgId) return { state, allocation: existing };
    throw userError('TRC_NETWORK_INSTANCE_CONFLICT', `instance ${instanceId} is already attached for another org`, 'detach it first, or use a new instance id');
  }
  const { first, last } = instanceOffsets(subnet);
  const used = new Set(state.allocations.map((a) => a.offset));
  const span = last - first + 1;
  const start = state.cursor >= first && state.cursor <= last ? state.cursor : first;
  for (let i = 0; i < span; i++) {
    const offset = first + ((start - first + i) % span);
    if (used.has(offset)) continue;
    const allocation: Allocation = { instanceId, orgId, address: formatIPv4(subnet.network + offset), offset, ...(pooled === undefined ? {} : { netns: pooled.netns, hostInterface: pooled.hostInterface }) };
    const allocations = [...state.allocations, allocation].sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
    return { state: { subnet: state.subnet, cursor: offset === last ? first : offset + 1, allocations }, allocation };
  }
  throw new TrcError('TRC_NETWORK_ADDRESSES_EXHAUSTED', `node subnet ${subnet.cidr} has no free instance address (${state.allocations.length} allocated)`, { hint: 'give the node a larger subnet, or place fewer instances on it' });
}

/** Frees the instance's address; a no-op when it has none. */
export function release(state: IpamState, instanceId: string): IpamState {
  return { ...state, allocations: state.allocations.filter((a) => a.instanceId !== instanceId) };
}

function invalidState(why: string): TrcError {
  return new TrcError('TRC_NETWORK_STATE_INVALID', `the network state file ${why}`, { hint: "stop the node's instances, move the state file aside and restart the agent" });
}

/** Validates a decoded state file against the subnet: every address inside it, no address or instance twice. */
export function checkIpamState(subnet: Subnet, value: unknown): IpamState {
  if (typeof value !== 'object' || value === null) throw invalidState('is not a JSON object');
  const v = value as Record<string, unknown>;
  if (v.subnet !== subnet.cidr) throw invalidState(`was written for subnet ${JSON.stringify(v.subnet)}, not ${subnet.cidr}`);
  const { first, last } = instanceOffsets(subnet);
  if (!Number.isInteger(v.cursor)) throw invalidState('has no integer cursor');
  if (!Array.isArray(v.allocations)) throw invalidState('has no allocations list');
  const ids = new Set<string>();
  const offsets = new Set<number>();
  const pooledNames = new Set<string>();
  const allocations: Allocation[] = [];
  for (const a of v.allocations as unknown[]) {
    const r = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
    const { instanceId, orgId, offset, netns, hostInterface } = r;
    if (typeof instanceId !== 'string' || typeof orgId !== 'string' || typeof offset !== 'number' || !Number.isInteger(offset) || offset < first || offset > last) {
      throw invalidState('has an allocation that is not an instance, an org and an offset inside the subnet');
    }
    if ((netns === undefined) !== (hostInterface === undefined) || (netns !== undefined && (typeof netns !== 'string' || typeof hostInterface !== 'string'))) {
      throw invalidState(`has pooled names that are not a namespace and an interface (instance ${instanceId})`);
    }
    if (r.address !== formatIPv4(subnet.network + offset)) throw invalidState(`has an address that does not match its offset (instance ${instanceId})`);
    if (ids.has(instanceId) || offsets.has(offset)) throw invalidState(`gives an instance or an address twice (instance ${instanceId})`);
    if (typeof netns === 'string' && (pooledNames.has(netns) || pooledNames.has(`if:${hostInterface as string}`))) throw invalidState(`gives a pooled namespace twice (instance ${instanceId})`);
    if (typeof netns === 'string') pooledNames.add(netns).add(`if:${hostInterface as string}`);
    ids.add(instanceId);
    offsets.add(offset);
    allocations.push({ instanceId, orgId, address: r.address, offset, ...(typeof netns === 'string' && typeof hostInterface === 'string' ? { netns, hostInterface } : {}) });
  }
  allocations.sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  return { subnet: subnet.cidr, cursor: v.cursor as number, allocations };
}
