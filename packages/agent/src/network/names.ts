// Checks the host names a node network uses (table, prefixes) and derives each instance's names from them.
import { userError } from '@trc/core';
import type { NodeNetworkConfig } from './network.ts';

/** Where iproute2 keeps named network namespaces; `ip netns add x` creates /run/netns/x. */
export const NETNS_DIR = '/run/netns';

/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1); the offset takes up to 5 base-36 digits. */
const INTERFACE_PREFIX = /^[A-Za-z][A-Za-z0-9_-]{0,9}$/;
const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const NETNS_PREFIX = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;

export function checkNetworkNames(config: NodeNetworkConfig): void {
  const problems: string[] = [];
  if (!TABLE.test(config.table)) problems.push(`table ${JSON.stringify(config.table)} must be 1 to 64 letters, digits or _ (not starting with a digit)`);
  if (!INTERFACE_PREFIX.test(config.interfacePrefix)) problems.push(`interface prefix ${JSON.stringify(config.interfacePrefix)} must be 1 to 10 letters, digits, _ or -, starting with a letter`);
  if (!NETNS_PREFIX.test(config.netnsPrefix)) problems.push(`namespace prefix ${JSON.stringify(config.netnsPrefix)} must be 1 to 32 letters, digits, _, . or -`);
  for (const port of config.hostTcpPorts ?? []) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`host TCP port ${port} is not from 1 to 65535`);
  }
  if (problems.length > 0) {
    throw userError('TRC_NETWORK_CONFIG_INVALID', `the node network configuration is invalid: ${problems.join('; ')}`, 'use short names of letters, digits, _ and -, e.g. table trc_node1, prefixes trc- and trcv');
  }
}

/** Host side of an instance's veth pair: unique per address, short enough for the kernel. */
export function hostInterfaceName(config: NodeNetworkConfig, offset: number): string {
  return `${config.interfacePrefix}${offset.toString(36)}`;
}

export function netnsName(config: NodeNetworkConfig, instanceId: string): string {
  return `${config.netnsPrefix}${instanceId}`;
}

/**
 * A pooled namespace: `_` cannot start an instance id, so `<prefix>_p<k>` is never an instance's own name;
 * its veth's host side is `<interfacePrefix>_<k>` (base-36 offsets have no `_`). Both match the ruleset's
 * `<interfacePrefix>*` drops until an attach lists the interface with its address.
 */
export function poolNetnsName(config: NodeNetworkConfig, k: number): string {
  return `${config.netnsPrefix}_p${k.toString(36)}`;
}

export function poolInterfaceName(config: NodeNetworkConfig, k: number): string {
  return `${config.interfacePrefix}_${k.toString(36)}`;
}

/** The pool slot a namespace name belongs to, or undefined when it is not a pool entry's. */
export function poolSlotOf(config: NodeNetworkConfig, netns: string): number | undefined {
  const head = `${config.netnsPrefix}_p`;
  if (!netns.startsWith(head)) return undefined;
  const k = Number.parseInt(netns.slice(head.length), 36);
  return Number.isInteger(k) && poolNetnsName(config, k) === netns ? k : undefined;
}
