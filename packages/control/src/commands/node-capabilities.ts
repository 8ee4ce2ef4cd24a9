// What each node's runtime can do (drivers, network, cgroup version, secrets delivery), as its agent last
// reported it. Like liveness, it is memory, not log: the agent reports it at every start and periodically,
// so a restarted control plane has it again within one report interval.
import { forbidden, notFound, requireOperator, type Actor } from './actor.ts';
import type { Control } from './control.ts';

export interface NodeCapabilities {
  /** Runtime drivers the node runs instances with, e.g. ["runc"]. */
  readonly runtimes: readonly string[];
  /** The instance network implementation, e.g. "routed". */
  readonly network: string;
  /** "v1" or "v2". */
  readonly cgroup: string;
  /** Where secrets files live, e.g. "tmpfs". */
  readonly secrets: string;
}

const reported = new WeakMap<Control, Map<string, NodeCapabilities & { readonly reportedAt: string }>>();

function table(control: Control): Map<string, NodeCapabilities & { readonly reportedAt: string }> {
  let t = reported.get(control);
  if (t === undefined) {
    t = new Map();
    reported.set(control, t);
  }
  return t;
}

export async function reportCapabilities(control: Control, actor: Actor, node: string, input: NodeCapabilities, now: Date): Promise<NodeCapabilities & { reportedAt: string }> {
  if (actor.kind !== 'node' || actor.node !== node) throw actor.kind === 'node' ? notFound(`node "${node}"`) : forbidden('report node capabilities (only the node itself may)');
  if (!(await control.read()).nodes.has(node)) throw notFound(`node "${node}"`);
  const entry = { runtimes: [...input.runtimes], network: input.network, cgroup: input.cgroup, secrets: input.secrets, reportedAt: now.toISOString() };
  table(control).set(node, entry);
  return entry;
}

/** Every node's last report (operator); a node that has not reported since the control plane started is absent. */
export async function listCapabilities(control: Control, actor: Actor): Promise<Record<string, NodeCapabilities & { reportedAt: string }>> {
  requireOperator(actor, 'read node capabilities');
  const nodes = (await control.read()).nodes;
  return Object.fromEntries([...table(control).entries()].filter(([name]) => nodes.has(name)).sort(([a], [b]) => a.localeCompare(b)));
}
