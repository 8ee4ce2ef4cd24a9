// The runtime driver port: what the node agent needs from anything that runs instances (runc containers,
// QEMU microVMs). Optional capabilities are separate interfaces, never methods that throw.
import { TrcError, type InstanceResources } from '@trc/core';

/** The parts of an OCI image config the runtime uses (`config.Entrypoint`, `Cmd`, `Env`, `User`, `WorkingDir`). */
export interface ImageConfig {
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  /** `KEY=value` entries, as in the image config. */
  readonly env?: readonly string[];
  /** `uid`, `uid:gid`, `name` or `name:group`; names are resolved in the rootfs's /etc/passwd and /etc/group. */
  readonly user?: string;
  readonly workingDir?: string;
}

/** A host directory or file made visible inside the instance. */
export interface InstanceMount {
  readonly source: string;
  readonly destination: string;
  readonly readOnly: boolean;
  /**
   * OCI mount options to use instead of the default `rbind,nosuid,nodev,ro|rw` (e.g. adding `noexec`). A bind
   * flag and, for a read-only mount, `ro` are added when missing, so `readOnly` always holds.
   */
  readonly options?: readonly string[];
}

/** Everything a driver needs to run one instance. */
export interface InstanceSpec {
  /** Unique on the node; see isValidInstanceId. */
  readonly id: string;
  /** The unpacked image root (a directory; it may still be being mounted while the instance is created). */
  readonly rootfs: string;
  /** Where the image's /etc/passwd and /etc/group are read for `image.user`; default `rootfs`. */
  readonly userFiles?: string;
  readonly image: ImageConfig;
  /** Replaces the image's cmd (the manifest's process `cmd`); the entrypoint stays. */
  readonly command?: readonly string[];
  /** Added to the image's env, winning on equal keys. May hold secrets: never logged. */
  readonly env?: Readonly<Record<string, string>>;
  readonly hostname?: string;
  readonly resources: InstanceResources;
  readonly mounts?: readonly InstanceMount[];
  /** Path of an existing network namespace to join (e.g. /run/netns/x); a fresh, empty one when absent. */
  readonly networkNamespace?: string;
  /** Mount the image root read-only. */
  readonly readOnlyRootfs?: boolean;
  /**
   * Hold the first process until `StartGate.releaseGate` (drivers with that capability only): start() returns
   * once it runs. The caller finishes what the process needs (its network) while the runtime sets up.
   */
  readonly gated?: boolean;
}

export type InstanceState = 'created' | 'running' | 'paused' | 'stopped';

/** Why an instance stopped. */
/** 'start failed': the runtime could not run the command (missing executable, bad working directory ...). */
export type ExitReason = 'exited' | 'killed' | 'stopped' | 'memory limit exceeded' | 'start failed' | 'unknown';

export interface ExitInfo {
  readonly reason: ExitReason;
  /** The process's exit status (128 + signal when killed by a signal); undefined when nobody could observe it. */
  readonly exitCode: number | undefined;
  /** Signal name when the process was killed by one (`SIGKILL`). */
  readonly signal?: string;
  /** Set when reason is 'memory limit exceeded': the cap the instance ran into. */
  readonly memoryLimitBytes?: number;
  /** One line for people: "exited with code 0", "memory limit exceeded (cap 64Mi)". */
  readonly message: string;
}

export interface InstanceInfo {
  readonly id: string;
  readonly state: InstanceState;
  /** Host pid of the instance's first process while it runs. */
  readonly pid?: number;
  readonly exit?: ExitInfo;
}

export interface StopOptions {
  /** How long after SIGTERM the instance may take before it gets SIGKILL. */
  readonly graceMs: number;
}

export type LogStream = 'stdout' | 'stderr';

export interface TailOptions {
  readonly stream: LogStream;
  /** Return at most this many bytes from the end (default 64 KiB). */
  readonly maxBytes?: number;
}

/** What a driver found in its state directory when it started: instances it took over, and ones that ended meanwhile. */
export interface AdoptionReport {
  readonly running: readonly InstanceInfo[];
  readonly exited: readonly InstanceInfo[];
  /** Created but never started: kept as they are. */
  readonly created: readonly InstanceInfo[];
  /** Runtime instances with no record of ours (left alone, never killed). */
  readonly unknown: readonly string[];
}

/**
 * Runs instances on one node. Every method is safe to call again after an agent restart: a new driver over
 * the same state directory calls adopt() and carries on with the instances the old one started.
 */
export interface RuntimeDriver {
  readonly name: string;
  /** Prepares an instance without starting it. */
  create(spec: InstanceSpec): Promise<InstanceInfo>;
  start(id: string): Promise<InstanceInfo>;
  /** SIGTERM, then SIGKILL once the grace period is over; resolves when the instance has stopped. */
  stop(id: string, options: StopOptions): Promise<ExitInfo>;
  inspect(id: string): Promise<InstanceInfo>;
  /** Resolves when the instance has stopped (at once if it already has). */
  wait(id: string, options?: { signal?: AbortSignal }): Promise<ExitInfo>;
  /** Every instance the driver knows, in id order. */
  list(): Promise<InstanceInfo[]>;
  /** Removes a stopped instance and its files; `force` kills a running one first. */
  remove(id: string, options?: { force?: boolean }): Promise<void>;
  /** The end of an instance's stdout or stderr log, across rotation. */
  tail(id: string, options: TailOptions): Promise<string>;
  /** Takes over the instances a previous driver left in the state directory, without killing or duplicating any. */
  adopt(): Promise<AdoptionReport>;
  /** Stops the driver's own timers. Instances keep running. */
  close(): Promise<void>;
}

/** Optional: pause and resume every process of an instance. */
export interface Freezer {
  freeze(id: string): Promise<void>;
  thaw(id: string): Promise<void>;
}

/** Optional: capture and restore an instance's memory and device state (microVM drivers). Not implemented by runc. */
export interface Snapshotter {
  snapshot(id: string, directory: string): Promise<void>;
  restore(spec: InstanceSpec, directory: string): Promise<InstanceInfo>;
}

/**
 * Optional: gated starts (`InstanceSpec.gated`). The instance's process never runs before `releaseGate(id,
 * true)`; `releaseGate(id, false)` makes its start fail with nothing left running. A gate nobody releases
 * fails the start after the driver's gate timeout (an agent that died mid-start).
 */
export interface StartGate {
  releaseGate(id: string, ok: boolean): Promise<void>;
}

export function isStartGate(driver: RuntimeDriver): driver is RuntimeDriver & StartGate {
  return typeof (driver as Partial<StartGate>).releaseGate === 'function';
}

export function isFreezer(driver: RuntimeDriver): driver is RuntimeDriver & Freezer {
  const d = driver as Partial<Freezer>;
  return typeof d.freeze === 'function' && typeof d.thaw === 'function';
}

export function isSnapshotter(driver: RuntimeDriver): driver is RuntimeDriver & Snapshotter {
  const d = driver as Partial<Snapshotter>;
  return typeof d.snapshot === 'function' && typeof d.restore === 'function';
}

const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Instance ids name files and cgroups, so they are restricted to a safe alphabet. */
export function isValidInstanceId(id: string): boolean {
  return ID.test(id);
}

export function checkInstanceId(id: string): void {
  if (!isValidInstanceId(id)) {
    throw new TrcError('TRC_RUNTIME_INSTANCE_ID_INVALID', `instance id ${JSON.stringify(id)} is not valid`, { hint: 'use 1 to 64 of a-z, 0-9, ".", "_" or "-", starting with a letter or digit' });
  }
}
