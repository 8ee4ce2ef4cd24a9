// Why an instance cannot be placed, worded for the user who asked, each with a code and a hint that
// says what they (or an operator) can change. Figures come from the exact free-capacity index.
import type { ErrorCode } from '../errors/errors.ts';
import { formatMemory } from '../resources/quantity.ts';
import { formatCpu } from '../resources/cpu.ts';
import type { NodeStatus } from './types.ts';

export interface Reason {
  readonly code: ErrorCode;
  readonly reason: string;
  readonly hint: string;
}

/** The node with the most of one resource free (or allocatable), and how much. */
export interface Largest {
  readonly nodeId: string;
  readonly amount: number;
}

const mem = (bytes: number): string => formatMemory(Math.max(0, bytes));
const cpu = (milli: number): string => formatCpu(Math.max(0, milli));

export function noNodes(draining: number, down: number): Reason {
  return {
    code: 'TRC_SCHEDULER_NO_NODES',
    reason: `no node is up (${draining} draining, ${down} down)`,
    hint: 'wait for nodes to come back up, or ask an operator to add or undrain a node',
  };
}

export function exceedsNodeSize(needCpu: number, needMem: number, largestCpu: Largest, largestMem: Largest): Reason {
  const parts: string[] = [];
  if (needMem > largestMem.amount) parts.push(`memory: ${mem(needMem)} is more than any node offers; the largest offers ${mem(largestMem.amount)} (${largestMem.nodeId})`);
  if (needCpu > largestCpu.amount) parts.push(`cpu: ${cpu(needCpu)} is more than any node offers; the largest offers ${cpu(largestCpu.amount)} (${largestCpu.nodeId})`);
  const fix: string[] = [];
  if (needMem > largestMem.amount) fix.push(`memory to at most ${mem(largestMem.amount)}`);
  if (needCpu > largestCpu.amount) fix.push(`cpu to at most ${cpu(largestCpu.amount).replace(' vCPU', '')}`);
  return { code: 'TRC_SCHEDULER_EXCEEDS_NODE_SIZE', reason: parts.join('; '), hint: `lower ${fix.join(' and ')}, or ask an operator for a larger node` };
}

/** Neither resource alone is the problem only when noFit applies; this covers one or both running short. */
export function noCapacity(needCpu: number, needMem: number, freeCpu: Largest, freeMem: Largest, cpuOvercommit: number): Reason {
  const parts: string[] = [];
  const memShort = needMem > freeMem.amount;
  const cpuShort = needCpu > freeCpu.amount;
  if (memShort) parts.push(`memory: no node has ${mem(needMem)} free; largest free is ${mem(freeMem.amount)} on ${freeMem.nodeId}`);
  if (cpuShort) parts.push(`cpu: no node has ${cpu(needCpu)} free; largest free is ${cpu(freeCpu.amount)} on ${freeCpu.nodeId} (allocatable cpu is cores x cpu_overcommit ${cpuOvercommit})`);
  return {
    code: memShort ? 'TRC_SCHEDULER_NO_MEMORY' : 'TRC_SCHEDULER_NO_CPU',
    reason: parts.join('; '),
    hint: memShort
      ? 'lower the memory of this process type, scale down other instances, or ask an operator to add nodes'
      : 'lower the cpu of this process type, scale down other instances, or ask an operator to add nodes or raise cpu_overcommit',
  };
}

/** The node with the most free memory and the node with the most free cpu, each with the other figure. */
export interface Holder {
  readonly nodeId: string;
  readonly freeCpu: number;
  readonly freeMem: number;
}

export function noFit(needCpu: number, needMem: number, mostMem: Holder, mostCpu: Holder): Reason {
  return {
    code: 'TRC_SCHEDULER_NO_FIT',
    reason: `cpu and memory: no node has both ${cpu(needCpu)} and ${mem(needMem)} free; ${mostMem.nodeId} has the most memory free (${mem(mostMem.freeMem)}, with ${cpu(mostMem.freeCpu)}), ${mostCpu.nodeId} the most cpu free (${cpu(mostCpu.freeCpu)}, with ${mem(mostCpu.freeMem)})`,
    hint: 'lower cpu or memory of this process type so one of those nodes fits it, scale down other instances, or ask an operator to add nodes',
  };
}

export function volumeNotFound(volume: string): Reason {
  return {
    code: 'TRC_SCHEDULER_VOLUME_NOT_FOUND',
    reason: `volume: "${volume}" is on no node of the cluster`,
    hint: 'check the volume name, or restore the volume from its backup onto a node',
  };
}

export function volumeNodeUnavailable(volume: string, nodeId: string, status: NodeStatus): Reason {
  return {
    code: 'TRC_SCHEDULER_VOLUME_NODE_UNAVAILABLE',
    reason: `volume: "${volume}" is on ${nodeId}, which is ${status}; the instance can run nowhere else`,
    hint: status === 'down' ? 'wait for the node to come back, or restore the volume from its backup onto another node' : 'wait for the drain to finish and the volume to move, or ask an operator to undrain the node',
  };
}

export function volumeNodeFull(volume: string, nodeId: string, needCpu: number, needMem: number, freeCpu: number, freeMem: number): Reason {
  const parts: string[] = [];
  if (needMem > freeMem) parts.push(`memory: ${nodeId} holds volume "${volume}" but has ${mem(freeMem)} free; this instance needs ${mem(needMem)}`);
  if (needCpu > freeCpu) parts.push(`cpu: ${nodeId} holds volume "${volume}" but has ${cpu(freeCpu)} free; this instance needs ${cpu(needCpu)}`);
  return {
    code: 'TRC_SCHEDULER_VOLUME_NODE_FULL',
    reason: parts.join('; '),
    hint: `lower cpu or memory, scale down other instances on ${nodeId}, or restore the volume from its backup onto another node`,
  };
}
