// What a network test left on the host by its configured names: interfaces, namespaces and the nft table.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import type { NodeNetworkConfig } from '../network.ts';
import { NETNS_DIR } from '../names.ts';

export function ip(...args: string[]): string {
  return spawnSync('/usr/sbin/ip', args, { encoding: 'utf8' }).stdout;
}

/** Interfaces, namespaces and the table named by `config`'s prefixes, sorted. */
export function networkLeftovers(config: Pick<NodeNetworkConfig, 'interfacePrefix' | 'netnsPrefix' | 'table'>): string[] {
  const links = (JSON.parse(ip('-j', 'link', 'show') || '[]') as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.startsWith(config.interfacePrefix));
  const namespaces = existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR).filter((n) => n.startsWith(config.netnsPrefix)) : [];
  const table = spawnSync('/usr/sbin/nft', ['list', 'table', 'inet', config.table]).status === 0 ? [config.table] : [];
  return [...links, ...namespaces, ...table].sort();
}
