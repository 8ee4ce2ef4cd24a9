// InstanceNetwork with one veth pair and one /32 route per instance, no bridge: every packet between
// instances is routed by the host and so passes TRC's nftables forward chain (see ../README.md).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { TrcError } from '@trc/core';
import { checkInstanceId } from '../../runtime/runtime.ts';
import type { ProcessRunner } from '../../spawn/runner.ts';
import { defaultRunner } from '../../spawn/shell-runner.ts';
import { Batcher } from '../../spawn/batcher.ts';
import { mustRun, type Tool } from '../command.ts';
import { allocate, parseSubnet, release, type Allocation, type IpamState, type Subnet } from '../ipam.ts';
import { loadIpamState, saveIpamState } from '../ipam-file.ts';
import { checkNetworkNames, hostInterfaceName, NETNS_DIR, netnsName, poolInterfaceName, poolNetnsName, poolSlotOf } from '../names.ts';
import { NamespacePool, type PoolEntry } from './namespace-pool.ts';
import { exists, VethDevices, type DeviceNames } from './devices.ts';
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
  /** Pre-made namespaces to keep ready (see namespace-pool.ts); default 0: none. */
  readonly poolSize?: number;
  /** Quiet time before the pool is refilled after attaches; default 300 ms. */
  readonly poolDelayMs?: number;
  /** Whether the node starts nothing now (the agent's start slots are idle); the pool refills only then. */
  readonly poolIdle?: () => boolean;
  readonly log?: (line: string) => void;
}

interface Node {
  readonly config: NodeNetworkConfig;
  readonly subnet: Subnet;
  state: IpamState;
}

export class RoutedInstanceNetwork implements InstanceNetwork {
  readonly #ip: Tool;
  readonly #nft: Tool;
  readonly #dev: VethDevices;
  #node: Node | undefined;
  /** Each org's set number in the live table (see ruleset.ts); an org keeps its set until the next full ruleset. */
  #orgSets = new Map<string, number>();
  /** The state file changes one at a time (see attach() for what runs outside). */
  #queue: Promise<unknown> = Promise.resolve();
  /** Attaches in progress, by instance: a second attach of the same instance gets the first one's result. */
  #attaching = new Map<string, Promise<StagedAttachment>>();
  /** Attaches past the queue, making their devices and set elements. */
  #outside = new Map<string, Promise<InstanceAttachment>>();
  readonly #pool: NamespacePool;
  /** Pool entries taken by attaches still allocating: namespacePath() names them already. */
  readonly #reserved = new Map<string, PoolEntry>();
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
    this.#dev = new VethDevices(this.#ip, options.procSys ?? '/proc/sys', options.sysClassNet ?? '/sys/class/net');
    const idle = options.poolIdle ?? (() => true);
    this.#pool = new NamespacePool({
      size: options.poolSize ?? 0,
      delayMs: options.poolDelayMs ?? 300,
      names: (k) => ({ netns: poolNetnsName(this.#ready().config, k), hostInterface: poolInterfaceName(this.#ready().config, k) }),
      taken: () => new Set([...this.#ready().state.allocations.flatMap((a) => {
        const k = a.netns === undefined ? undefined : poolSlotOf(this.#ready().config, a.netns);
        return k === undefined ? [] : [k];
      }), ...[...this.#reserved.values()].map((e) => e.slot)]),
      make: (entry) => this.#dev.makePoolEntry(entry, this.#ready().subnet.gateway),
      idle: () => this.#attaching.size === 0 && this.#outside.size === 0 && idle(),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
  }

  /** Pre-made namespaces ready to be taken. */
  get pooled(): number {
    return this.#pool.ready.length;
  }

  /** Fills the pool now (tests, benchmarks); otherwise it refills by itself when the node is idle. */
  fillPool(): Promise<void> {
    return this.#pool.fill();
  }

  /**
   * Stops refilling (the agent is stopping) once any entry being made is done. The entries stay on the host
   * until the next agent's reconcile deletes them, like everything of ours no allocation explains.
   */
  async closePool(): Promise<void> {
    const making = this.#pool.making();
    this.#pool.close();
    await Promise.allSettled(making);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** In the queue, once no attach is making devices or set elements outside it. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      await Promise.allSettled([...this.#outside.values(), ...this.#pool.making()]);
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
      this.#pool.schedule();
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
    // Taken now, so namespacePath() names it from this call on; one entry never goes to two attaches.
    const pooled = this.#node?.state.allocations.some((a) => a.instanceId === instanceId) === false ? this.#pool.take() : undefined;
    if (pooled !== undefined) this.#reserved.set(instanceId, pooled);
    let handOut: (staged: Promise<StagedAttachment>) => void = () => undefined;
    const done = new Promise<StagedAttachment>((resolve) => (handOut = resolve));
    this.#serial(async (): Promise<void> => {
      let allocated: { state: IpamState; allocation: Allocation };
      const node = this.#ready();
      try {
        checkInstanceId(instanceId);
        allocated = allocate(node.subnet, node.state, instanceId, orgId, pooled);
      } catch (error) {
        this.#unreserve(instanceId, pooled, true);
        throw error;
      }
      const { state, allocation } = allocated;
      const attachment = this.#attachment(allocation);
      if (state === node.state) {
        this.#unreserve(instanceId, pooled, true);
        handOut(Promise.resolve({ attachment, complete: Promise.resolve(attachment) }));
        return;
      }
      // A pooled namespace exists already: only the address, routes and rules are left to make.
      const namespace = pooled === undefined ? this.#makeNamespace(allocation) : Promise.resolve();
      namespace.catch(() => undefined);
      const saved = this.#save(state);
      saved.catch(() => undefined);
      const known = this.#orgSets.get(orgId);
      const n = known ?? Math.max(-1, ...this.#orgSets.values()) + 1;
      this.#orgSets.set(orgId, n);
      const complete = this.#attachOutside(allocation, { n, newOrg: known === undefined }, this.#orgCreating.get(orgId), namespace, saved, pooled !== undefined);
      complete.catch(() => undefined);
      // Reserved until the allocation naming the entry is the node's state (saved, within complete).
      complete.then(() => this.#unreserve(instanceId, pooled, false), () => this.#unreserve(instanceId, pooled, false));
      this.#outside.set(instanceId, complete);
      // A namespace that could not be made fails the staged attach with the attach's own error, once undone.
      const staged = { attachment, complete, pooled: pooled !== undefined };
      handOut(namespace.then(() => staged, () => complete.then(() => staged)));
      // The queue holds until the state is on disk: the next allocation starts from it.
      await saved.catch(() => undefined);
    }).catch((error: unknown) => handOut(Promise.reject(error)));
    this.#attaching.set(instanceId, done);
    const forget = (): void => {
      if (this.#attaching.get(instanceId) === done) this.#attaching.delete(instanceId);
      this.#pool.schedule();
    };
    // Forgotten once complete: until then a second attach gets this one.
    done.then((staged) => staged.complete).then(forget, forget);
    return done;
  }

  /** Once the allocation naming the entry is saved or undone, or when not used (back to the pool, untouched). */
  #unreserve(instanceId: string, pooled: PoolEntry | undefined, giveBack: boolean): void {
    if (pooled === undefined) return;
    if (this.#reserved.get(instanceId) === pooled) this.#reserved.delete(instanceId);
    if (giveBack) this.#pool.giveBack(pooled);
  }

  /**
   * The instance's namespace with the veth pair and its host side (one `ip` process), after removing what a
   * crash mid-attach may have left under its names.
   */
  async #makeNamespace(allocation: Allocation): Promise<void> {
    await this.#unplumb(allocation, true);
    await this.#dev.hostSide(this.#names(allocation), allocation.address, this.#ready().subnet.gateway, true);
  }

  async #attachOutside(allocation: Allocation, org: { readonly n: number; readonly newOrg: boolean }, orgCreated: Promise<unknown> | undefined, namespace: Promise<void>, saved: Promise<void>, pooled: boolean): Promise<InstanceAttachment> {
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
          await (pooled ? this.#dev.finishPooled(this.#names(allocation), allocation.address, this.#ready().subnet.gateway) : this.#namespaceSide(allocation));
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
    const node = this.#ready();
    const pooled = this.#reserved.get(instanceId)?.netns ?? node.state.allocations.find((a) => a.instanceId === instanceId)?.netns;
    return path.join(NETNS_DIR, pooled ?? netnsName(node.config, instanceId));
  }

  detach(instanceId: string): Promise<void> {
    return this.#exclusive(async () => {
      const node = this.#ready();
      const allocation = node.state.allocations.find((a) => a.instanceId === instanceId);
      if (allocation === undefined) return;
      await this.#unplumb(allocation);
      await this.#save(release(node.state, instanceId));
      this.#pool.schedule();
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
        const nsThere = exists(path.join(NETNS_DIR, this.#nsName(a)));
        if (org === a.orgId && nsThere) {
          if (!(await this.#dev.linkExists(this.#hostIf(a)))) await this.#plumb(a);
          kept.push(this.#attachment(a));
          continue;
        }
        await this.#unplumb(a);
        await this.#save(release(this.#ready().state, a.instanceId));
        (org === undefined ? removed : lost).push(a.instanceId);
      }
      const unknown = live.filter((l) => !attached.has(l.instanceId)).map((l) => l.instanceId);
      // Pool entries a previous agent left are deleted, never taken again: which of them it handed out last
      // is not known for certain, and no entry may serve two instances.
      const orphans = await this.#removeOrphans();
      await this.#applyRules();
      this.#pool.schedule();
      return { kept, removed, lost, unknown, orphans };
    });
  }

  list(): readonly InstanceAttachment[] {
    const node = this.#node;
    return node === undefined ? [] : node.state.allocations.map((a) => this.#attachment(a));
  }

  teardownNode(): Promise<void> {
    // The pool's entries become orphans, deleted below with the rest.
    this.#pool.close();
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
      netnsPath: path.join(NETNS_DIR, a.netns ?? netnsName(config, a.instanceId)),
      address: a.address,
      gateway: subnet.gateway,
      hostInterface: a.hostInterface ?? hostInterfaceName(config, a.offset),
    };
  }

  async #save(state: IpamState): Promise<void> {
    const node = this.#ready();
    await saveIpamState(node.config.stateDir, state);
    node.state = state;
  }

  #rulesetInstance(a: Allocation): RulesetInstance {
    return { hostInterface: this.#hostIf(a), address: a.address, orgId: a.orgId };
  }

  #hostIf(a: Allocation): string {
    return a.hostInterface ?? hostInterfaceName(this.#ready().config, a.offset);
  }

  #nsName(a: Allocation): string {
    return a.netns ?? netnsName(this.#ready().config, a.instanceId);
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

  #names(a: Allocation): DeviceNames {
    return { netns: this.#nsName(a), hostInterface: this.#hostIf(a) };
  }

  /** After a restart, for a kept instance whose host side is gone: the pair again, then the namespace side. */
  async #plumb(a: Allocation): Promise<void> {
    const gw = this.#ready().subnet.gateway;
    await this.#dev.hostSide(this.#names(a), a.address, gw, false);
    await this.#namespaceSide(a);
  }

  #namespaceSide(a: Allocation): Promise<void> {
    return this.#dev.namespaceSide(this.#names(a), a.address, this.#ready().subnet.gateway);
  }

  #unplumb(a: Allocation, fast = false): Promise<void> {
    return this.#dev.remove(this.#names(a), fast);
  }

  /** Namespaces and veth interfaces carrying our prefixes that no allocation accounts for. */
  async #removeOrphans(): Promise<string[]> {
    const { config, state } = this.#ready();
    // The pool's entries, and those taken by attaches not yet allocated, are not orphans.
    const pool = [...[...this.#pool.slots()].map((k) => ({ netns: poolNetnsName(config, k), hostInterface: poolInterfaceName(config, k) })), ...this.#reserved.values()];
    const namespaces = new Set([...state.allocations.map((a) => this.#nsName(a)), ...pool.map((e) => e.netns)]);
    const interfaces = new Set([...state.allocations.map((a) => this.#hostIf(a)), ...pool.map((e) => e.hostInterface)]);
    const orphans: string[] = [];
    const links = JSON.parse(await mustRun(this.#ip, ['-j', 'link', 'show', 'type', 'veth'], undefined, true)) as { ifname: string }[];
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
