// The devices of one instance's network (namespace, veth pair, addresses, routes, per-interface sysctls),
// made and removed with `ip -batch` runs: two per instance instead of a dozen `ip` processes.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mustRun, runCommand, type Tool } from '../command.ts';
import type { PooledNames } from '../ipam.ts';
import { NETNS_DIR } from '../names.ts';

/** A namespace and its veth's host side, by name (an instance's own or a pool entry's). */
export type DeviceNames = PooledNames;

/**
 * Whether `file` exists (a namespace's bind mount, an interface's sysfs entry): one stat on a kernel
 * filesystem, asked before every attach, so synchronous (no thread-pool trip, no error object when absent).
 */
export function exists(file: string): boolean {
  return existsSync(file);
}

export class VethDevices {
  readonly #ip: Tool;
  readonly #procSys: string;
  readonly #sysClassNet: string;

  constructor(ip: Tool, procSys: string, sysClassNet: string) {
    this.#ip = ip;
    this.#procSys = procSys;
    this.#sysClassNet = sysClassNet;
  }

  batch(lines: readonly string[], namespace?: string): Promise<string> {
    return mustRun(this.#ip, [...(namespace === undefined ? [] : ['-n', namespace]), '-batch', '-'], `${lines.join('\n')}\n`);
  }

  /** `fast` looks in sysfs instead of asking `ip` (no process). */
  async linkExists(name: string, fast = false): Promise<boolean> {
    if (fast) return exists(path.join(this.#sysClassNet, name));
    return (await runCommand(this.#ip, ['link', 'show', 'dev', name])).code === 0;
  }

  /**
   * The pair and its host side (and the namespace first when asked), in one `ip` run. The gateway address
   * sits on every host-side interface, so the host answers ARP for it on each even with arp_ignore=1.
   */
  async hostSide(names: DeviceNames, address: string, gateway: string, withNamespace: boolean): Promise<void> {
    const { netns, hostInterface: host } = names;
    await this.batch([
      ...(withNamespace ? [`netns add ${netns}`] : []),
      `link add ${host} type veth peer name eth0 netns ${netns}`,
      `addr add ${gateway}/32 dev ${host}`,
      `link set dev ${host} up`,
      `route add ${address}/32 dev ${host} scope link src ${gateway}`,
    ]);
  }

  /**
   * The sysctls are written meanwhile: until then the interface forwards nothing and may carry an IPv6
   * link-local address, which prerouting drops like all IPv6 from it. Forwarding is enabled per interface,
   * leaving the host's global setting alone.
   */
  async namespaceSide(names: DeviceNames, address: string, gateway: string): Promise<void> {
    await Promise.all([
      this.#sysctls(names.hostInterface),
      this.batch(['link set dev lo up', `addr add ${address}/32 dev eth0`, 'link set dev eth0 up', `route add ${gateway} dev eth0 scope link`, `route add default via ${gateway} dev eth0`], names.netns),
    ]);
  }

  /**
   * A pool entry: namespace, veth pair, the host side up with the gateway address and its sysctls, `lo` and
   * `eth0` up. Nothing depends on an instance: no address, route or nft element (its traffic is dropped
   * until an attach lists it). Whatever a failed earlier try left under its names goes first.
   */
  async makePoolEntry(names: DeviceNames, gateway: string): Promise<void> {
    await this.remove(names, true);
    await this.batch([
      `netns add ${names.netns}`,
      `link add ${names.hostInterface} type veth peer name eth0 netns ${names.netns}`,
      `addr add ${gateway}/32 dev ${names.hostInterface}`,
      `link set dev ${names.hostInterface} up`,
    ]);
    await Promise.all([this.#sysctls(names.hostInterface), this.batch(['link set dev lo up', 'link set dev eth0 up'], names.netns)]);
  }

  /** What a pooled namespace still needs: the host route and, inside, the address and routes. */
  async finishPooled(names: DeviceNames, address: string, gateway: string): Promise<void> {
    await Promise.all([
      this.batch([`route add ${address}/32 dev ${names.hostInterface} scope link src ${gateway}`]),
      this.batch([`addr add ${address}/32 dev eth0`, `route add ${gateway} dev eth0 scope link`, `route add default via ${gateway} dev eth0`], names.netns),
    ]);
  }

  /** Deletes the interface (both ends, its route with it) and the namespace, whichever exist. */
  async remove(names: DeviceNames, fast = false): Promise<void> {
    if (await this.linkExists(names.hostInterface, fast)) await mustRun(this.#ip, ['link', 'del', 'dev', names.hostInterface]);
    if (exists(path.join(NETNS_DIR, names.netns))) await mustRun(this.#ip, ['netns', 'del', names.netns]);
  }

  async #sysctls(host: string): Promise<void> {
    await Promise.all([
      writeFile(path.join(this.#procSys, 'net/ipv4/conf', host, 'forwarding'), '1'),
      writeFile(path.join(this.#procSys, 'net/ipv6/conf', host, 'disable_ipv6'), '1').catch(() => undefined),
    ]);
  }
}
