// The node's nftables ruleset as a pure function of its instances: tested as text, applied atomically by
// nft.ts. The policy it encodes is described in README.md.

export interface RulesetInstance {
  /** Host side of the instance's veth pair. */
  readonly hostInterface: string;
  readonly address: string;
  readonly orgId: string;
}

export interface RulesetInput {
  /** Name of TRC's own table (family inet); nothing else is touched. */
  readonly table: string;
  /** Every host-side instance interface starts with this. */
  readonly interfacePrefix: string;
  readonly instances: readonly RulesetInstance[];
  /** TCP ports of host services instances may open connections to (none by default). */
  readonly hostTcpPorts?: readonly number[];
}

function byKey<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

/** The number of each org's address set (`org_<n>`) in a full ruleset: orgs in sorted order. */
export function orgNumbers(instances: readonly RulesetInstance[]): Map<string, number> {
  return new Map([...new Set(instances.map((i) => i.orgId))].sort().map((org, n) => [org, n]));
}

const source = (i: RulesetInstance): string => `"${i.hostInterface}" . ${i.address}`;

/**
 * A script for `nft -f` that replaces the whole table in one transaction: creating it first makes the
 * delete valid on a fresh node, and nft applies the three commands atomically, so no packet ever sees a
 * half-built table. Same input, same text. Instances live in sets (`sources`, `org_<n>`), so adding or
 * removing one is an element change (renderAttach, renderDetach), not a new ruleset.
 */
export function renderRuleset(input: RulesetInput): string {
  const { table } = input;
  const any = `"${input.interfacePrefix}*"`;
  const instances = [...input.instances].sort(byKey((i) => i.hostInterface));
  const orgs = orgNumbers(instances);
  const ports = [...new Set(input.hostTcpPorts ?? [])].sort((a, b) => a - b);
  const out: string[] = [`table inet ${table}`, `delete table inet ${table}`, `table inet ${table} {`];
  out.push('\tset sources {', '\t\ttype ifname . ipv4_addr');
  if (instances.length > 0) out.push(`\t\telements = { ${instances.map(source).join(', ')} }`);
  out.push('\t}');
  for (const [org, n] of orgs) {
    const addresses = instances.filter((i) => i.orgId === org).map((i) => i.address);
    out.push(`\tset org_${n} {`, '\t\ttype ipv4_addr', `\t\telements = { ${addresses.join(', ')} }`, '\t}');
  }
  // Only the address the node gave an interface may enter through it: no spoofing another org's
  // address, no IPv6, nothing from an interface the ruleset does not know yet.
  out.push('\tchain prerouting {', '\t\ttype filter hook prerouting priority filter; policy accept;');
  out.push('\t\tiifname . ip saddr @sources accept');
  out.push(`\t\tiifname ${any} drop`, '\t}');
  // Between instances: only within one org. Nothing forwarded from elsewhere reaches an instance (the
  // edge proxy runs on the node and connects from the host itself), and instances have no egress.
  out.push('\tchain forward {', '\t\ttype filter hook forward priority filter; policy accept;');
  out.push(`\t\tiifname ${any} oifname ${any} jump between_instances`, `\t\tiifname ${any} drop`, `\t\toifname ${any} drop`, '\t}');
  out.push('\tchain between_instances {');
  for (const n of orgs.values()) out.push(`\t\tip saddr @org_${n} ip daddr @org_${n} accept`);
  out.push('\t\tdrop', '\t}');
  // Instances may answer the host (the edge proxy's connections) but open none to it, except to the
  // host services the operator lists.
  out.push('\tchain input {', '\t\ttype filter hook input priority filter; policy accept;', `\t\tiifname ${any} jump instance_to_host`, '\t}');
  out.push('\tchain instance_to_host {', '\t\tct state established,related accept');
  if (ports.length > 0) out.push(`\t\ttcp dport { ${ports.join(', ')} } accept`);
  out.push('\t\tdrop', '\t}', '}');
  return `${out.join('\n')}\n`;
}

/**
 * One nft transaction adding an instance to a table renderRuleset made: its source pair and its org's
 * set, creating set `org_<n>` and its accept rule first when the org is new (`newOrg`). The rule is
 * inserted at the head of between_instances, before the final drop.
 */
export function renderAttach(table: string, instance: RulesetInstance, org: { readonly n: number; readonly newOrg: boolean }): string {
  const out: string[] = [];
  if (org.newOrg) {
    out.push(`add set inet ${table} org_${org.n} { type ipv4_addr; }`);
    out.push(`insert rule inet ${table} between_instances ip saddr @org_${org.n} ip daddr @org_${org.n} accept`);
  }
  out.push(`add element inet ${table} org_${org.n} { ${instance.address} }`, `add element inet ${table} sources { ${source(instance)} }`);
  return `${out.join('\n')}\n`;
}

/** One nft transaction removing an instance's elements; an org's emptied set and rule stay until the next full ruleset. */
export function renderDetach(table: string, instance: RulesetInstance, orgN: number): string {
  return `delete element inet ${table} org_${orgN} { ${instance.address} }\ndelete element inet ${table} sources { ${source(instance)} }\n`;
}
