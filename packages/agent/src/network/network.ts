// The instance networking port: what the node agent needs to give each instance its own network namespace
// and address. routed/ implements it with veth pairs and /32 routes; README.md explains the choice.

export interface NodeNetworkConfig {
  /** IPv4 subnet of this node's instances, e.g. `10.88.0.0/16`; `.1` is the gateway. */
  readonly subnet: string;
  /** Name of TRC's nftables table (family inet), e.g. `trc_node1`. Letters, digits and `_`. */
  readonly table: string;
  /** Prefix of the network namespaces, e.g. `trc-`; the namespace of instance `web-1` is `trc-web-1`. */
  readonly netnsPrefix: string;
  /** Prefix of the host-side veth interfaces, at most 10 characters, e.g. `trcv`. */
  readonly interfacePrefix: string;
  /** Where the address allocations are kept across agent restarts. */
  readonly stateDir: string;
  /** TCP ports of host services instances may connect to (default: none). */
  readonly hostTcpPorts?: readonly number[];
}

/** What the runtime needs to run an instance in its network. */
export interface InstanceAttachment {
  readonly instanceId: string;
  readonly orgId: string;
  /** Put this in the OCI spec's network namespace (`InstanceSpec.networkNamespace`). */
  readonly netnsPath: string;
  /** The instance's address: the edge proxy connects to it on the process's internal port. */
  readonly address: string;
  readonly gateway: string;
  /** Inside the namespace the interface is `eth0`; this is its host side. */
  readonly hostInterface: string;
}

/** An attachment whose namespace exists while its devices, addresses, routes and rules are still being made. */
export interface StagedAttachment {
  /** Its `netnsPath` exists already: a runtime may join it at once. */
  readonly attachment: InstanceAttachment;
  /** The namespace was taken ready-made from the node's pool rather than made for this attach. */
  readonly pooled?: boolean;
  /**
   * Resolves once the instance is reachable (what attach() resolves with); rejects with the attach error after
   * undoing it, namespace and allocation included. Already observed: nobody awaiting it is no unhandled rejection.
   */
  readonly complete: Promise<InstanceAttachment>;
}

/** An instance the runtime says is still there, when the agent restarts. */
export interface LiveInstance {
  readonly instanceId: string;
  readonly orgId: string;
}

export interface ReconcileReport {
  /** Attached and intact (re-plumbed if the host side of the veth was missing). */
  readonly kept: readonly InstanceAttachment[];
  /** Had an address but the runtime no longer has them: detached. */
  readonly removed: readonly string[];
  /** Live, but their namespace is gone or their org changed: detached; restart them to attach afresh. */
  readonly lost: readonly string[];
  /** Live, but never attached here: attach them. */
  readonly unknown: readonly string[];
  /** Namespaces and interfaces with our prefixes that no allocation explains: deleted. */
  readonly orphans: readonly string[];
}

export interface InstanceNetwork {
  /** Applies the node's (empty or current) ruleset and loads the allocations; call before anything else. */
  setupNode(config: NodeNetworkConfig): Promise<void>;
  /** Creates the instance's namespace, address and routes; the same id and org again returns the same attachment. */
  attach(instanceId: string, orgId: string): Promise<InstanceAttachment>;
  /**
   * attach() in two steps, so a runtime can start in the namespace while the rest is made: resolves once the
   * namespace exists. The process must not run before `complete` resolves (e.g. a gated runtime start).
   */
  attachStaged(instanceId: string, orgId: string): Promise<StagedAttachment>;
  /** Where the instance's namespace is once attached: a runtime spec may name it before it exists. */
  namespacePath(instanceId: string): string;
  /** Removes the namespace, interfaces and address; a no-op for an unknown instance. */
  detach(instanceId: string): Promise<void>;
  /** After an agent restart: keeps the live instances' networks and removes everything else of ours. */
  reconcile(live: readonly LiveInstance[]): Promise<ReconcileReport>;
  /** Every current attachment, in instance id order. */
  list(): readonly InstanceAttachment[];
  /** Detaches every instance and deletes the table: the node leaves nothing behind. */
  teardownNode(): Promise<void>;
}
