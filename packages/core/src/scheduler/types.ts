// The scheduler's inputs (a snapshot of the cluster and placement requests) and its output (a Plan).
import type { ErrorCode } from '../errors/errors.ts';
import type { ClusterSettings } from '../resources/cluster-settings.ts';

export type NodeStatus = 'up' | 'draining' | 'down';

/** An instance already running (or already planned) on a node; only its group and size matter here. */
export interface RunningInstance {
  readonly app: string;
  readonly env: string;
  readonly processType: string;
  /** vCPU requested. */
  readonly cpu: number;
  /** Memory cap in bytes. */
  readonly memory: number;
}

export interface SnapshotNode {
  readonly id: string;
  readonly cores: number;
  /** Physical memory in bytes. */
  readonly memory: number;
  /** Bytes reserved for the host. */
  readonly reservedMemory: number;
  readonly status: NodeStatus;
  /** Ids of the local volumes this node holds. */
  readonly volumes: readonly string[];
  readonly instances: readonly RunningInstance[];
}

/** An immutable view of the cluster; the scheduler reads it and never changes it. */
export interface Snapshot {
  readonly nodes: readonly SnapshotNode[];
  readonly settings: ClusterSettings;
}

/** `count` instances of one process type of one app environment, each of the same size. */
export interface PlacementRequest {
  /** Caller's id for the request, echoed in placements and failures. */
  readonly id: string;
  readonly org: string;
  readonly app: string;
  readonly env: string;
  readonly processType: string;
  /** Number of instances; defaults to 1. */
  readonly count?: number;
  /** vCPU per instance. */
  readonly cpu: number;
  /** Memory cap per instance, in bytes. */
  readonly memory: number;
  /** Local volumes, one per instance (length = count): instance i runs where volumes[i] lives. */
  readonly volumes?: readonly string[];
}

export interface ScheduleOptions {
  /** Seeds the PRNG that orders the nodes the scheduler samples. Same seed, same snapshot, same plan. */
  readonly seed: number;
  /** How many feasible nodes to compare per placement; default max(2, ceil(log2(up nodes))), as Nomad. */
  readonly candidates?: number;
}

export interface Placement {
  readonly requestId: string;
  /** 0-based index of the instance within its request. */
  readonly index: number;
  readonly nodeId: string;
  /** Binpack score of the node after the placement, in [0, 1]; 1 is a perfectly full node. */
  readonly score: number;
}

export interface PlacementFailure {
  readonly requestId: string;
  readonly index: number;
  readonly code: ErrorCode;
  /** What stands in the way, for the user: `memory: no node has 2Gi free; largest free is 1.5Gi on node-7`. */
  readonly reason: string;
  /** What the user can do about it. */
  readonly hint: string;
}

export interface Plan {
  /** In the order they were decided; later ones account for earlier ones. */
  readonly placements: readonly Placement[];
  readonly failures: readonly PlacementFailure[];
}
