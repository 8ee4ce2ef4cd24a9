// Small builders for scheduler tests: nodes, running instances and requests with readable defaults.
import { DEFAULT_CLUSTER_SETTINGS, type ClusterSettings } from '../../resources/cluster-settings.ts';
import type { PlacementRequest, RunningInstance, Snapshot, SnapshotNode } from '../types.ts';

export const Mi = 2 ** 20;
export const Gi = 2 ** 30;

/** No safety buffer, so a node's allocatable memory is memory - reservedMemory in examples. */
export const SETTINGS: ClusterSettings = { ...DEFAULT_CLUSTER_SETTINGS, memorySafetyBuffer: 0 };

export function node(id: string, fields: Partial<SnapshotNode> = {}): SnapshotNode {
  return { id, cores: 4, memory: 8 * Gi, reservedMemory: 0, status: 'up', volumes: [], instances: [], ...fields };
}

export function running(app: string, fields: Partial<RunningInstance> = {}): RunningInstance {
  return { app, env: 'production', processType: 'web', cpu: 1, memory: Gi, ...fields };
}

export function request(id: string, fields: Partial<PlacementRequest> = {}): PlacementRequest {
  return { id, org: 'acme', app: 'shop', env: 'production', processType: 'web', cpu: 1, memory: Gi, ...fields };
}

export function snapshot(nodes: readonly SnapshotNode[], settings: ClusterSettings = SETTINGS): Snapshot {
  return { nodes, settings };
}
