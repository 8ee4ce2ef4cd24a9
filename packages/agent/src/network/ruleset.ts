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

/**
 * A script for `nft -f` that replaces the whole table in one transaction: creating it first makes the
 * delete valid on a fresh node, and nft applies the three commands atomically, so no packet ever sees a
 * half-built table. Same input, same text.
 */
export function renderRuleset(input: RulesetInput): string {
  const { table } = input;
  const any = `"${input.interfacePrefix}*"`;
  const instances = [...input.instances].sort(byKey((i) => i.hostInterface));
  const orgs = [...new Set(instances.map((i) => i.orgId))].sort();
  const ports = [...new Set(input.hostTcpPorts ?? [])].sort((a, b) => a - b);
  const out: string[] = [`table inet ${table}`, `delete table inet ${table}`, `table inet ${table} {`];
  orgs.forEach((org, n) => {
    const addresses = instances.filter((i) => i.orgId === org).map((i) => i.address);
    out.push(`\tset org_${n} {`, '\t\ttype ipv4_addr', `\t\telements = { ${addresses.join(', ')} }`, '\t}');
  });
  // Only the address the node gave an interface may enter through it: no spoofing another org's
  // address, no IPv6, nothing from an interface the ruleset does not know yet.
  out.push('\tchain prerouting {', '\t\ttype filter hook prerouting priority filter; policy accept;');
  for (const i of instances) out.push(`\t\tiifname "${i.hostInterface}" ip saddr ${i.address} accept`);
  out.push(`\t\tiifname ${any} drop`, '\t}');
  // Between instances: only within one org. Nothing forwarded from elsewhere reaches an instance (the
  // edge proxy runs on the node and connects from the host itself), and instances have no egress.
  out.push('\tchain forward {', '\t\ttype filter hook forward priority filter; policy accept;');
  out.push(`\t\tiifname ${any} oifname ${any} jump between_instances`, `\t\tiifname ${any} drop`, `\t\toifname ${any} drop`, '\t}');
  out.push('\tchain between_instances {');
  orgs.forEach((_, n) => out.push(`\t\tip saddr @org_${n} ip daddr @org_${n} accept`));
  out.push('\t\tdrop', '\t}');
  // Instances may answer the host (the edge proxy's connections) but open none to it, except to the
  // host services the operator lists.
  out.push('\tchain input {', '\t\ttype filter hook input priority filter; policy accept;', `\t\tiifname ${any} jump instance_to_host`, '\t}');
  out.push('\tchain instance_to_host {', '\t\tct state established,related accept');
  if (ports.length > 0) out.push(`\t\ttcp dport { ${ports.join(', ')} } accept`);
  out.push('\t\tdrop', '\t}', '}');
  return `${out.join('\n')}\n`;
}
