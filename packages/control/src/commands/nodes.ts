// Node commands: registration with a join token (returning the node's own token), heartbeats and capacity.
// Liveness (the last heartbeat) is kept in memory, not in the log; only up/down transitions are events.
import { userError, type Problem } from '@trc/core';
import { aggregates, type NodeState } from '../state/state.ts';
import { forbidden, notFound, requireOperator, type Actor } from './actor.ts';
import type { Control } from './control.ts';
import { nameProblem } from './names.ts';
import { newId, newToken } from './tokens.ts';
import { invalid } from './validate.ts';

export interface NodeCapacity {
  readonly cores: number;
  readonly memoryBytes: number;
  readonly reservedMemoryBytes: number;
}

function capacityProblems(c: NodeCapacity): Problem[] {
  const problems: Problem[] = [];
  if (!Number.isInteger(c.cores) || c.cores < 1) problems.push({ path: 'cores', code: 'TRC_INVALID_INPUT', message: 'cores must be a whole number of at least 1' });
  if (!Number.isSafeInteger(c.memoryBytes) || c.memoryBytes < 1) problems.push({ path: 'memoryBytes', code: 'TRC_INVALID_INPUT', message: 'memoryBytes must be a positive whole number' });
  if (!Number.isSafeInteger(c.reservedMemoryBytes) || c.reservedMemoryBytes < 0 || c.reservedMemoryBytes >= c.memoryBytes) problems.push({ path: 'reservedMemoryBytes', code: 'TRC_INVALID_INPUT', message: 'reservedMemoryBytes must be at least 0 and less than memoryBytes' });
  return problems;
}

export async function registerNode(control: Control, actor: Actor, input: { name: string } & NodeCapacity): Promise<{ name: string; token: string }> {
  if (actor.kind !== 'join' && actor.kind !== 'operator') throw forbidden('register nodes (use a node join token)');
  const problems = [...nameProblem(input.name, 'name', 'node name'), ...capacityProblems(input)];
  if (problems.length > 0) throw invalid(problems);
  const state = await control.read();
  if (state.nodes.has(input.name)) throw userError('TRC_ALREADY_EXISTS', `node "${input.name}" is registered already`, 'give each node a unique name');
  const { token, sha256 } = newToken('node', control.deps.random);
  const tokenId = newId('tok', control.deps.random);
  const aggregateId = aggregates.node(input.name);
  const capacity = { cores: input.cores, memoryBytes: input.memoryBytes, reservedMemoryBytes: input.reservedMemoryBytes };
  await control.commit(actor, [
    {
      aggregateId,
      expectedVersion: control.version(aggregateId),
      changes: [
        { type: 'NodeRegistered', payload: { node: input.name, ...capacity } },
        { type: 'ApiTokenCreated', payload: { tokenId, kind: 'node', name: input.name, sha256, node: input.name } },
      ],
    },
  ]);
  return { name: input.name, token };
}

/** A node's heartbeat: records liveness, and appends only what changed (capacity, coming back up). */
export async function heartbeat(control: Control, actor: Actor, node: string, input: NodeCapacity, now: Date, seen: Map<string, number>): Promise<NodeState> {
  if (actor.kind !== 'node' || actor.node !== node) throw actor.kind === 'node' ? notFound(`node "${node}"`) : forbidden('send heartbeats (only the node itself may)');
  const problems = capacityProblems(input);
  if (problems.length > 0) throw invalid(problems);
  const state = await control.read();
  const current = state.nodes.get(node);
  if (current === undefined) throw notFound(`node "${node}"`);
  seen.set(node, now.getTime());
  const changes = [];
  if (current.cores !== input.cores || current.memoryBytes !== input.memoryBytes || current.reservedMemoryBytes !== input.reservedMemoryBytes) {
    changes.push({ type: 'NodeCapacityReported' as const, payload: { node, ...input } });
  }
  if (current.status === 'down') changes.push({ type: 'NodeMarkedUp' as const, payload: { node } });
  if (changes.length > 0) {
    const aggregateId = aggregates.node(node);
    await control.commit(actor, [{ aggregateId, expectedVersion: control.version(aggregateId), changes }]);
  }
  return (await control.read()).nodes.get(node)!;
}

export async function listNodes(control: Control, actor: Actor): Promise<NodeState[]> {
  requireOperator(actor, 'list nodes');
  return [...(await control.read()).nodes.values()];
}

/**
 * Marks down every up node whose last heartbeat is older than `timeoutMs` (a node never heard from since
 * `since`, the control plane's start, counts from then). Returns the nodes marked down.
 */
export async function markSilentNodesDown(control: Control, now: Date, since: Date, heartbeats: ReadonlyMap<string, number>, timeoutMs: number): Promise<string[]> {
  const state = await control.read();
  const intents = [];
  for (const node of state.nodes.values()) {
    if (node.status !== 'up') continue;
    const last = heartbeats.get(node.name) ?? since.getTime();
    if (now.getTime() - last <= timeoutMs) continue;
    const aggregateId = aggregates.node(node.name);
    intents.push({ aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'NodeMarkedDown' as const, payload: { node: node.name, reason: `no heartbeat for ${Math.round((now.getTime() - last) / 1000)}s (timeout ${timeoutMs / 1000}s)` } }] });
  }
  if (intents.length > 0) await control.commit({ kind: 'system' }, intents);
  return intents.map((i) => i.changes[0]!.payload.node);
}
