// The payload of each event type: the contract between the control plane that writes the log and every
// reader of it (projections, node agents, the CLI). Payloads only grow: a field is added as optional.
import type { EventType } from './registry.ts';

/** An environment of an app: a DNS label (`prod`, `staging`, `preview-42`); the control plane checks the form. */
export type EnvName = string;
/** The environments every new app starts with. */
export const ENV_NAMES: readonly EnvName[] = ['prod', 'staging'];

export type TokenKind = 'operator' | 'org' | 'join' | 'node';

/** Per-org limits; `null` means unlimited, stated explicitly. */
export interface QuotaLimits {
  readonly memoryBytes: number | null;
  readonly instances: number | null;
  readonly publicRoutes: number | null;
  readonly ipv4Addresses: number | null;
}

/** What a release runs per process type (from the manifest). */
export interface ReleaseProcess {
  readonly cpu: number;
  readonly memoryBytes: number;
  readonly count: number;
}

/**
 * What an instance runs and reserves: shared by the InstancePlaced event, the control plane's view of an
 * instance and a placement request, so the three cannot drift apart.
 */
export interface InstanceWorkload {
  readonly app: string;
  readonly org: string;
  readonly env: EnvName;
  readonly processType: string;
  readonly release: number;
  readonly digest: string;
  readonly bundleVersion: number;
  readonly cpu: number;
  readonly memoryBytes: number;
}

/**
 * A secret bundle sealed with AES-256-GCM: the bundle under a fresh data key, the data key wrapped by the
 * platform master key. All fields base64; none of them reveals a value without the master key.
 */
export interface SealedBundle {
  readonly masterKeyId: string;
  readonly wrappedKey: string;
  readonly keyIv: string;
  readonly keyTag: string;
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
}

export interface EventPayloads {
  OrgCreated: { readonly org: string };
  ApiTokenCreated: { readonly tokenId: string; readonly kind: TokenKind; readonly name: string; readonly sha256: string; readonly org?: string; readonly node?: string };
  ApiTokenRevoked: { readonly tokenId: string; readonly org?: string };
  AppCreated: { readonly app: string; readonly org: string };
  AppDeleted: { readonly app: string; readonly org: string };
  EnvironmentCreated: { readonly app: string; readonly org: string; readonly env: EnvName };
  ReleaseCreated: {
    readonly app: string;
    readonly org: string;
    readonly version: number;
    readonly image: string;
    readonly digest: string;
    readonly processes: Readonly<Record<string, ReleaseProcess>>;
    /** The manifest text as submitted, when one was. */
    readonly manifest?: string;
  };
  DeployStarted: { readonly deployId: string; readonly app: string; readonly org: string; readonly env: EnvName; readonly release: number };
  ProcessScaled: { readonly app: string; readonly org: string; readonly env: EnvName; readonly processType: string; readonly count: number };
  SecretBundleVersioned: {
    readonly app: string;
    readonly org: string;
    readonly env: EnvName;
    readonly version: number;
    /** Every key in the bundle, sorted; never a value. */
    readonly names: readonly string[];
    readonly changed: readonly string[];
    readonly removed: readonly string[];
    readonly sealed: SealedBundle;
  };
  RestartRequired: {
    readonly app: string;
    readonly org: string;
    readonly env: EnvName;
    readonly processType: string;
    readonly reason: 'secrets';
    readonly bundleVersion: number;
    /** The release keeps running: a restart never changes the image digest. */
    readonly release: number;
    readonly digest: string;
  };
  QuotasChanged: { readonly org: string; readonly limits: QuotaLimits };
  NodeRegistered: { readonly node: string; readonly cores: number; readonly memoryBytes: number; readonly reservedMemoryBytes: number };
  NodeCapacityReported: { readonly node: string; readonly cores: number; readonly memoryBytes: number; readonly reservedMemoryBytes: number };
  NodeMarkedDown: { readonly node: string; readonly reason: string };
  NodeMarkedUp: { readonly node: string };
  ClusterSettingsChanged: { readonly cpuOvercommit: number; readonly memorySafetyBufferBytes: number };
  /** The scheduler put an instance on a node; the node agent starts it with this digest and bundle version. */
  InstancePlaced: InstanceWorkload & {
    readonly instanceId: string;
    readonly node: string;
    readonly reason: InstanceChangeReason;
    /** The local volume the instance mounts; it runs on the volume's node and nowhere else. */
    readonly volume?: string;
    /** The deploy whose rollout placed it: only its own instances can fail a deploy. */
    readonly deployId?: string;
  };
  InstanceStopRequested: { readonly instanceId: string; readonly app: string; readonly org: string; readonly env: EnvName; readonly processType: string; readonly node: string; readonly reason: InstanceChangeReason };
  /** What the node agent observed; `healthy` means the instance passed its health check. */
  InstanceStateReported: {
    readonly instanceId: string;
    readonly app: string;
    readonly org: string;
    readonly node: string;
    readonly state: InstanceActualState;
    readonly detail?: string;
    /** Where the edge reaches the instance's internal port (`IP:port`), as its node sees it. */
    readonly address?: string;
  };
  RestartCompleted: { readonly app: string; readonly org: string; readonly env: EnvName; readonly processType: string; readonly bundleVersion: number; readonly digest: string };
  /** A public TCP route: the edge listens on `port` of `address` (null: the shared address). */
  RouteCreated: {
    readonly app: string;
    readonly org: string;
    readonly env: EnvName;
    readonly route: string;
    readonly processType: string;
    readonly port: number;
    readonly proxyProtocol: 'off' | 'v2';
    readonly address: string | null;
  };
  RouteDeleted: { readonly app: string; readonly org: string; readonly env: EnvName; readonly route: string };
  /** The operator's pool of IPv4 addresses to hand out (a paid add-on). */
  Ipv4PoolChanged: { readonly addresses: readonly string[] };
  Ipv4AddressAllocated: { readonly address: string; readonly app: string; readonly org: string; readonly env: EnvName };
  Ipv4AddressReleased: { readonly address: string; readonly app: string; readonly org: string; readonly env: EnvName };
  /** A local volume on one node (ADR 0011), for one instance of `processType` at a time. */
  VolumeCreated: {
    readonly app: string;
    readonly org: string;
    readonly env: EnvName;
    readonly volume: string;
    readonly processType: string;
    readonly sizeBytes: number;
    readonly backupEnabled: boolean;
    readonly node: string;
  };
  VolumeDeleted: { readonly app: string; readonly org: string; readonly env: EnvName; readonly volume: string; readonly node: string };
  /** An instance that cannot move off a down node (its local volume is there) waits, and says why. */
  InstanceRescheduleBlocked: { readonly instanceId: string; readonly app: string; readonly org: string; readonly node: string; readonly reason: string };
  /** The cluster-level backup policy (ADR 0011): operator-set, not per volume. */
  BackupPolicyChanged: { readonly enabled: boolean; readonly intervalHours: number; readonly retention: number; readonly disabledEnvs: readonly string[] };
  /** The instance passed its memory cap and was killed (ADR 0012): `message` says so in those words. */
  InstanceOomKilled: { readonly instanceId: string; readonly app: string; readonly org: string; readonly node: string; readonly memoryBytes: number; readonly message: string };
  /** Every instance of the deployed release passed its health check and no older instance is left. */
  DeployCompleted: { readonly deployId: string; readonly app: string; readonly org: string; readonly env: EnvName; readonly release: number };
  /**
   * A new instance of the rollout exited or failed its health check: the rollout stops and, when there is a
   * previous release, turns around towards it (the environment's release is `previousRelease` again).
   */
  DeployFailed: {
    readonly deployId: string;
    readonly app: string;
    readonly org: string;
    readonly env: EnvName;
    readonly release: number;
    readonly previousRelease: number | null;
    readonly instanceId: string;
    readonly reason: string;
  };
  /** The rollback after a DeployFailed finished: every instance runs `release` (the previous one) again. */
  DeployRolledBack: { readonly deployId: string; readonly app: string; readonly org: string; readonly env: EnvName; readonly release: number };
  /**
   * An edge proxy's health check of a route backend (`address` = IP:port) failed; `proxyMismatch` when the
   * backend does not speak the PROXY protocol the route sends. `edge` names the node whose edge saw it.
   */
  RouteBackendMarkedUnhealthy: RouteBackendHealth;
  /** An edge proxy's health check of a route backend passed again (or for the first time). */
  RouteBackendMarkedHealthy: RouteBackendHealth;
  /**
   * A rolling replacement retires a serving instance: the edges drop it from their tables now, and the node
   * agent is asked to stop it (InstanceStopRequested) once `graceMs` has passed.
   */
  InstanceDrainStarted: { readonly instanceId: string; readonly app: string; readonly org: string; readonly env: EnvName; readonly processType: string; readonly node: string; readonly reason: InstanceChangeReason; readonly graceMs: number };
  /**
   * An instance that exited or stayed unhealthy was replaced (the same append stops it and places
   * `replacementId`). `failedAt` is when it was seen failing; `quick` when that was within the crash-loop
   * window of its placement; `failures` counts the slot's failures within that window, this one included.
   */
  InstanceReplaced: {
    readonly instanceId: string;
    readonly replacementId: string;
    readonly app: string;
    readonly org: string;
    readonly env: EnvName;
    readonly processType: string;
    readonly reason: string;
    readonly failedAt: string;
    readonly quick: boolean;
    readonly failures: number;
    readonly delayMs: number;
  };
  /** One (app, env, process type) failed too often too quickly: from now on it is retried at the longest backoff. */
  ProcessTypeCrashLooped: { readonly app: string; readonly org: string; readonly env: EnvName; readonly processType: string; readonly failures: number; readonly windowMs: number; readonly reason: string; readonly retryDelayMs: number };
  /** A rolling replacement waits (e.g. no quota for a surge instance and max unavailable 0): said once per reason. */
  ReplacementDeferred: { readonly app: string; readonly org: string; readonly env: EnvName; readonly processType: string; readonly reason: string };
  /** A rolling restart gave up (a new instance never became healthy in time); old instances keep serving. */
  RestartAbandoned: { readonly app: string; readonly org: string; readonly env: EnvName; readonly processType: string; readonly bundleVersion: number; readonly instanceId: string; readonly reason: string };
  /** An environment with nothing left in it (no running instance, route, volume or IPv4 address) was removed. */
  EnvironmentDeleted: { readonly app: string; readonly org: string; readonly env: EnvName };
  /**
   * A node finished pulling an instance's image (the coarse, durable end of the in-memory pull progress):
   * the reference, the layers' bytes, how long it took and whether every blob was already cached.
   */
  ImagePulled: { readonly instanceId: string; readonly app: string; readonly org: string; readonly node: string; readonly image: string; readonly layers: number; readonly bytes: number; readonly durationMs: number; readonly cached: boolean };
}

/** The payload of both route backend health events. */
export interface RouteBackendHealth {
  readonly app: string;
  readonly org: string;
  readonly env: EnvName;
  readonly route: string;
  readonly address: string;
  /** The instance behind the address when the control plane knows it. */
  readonly instanceId?: string;
  readonly reason: string;
  readonly proxyMismatch: boolean;
  readonly edge: string;
}

export type InstanceChangeReason = 'deploy' | 'scale' | 'restart' | 'node-down' | 'failure';
export type InstanceActualState = 'starting' | 'healthy' | 'unhealthy' | 'exited' | 'stopped';
export const INSTANCE_ACTUAL_STATES: readonly InstanceActualState[] = ['starting', 'healthy', 'unhealthy', 'exited', 'stopped'];

// Every registered type has a payload shape, and every payload shape a registered type.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const PAYLOADS_COVER_REGISTRY: Exact<keyof EventPayloads, EventType> = true;

/** An event of a known type with its typed payload. */
export type TypedEvent<T extends EventType = EventType> = {
  [K in T]: { readonly type: K; readonly payload: EventPayloads[K] };
}[T];
