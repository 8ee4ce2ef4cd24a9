// InstanceNetwork with one veth pair and one /32 route per instance, no bridge: every packet between
// instances is routed by the host and so passes TRC's nftables forward chain (see ../README.md).
import { access, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TrcError } from '@trc/core';
import { checkInstanceId } from '../../runtime/runtime.ts';
import type { ProcessRunner } from '../../spawn/runner.ts';
import { defaultRunner } from '../../spawn/shell-runner.ts';
import { Batcher } from '../../spawn/batcher.ts';
import { mustRun, runCommand, type Tool } from '../command.ts';
import { allocate, parseSubnet, release, type Allocation, type IpamState, type Subnet } from '../ipam.ts';
import { loadIpamState, saveIpamState } from '../ipam-file.ts';
import { checkNetworkNames, hostInterfaceName, NETNS_DIR, netnsName } from '../names.ts';
import { applyRuleset, deleteTable, runNftScript } from '../nft.ts';
import { orgNumbers, renderAttach, renderDetach, type RulesetInstance } from '../ruleset.ts';
import type { InstanceAttachment, InstanceNetwork, LiveInstance, NodeNetworkConfig, ReconcileReport, StagedAttachment } from '../network.ts';

export interface RoutedNetworkOptions {
  /** Path of the `ip` program (iproute2). */
  readonly ip?: string;
  readonly nft?: string;
  /** Root of the sysctl tree, for per-interface settings. */
  readonly procSys?: string;
  /** The host's interfaces as sysfs lists them: a look without spawning `ip`. */
  readonly sysClassNet?: string;
  /** What runs `ip` and `nft`; default the agent's spawn helper. */
  readonly runner?: ProcessRunner;
}

interface Node {
  readonly config: NodeNetworkConfig;
  readonly subnet: Subnet;
  state: IpamState;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export class RoutedInstanceNetwork implements InstanceNetwork {
  readonly #ip: Tool;
  readonly #nft: Tool;
  readonly #procSys: string;
  readonly #sysClassNet: string;
  #node: Node | undefined;
  /** Each org's set number in the live table (see ruleset.ts); an org keeps its set until the next full ruleset. */
  #orgSets = new Map<string, number>();
  /** The state file changes one at a time (see attach() for what runs outside). */
  #queue: Promise<unknown> = Promise.resolve();
  /** Attaches in progress, by instance: a second attach of the same instance gets the first one's result. */
  #attaching = new Map<string, Promise<StagedAttachment>>();
  /** Attaches past the queue, making their devices and set elements. */
  #outside = new Map<string, Promise<InstanceAttachment>>();
  /** An org's set and rule while its first attach makes them. */
  #orgCreating = new Map<string, Promise<unknown>>();
  /**
   * Attaches' nft scripts: those that come while another runs go in one transaction (a burst's six
   * attaches take two or three `nft` runs); if it is refused, each runs alone, so only the bad one fails.
   */
  readonly #nftAttach = new Batcher<string, void>(async (scripts) => {
    if (scripts.length > 1) {
      try {
        await runNftScript(this.#nft, scripts.join('\n'));
        return scripts.map(() => ({ status: 'fulfilled', value: undefined }) as const);
      } catch {
        // applied whole or not at all: nothing of it is in the table
      }
    }
    return Promise.allSettled(scripts.map((script) => runNftScript(this.#nft, script)));
  });

  constructor(options: RoutedNetworkOptions = {}) {
    const runner = options.runner ?? defaultRunner();
    this.#ip = { file: options.ip ?? '/usr/sbin/ip', runner };
    this.#nft = { file: options.nft ?? '/usr/sbin/nft', runner };
    this.#procSys = options.procSys ?? '/proc/sys';
    this.#sysClassNet = options.sysClassNet ?? '/sys/class/net';
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** In the queue, once no attach is making devices or set elements outside it. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      await Promise.allSettled([...this.#outside.values()]);
      return fn();
    });
  }

  #ready(): Node {
    if (this.#node === undefined) throw new TrcError('TRC_INTERNAL', 'the node network is used before setupNode()');
    return this.#node;
  }

  setupNode(config: NodeNetworkConfig): Promise<void> {
    return this.#exclusive(async () => {
      checkNetworkNames(config);
      const subnet = parseSubnet(config.subnet);
      const state = await loadIpamState(config.stateDir, subnet);
      this.#node = { config, subnet, state };
      await this.#applyRules();
    });
  }

  attach(instanceId: string, orgId: string): Promise<InstanceAttachment> {
    return this.attachStaged(instanceId, orgId).then((staged) => staged.complete);
  }

  /**
   * Only the allocation and its state-file save run in the queue; the namespace (made while the state is
   * saved), the devices and the set elements are the instance's own and are made outside it, so a burst's
   * attaches overlap (each `nft -f` is one atomic transaction). Changes touching other instances or the
   * whole table (#exclusive) wait for those to finish.
   *
   * The namespace is handed out as soon as it exists, possibly before the allocation is on disk: `complete`
   * includes the save, and the instance's process never runs before `complete`. An agent that dies in
   * between leaves a namespace and devices with no allocation, which reconcile() deletes as orphans, and an
   * instance that never ran, which the next agent cleans up.
   */
  attachStaged(instanceId: string, orgId: string): Promise<StagedAttachment> {
    const pending = this.#attaching.get(instanceId);
    if (pending !== undefined) return pending;
    let handOut: (staged: Promise<StagedAttachment>) => void = () => undefined;
    const done = new Promise<StagedAttachment>((resolve) => (handOut = resolve));
    this.#serial(async (): Promise<void> => {
      checkInstanceId(instanceId);
      const node = this.#ready();
      const { state, allocation } = allocate(node.subnet, node.state, instanceId, orgId);
      const attachment = this.#attachment(allocation);
      if (state === node.state) {
        handOut(Promise.resolve({ attachment, complete: Promise.resolve(attachment) }));
        return;
      }
      const namespace = this.#makeNamespace(allocation);
      namespace.catch(() => undefined);
      const saved = this.#save(state);
      saved.catch(() => undefined);
      const known = this.#orgSets.get(orgId);
      const n = known ?? Math.max(-1, ...this.#orgSets.values()) + 1;
      this.#orgSets.set(orgId, n);
      const complete = this.#attachOutside(allocation, { n, newOrg: known === undefined }, this.#orgCreating.get(orgId), namespace, saved);
      complete.catch(() => undefined);
      this.#outside.set(instanceId, complete);
      // A namespace that could not be made fails the staged attach with the attach's own error, once undone.
      handOut(namespace.then(() => ({ attachment, complete }), () => complete.then(() => ({ attachment, complete }))));
      // The queue holds until the state is on disk: the next allocation starts from it.
      await saved.catch(() => undefined);
    }).catch((error: unknown) => handOut(Promise.reject(error)));
    this.#attaching.set(instanceId, done);
    const forget = (): void => {
      if (this.#attaching.get(instanceId) === done) this.#attaching.delete(instanceId);
    };
    // Forgotten once complete: until then a second attach gets this one.
    done.then((staged) => staged.complete).then(forget, forget);
    return done;
  }

  /**
   * The instance's namespace with the veth pair and its host side (one `ip` process), after removing what a
   * crash mid-attach may have left under its names.
   */
  async #makeNamespace(allocation: Allocation): Promise<void> {
    await this.#unplumb(allocation, true);
    await this.#hostSide(allocation, true);
  }

  async #attachOutside(allocation: Allocation, org: { readonly n: number; readonly newOrg: boolean }, orgCreated: Promise<unknown> | undefined, namespace: Promise<void>, saved: Promise<void>): Promise<InstanceAttachment> {
    // The rules and the devices are made at the same time: until its set elements exist, an interface's
    // packets are dropped (prerouting knows only listed sources; between_instances only listed orgs). An org's
    // set and accept rule are made once, by its first attach; the org's other attaches add to them after.
    const rules = (async () => {
      if (orgCreated !== undefined) await orgCreated.catch(() => undefined);
      await this.#nftAttach.submit(renderAttach(this.#ready().config.table, this.#rulesetInstance(allocation), org));
    })();
    if (org.newOrg) this.#orgCreating.set(allocation.orgId, rules);
    try {
      await Promise.all([
        rules,
        (async () => {
          await namespace;
          await this.#namespaceSide(allocation);
        })(),
        saved,
      ]);
    } catch (error) {
      await rules.catch(() => undefined);
      await namespace.catch(() => undefined);
      await saved.catch(() => undefined);
      await this.#unplumb(allocation).catch(() => undefined);
      // No longer touching anything but the queue's state: exclusive changes (another failing attach's
      // cleanup among them) need not wait for this one.
      this.#outside.delete(allocation.instanceId);
      await this.#exclusive(async () => {
        await this.#save(release(this.#ready().state, allocation.instanceId));
        await this.#applyRules();
      });
      throw error;
    } finally {
      this.#outside.delete(allocation.instanceId);
      if (this.#orgCreating.get(allocation.orgId) === rules) this.#orgCreating.delete(allocation.orgId);
    }
    return this.#attachment(allocation);
  }

  namespacePath(instanceId: string): string {
    return path.join(NETNS_DIR, netnsName(this.#ready().config, instanceId));
  }

  detach(instanceId: string): Promise<void> {
    return this.#exclusive(async () => {
      const node = this.#ready();
      const allocation = node.state.allocations.find((a) => a.instanceId === instanceId);
      if (allocation === undefined) return;
      await this.#unplumb(allocation);
      await this.#save(release(node.state, instanceId));
      const org = this.#orgSets.get(allocation.orgId);
      // Elements missing from the table (someone flushed it) fail the delete: the full ruleset repairs that.
      if (org === undefined) await this.#applyRules();
      else await runNftScript(this.#nft, renderDetach(node.config.table, this.#rulesetInstance(allocation), org)).catch(() => this.#applyRules());
    });
  }

  reconcile(live: readonly LiveInstance[]): Promise<ReconcileReport> {
    return this.#exclusive(async () => {
      const node = this.#ready();
      const liveOrg = new Map(live.map((l) => [l.instanceId, l.orgId]));
      const attached = new Set(node.state.allocations.map((a) => a.instanceId));
      const kept: InstanceAttachment[] = [];
      const removed: string[] = [];
      const lost: string[] = [];
      for (const a of node.state.allocations) {
        const org = liveOrg.get(a.instanceId);
        const nsThere = await exists(path.join(NETNS_DIR, netnsName(node.config, a.instanceId)));
        if (org === a.orgId && nsThere) {
          if (!(await this.#linkExists(hostInterfaceName(node.config, a.offset)))) await this.#plumb(a);
          kept.push(this.#attachment(a));
          continue;
        }
        await this.#unplumb(a);
        await this.#save(release(this.#ready().state, a.instanceId));
        (org === undefined ? removed : lost).push(a.instanceId);
      }
      const unknown = live.filter((l) => !attached.has(l.instanceId)).map((l) => l.instanceId);
      const orphans = await this.#removeOrphans();
      await this.#applyRules();
      return { kept, removed, lost, unknown, orphans };
    });
  }

  list(): readonly InstanceAttachment[] {
    const node = this.#node;
    return node === undefined ? [] : node.state.allocations.map((a) => this.#attachment(a));
  }

  teardownNode(): Promise<void> {
    return this.#exclusive(async () => {
      const node = this.#ready();
      for (const a of node.state.allocations) {
        await this.#unplumb(a);
        await this.#save(release(this.#ready().state, a.instanceId));
      }
      await this.#removeOrphans();
      await deleteTable(this.#nft, node.config.table);
    });
  }

  #attachment(a: Allocation): InstanceAttachment {
    const { config, subnet } = this.#ready();
    return {
      instanceId: a.instanceId,
      orgId: a.orgId,
      netnsPath: path.join(NETNS_DIR, netnsName(config, a.instanceId)),
      address: a.address,
      gateway: subnet.gateway,
      hostInterface: hostInterfaceName(config, a.offset),
    };
  }

  async #save(state: IpamState): Promise<void> {
    const node = this.#ready();
    await saveIpamState(node.config.stateDir, state);
    node.state = state;
  }

  #rulesetInstance(a: Allocation): RulesetInstance {
    return { hostInterface: hostInterfaceName(this.#ready().config, a.offset), address: a.address, orgId: a.orgId };
  }

  /** The whole table from the allocations (setup, reconcile, repair). */
  async #applyRules(): Promise<void> {
    const { config, state } = this.#ready();
    const instances = state.allocations.map((a) => this.#rulesetInstance(a));
    this.#orgSets = new Map();
    await applyRuleset(this.#nft, {
      table: config.table,
      interfacePrefix: config.interfacePrefix,
      instances,
      ...(config.hostTcpPorts === undefined ? {} : { hostTcpPorts: config.hostTcpPorts }),
    });
    this.#orgSets = orgNumbers(instances);
  }

  /** One instance's elements (and its org's set when new), in one nft transaction. */
  async #addRules(a: Allocation): Promise<void> {
    const known = this.#orgSets.get(a.orgId);
    const n = known ?? Math.max(-1, ...this.#orgSets.values()) + 1;
    await runNftScript(this.#nft, renderAttach(this.#ready().config.table, this.#rulesetInstance(a), { n, newOrg: known === undefined }));
    this.#orgSets.set(a.orgId, n);
  }

  async #linkExists(name: string, fast = false): Promise<boolean> {
    if (fast) return exists(path.join(this.#sysClassNet, name));
    return (await runCommand(this.#ip, ['link', 'show', 'dev', name])).code === 0;
  }

  /**
   * The gateway address sits on every host-side interface, so the host answers ARP for it on each even
   * with arp_ignore=1; forwarding is enabled per interface, leaving the host's global setting alone.
   */
  async #plumb(a: Allocation): Promise<void> {
    await this.#hostSide(a, false);
    await this.#namespaceSide(a);
  }

  #batch(lines: readonly string[], namespace?: string): Promise<string> {
    return mustRun(this.#ip, [...(namespace === undefined ? [] : ['-n', namespace]), '-batch', '-'], `${lines.join('\n')}\n`);
  }

  /** Two `ip -batch` runs instead of a dozen `ip` processes: this one (namespace, pair, host side), then the namespace side. */
  async #hostSide(a: Allocation, withNamespace: boolean): Promise<void> {
    const { config, subnet } = this.#ready();
    const ns = netnsName(config, a.instanceId);
    const host = hostInterfaceName(config, a.offset);
    const gw = subnet.gateway;
    await this.#batch([
      ...(withNamespace ? [`netns add ${ns}`] : []),
      `link add ${host} type veth peer name eth0 netns ${ns}`,
      `addr add ${gw}/32 dev ${host}`,
      `link set dev ${host} up`,
      `route add ${a.address}/32 dev ${host} scope link src ${gw}`,
    ]);
  }

  /**
   * The sysctls are written meanwhile: until then the interface forwards nothing and may carry an IPv6
   * link-local address, which prerouting drops like all IPv6 from it.
   */
  async #namespaceSide(a: Allocation): Promise<void> {
    const { config, subnet } = this.#ready();
    const host = hostInterfaceName(config, a.offset);
    const gw = subnet.gateway;
    await Promise.all([
      writeFile(path.join(this.#procSys, 'net/ipv4/conf', host, 'forwarding'), '1'),
      writeFile(path.join(this.#procSys, 'net/ipv6/conf', host, 'disable_ipv6'), '1').catch(() => undefined),
      this.#batch(['link set dev lo up', `addr add ${a.address}/32 dev eth0`, 'link set dev eth0 up', `route add ${gw} dev eth0 scope link`, `route add default via ${gw} dev eth0`], netnsName(config, a.instanceId)),
    ]);
  }

  /** Deletes the instance's interface (both ends, its route with it) and namespace, whichever exist. */
  async #unplumb(a: Allocation, fast = false): Promise<void> {
    const { config } = this.#ready();
    const host = hostInterfaceName(config, a.offset);
    if (await this.#linkExists(host, fast)) await mustRun(this.#ip, ['link', 'del', 'dev', host]);
    const ns = netnsName(config, a.instanceId);
    if (await exists(path.join(NETNS_DIR, ns))) await mustRun(this.#ip, ['netns', 'del', ns]);
  }

  /** Namespaces and veth interfaces carrying our prefixes that no allocation accounts for. */
  async #removeOrphans(): Promise<string[]> {
    const { config, state } = this.#ready();
    const namespaces = new Set(state.allocations.map((a) => netnsName(config, a.instanceId)));
    const interfaces = new Set(state.allocations.map((a) => hostInterfaceName(config, a.offset)));
    const orphans: string[] = [];
    const links = JSON.parse(await mustRun(this.#ip, ['-j', 'link', 'show', 'type', 'veth'])) as { ifname: string }[];
    for (const { ifname } of links) {
      if (!ifname.startsWith(config.interfacePrefix) || interfaces.has(ifname)) continue;
      await mustRun(this.#ip, ['link', 'del', 'dev', ifname]);
      orphans.push(ifname);
    }
    const entries = await readdir(NETNS_DIR).catch(() => [] as string[]);
    for (const name of entries) {
      if (!name.startsWith(config.netnsPrefix) || namespaces.has(name)) continue;
      await mustRun(this.#ip, ['netns', 'del', name]);
      orphans.push(name);
    }
    return orphans.sort();
  }
}
