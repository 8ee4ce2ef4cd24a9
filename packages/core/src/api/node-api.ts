// Wire types of the API shared by the control plane, the node agent and the CLI, declared once.
import type { InstanceActualState } from '../events/payloads.ts';

/** The phases of an image pull, in order. */
export const PULL_PHASES = ['resolving', 'downloading', 'verifying', 'unpacking', 'pulled'] as const;
export type PullPhase = (typeof PULL_PHASES)[number];

/** An instance's image pull as the agent reports it (`PUT /v1/nodes/:node/instances/:id/progress`) and users read it. */
export interface PullProgress {
  readonly phase: PullPhase;
  /** The reference pulled, `registry/name@sha256:…`. */
  readonly image: string;
  readonly layers: number;
  readonly layersDone: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** True when every blob was in the node's cache (nothing downloaded). */
  readonly cached: boolean;
  /** Set with phase "pulled": how long the pull took on the node. */
  readonly durationMs?: number;
}

/** `GET /v1/nodes/:node/instances/:instance/spec`: what the node running an instance needs to start it. */
export interface NodeInstanceSpec {
  readonly id: string;
  readonly app: string;
  readonly org: string;
  readonly env: string;
  readonly processType: string;
  readonly release: number;
  /** The release's image reference as given (a name the agent pulls `@digest`). */
  readonly image: string;
  readonly digest: string;
  readonly bundleVersion: number;
  readonly cpu: number;
  readonly memoryBytes: number;
  /** The release's platform.toml text; absent for releases made from a bare process list. */
  readonly manifest?: string;
}

/** An instance as the API shows it: `GET /v1/apps/:app/instances`; a node's assignments add its org (NodeAssignment). */
export interface InstanceView {
  readonly id: string;
  readonly app: string;
  readonly env: string;
  readonly processType: string;
  readonly release: number;
  readonly digest: string;
  readonly bundleVersion: number;
  readonly node: string;
  readonly desired: 'running' | 'stopped';
  readonly actual: InstanceActualState | 'pending';
  readonly detail?: string;
  /** Present while a rolling replacement drains it: the edges no longer route to it, its stop follows. */
  readonly drainingSince?: string;
}

/**
 * One entry of a node's `GET /v1/nodes/:node/assignments`: the instance and its org, so the node makes the
 * instance's network (the org's isolation set) from the moment it starts it.
 */
export interface NodeAssignment extends InstanceView {
  readonly org: string;
  /** While the instance waits to be started (desired running, actual pending): what GET …/spec answers. */
  readonly spec?: NodeInstanceSpec;
}
