// The control plane's state: a projection of the event log, rebuilt by replaying it (reduce.ts).
import type { EnvName, InstanceActualState, InstanceChangeReason, InstanceWorkload, QuotaLimits, ReleaseProcess, SealedBundle, TokenKind } from '@trc/core';

export interface TokenState {
  readonly id: string;
  readonly kind: TokenKind;
  readonly name: string;
  readonly sha256: string;
  readonly org: string | undefined;
  readonly node: string | undefined;
  readonly createdAt: string;
  revoked: boolean;
}

export interface OrgState {
  readonly name: string;
  readonly createdAt: string;
  quotas: QuotaLimits;
}

export interface ReleaseState {
  readonly version: number;
  readonly image: string;
  readonly digest: string;
  readonly processes: Readonly<Record<string, ReleaseProcess>>;
  /** The platform.toml text, when the release was made from one (node agents read cmd, port, health check). */
  readonly manifest: string | undefined;
  readonly createdAt: string;
}

export interface DeployState {
  readonly id: string;
  readonly release: number;
  readonly startedAt: string;
  /** rolling until DeployCompleted / DeployFailed (then rolled-back once the rollback is done); superseded by a later deploy. */
  status: 'rolling' | 'completed' | 'failed' | 'rolled-back' | 'superseded';
}

/** A rolling replacement in progress: instances of other releases are replaced by ones of `release`, one step at a time. */
export interface Rollout {
  readonly deployId: string;
  readonly release: number;
  /** What a failure turns back to; null on a first deploy (nothing older to return to). */
  readonly previousRelease: number | null;
  /** True after a DeployFailed: this rollout restores the previous release and never fails itself. */
  readonly rollback: boolean;
}

export interface SecretBundleState {
  readonly version: number;
  readonly names: readonly string[];
  readonly sealed: SealedBundle;
  readonly updatedAt: string;
}

/** A process type marked for a rolling restart: new instances get `bundleVersion`, the image stays `digest`. */
export interface PendingRestart {
  readonly reason: 'secrets';
  readonly bundleVersion: number;
  readonly release: number;
  readonly digest: string;
  readonly since: string;
}

export interface EnvState {
  readonly name: EnvName;
  release: number | null;
  deploys: DeployState[];
  scale: Record<string, number>;
  secrets: SecretBundleState | null;
  restarts: Record<string, PendingRestart>;
  rollout: Rollout | null;
}

export interface AppState {
  readonly name: string;
  readonly org: string;
  readonly createdAt: string;
  /** Keyed by environment name; an environment is created and deleted by events of its own. */
  envs: Record<EnvName, EnvState>;
  releases: ReleaseState[];
}

export interface NodeState {
  readonly name: string;
  cores: number;
  memoryBytes: number;
  reservedMemoryBytes: number;
  status: 'up' | 'down';
  downReason: string | undefined;
  readonly registeredAt: string;
}

/** An instance: desired state from the control plane, actual state as its node reports it. */
export interface InstanceState extends InstanceWorkload {
  readonly id: string;
  readonly node: string;
  readonly placedAt: string;
  readonly reason: InstanceChangeReason;
  readonly volume: string | undefined;
  /** The deploy whose rollout placed it (deploys.ts), if one did. */
  readonly deployId: string | undefined;
  desired: 'running' | 'stopped';
  actual: InstanceActualState | 'pending';
  detail: string | undefined;
  /** `IP:port` where the edge reaches the instance, from its node's last report that named one. */
  address?: string;
  /** When its actual state last changed (event time): how long it has been unhealthy, or when it exited. */
  actualSince?: string;
  /** When a rolling replacement started draining it (InstanceDrainStarted): the edges no longer route to it. */
  drainingSince?: string;
  /** Why it drains: the reason its InstanceStopRequested gives once the grace has passed. */
  drainingFor?: InstanceChangeReason;
  /** The grace its drain was started with: the stop follows it, even if the configured grace changed since. */
  drainGraceMs?: number;
}

/** Recent failures of one (app, env, process type): the replacement backoff and crash-loop state. */
export interface SlotState {
  /** The latest failure times (event `failedAt`, at most 10); the reconciler counts those within its window. */
  failures: string[];
  crashLooping: boolean;
}

export function slotKey(app: string, env: string, processType: string): string {
  return `${app}/${env}/${processType}`;
}

export interface RouteState {
  readonly app: string;
  readonly org: string;
  readonly env: EnvName;
  readonly name: string;
  readonly processType: string;
  readonly port: number;
  readonly proxyProtocol: 'off' | 'v2';
  readonly address: string | null;
  readonly createdAt: string;
}

export interface Ipv4Allocation {
  readonly address: string;
  readonly app: string;
  readonly org: string;
  readonly env: EnvName;
  readonly allocatedAt: string;
}

export interface VolumeState {
  /** `app/env/name`: also the volume id the scheduler sees. */
  readonly id: string;
  readonly app: string;
  readonly org: string;
  readonly env: EnvName;
  readonly name: string;
  readonly processType: string;
  readonly sizeBytes: number;
  readonly backupEnabled: boolean;
  readonly node: string;
  readonly createdAt: string;
}

export interface BackupPolicy {
  enabled: boolean;
  intervalHours: number;
  retention: number;
  /** `app/env` pairs the operator exempted from backups. */
  disabledEnvs: string[];
}

export const DEFAULT_BACKUP_POLICY: BackupPolicy = { enabled: true, intervalHours: 24, retention: 14, disabledEnvs: [] };

export interface ClusterSettings {
  cpuOvercommit: number;
  memorySafetyBufferBytes: number;
}

export interface ControlState {
  /** The seq of the last event applied. */
  seq: number;
  /** Each aggregate's version, for optimistic concurrency on the next append. */
  versions: Map<string, number>;
  orgs: Map<string, OrgState>;
  tokens: Map<string, TokenState>;
  /** sha256 hex -> token id. */
  tokensBySha256: Map<string, string>;
  apps: Map<string, AppState>;
  nodes: Map<string, NodeState>;
  /** Instances not yet both asked to stop and reported stopped. */
  instances: Map<string, InstanceState>;
  /** Keyed by `app/env/route`. */
  routes: Map<string, RouteState>;
  ipv4Pool: string[];
  /** Allocated addresses, keyed by address. */
  ipv4: Map<string, Ipv4Allocation>;
  volumes: Map<string, VolumeState>;
  /** Instance id -> why it cannot leave its down node. */
  blocked: Map<string, string>;
  backupPolicy: BackupPolicy;
  settings: ClusterSettings;
  /** Keyed by slotKey(app, env, process type); only slots that have failed. */
  slots: Map<string, SlotState>;
  /** slotKey -> why its rolling replacement waits (ReplacementDeferred), until it places again. */
  deferred: Map<string, string>;
}

export const UNLIMITED: QuotaLimits = { memoryBytes: null, instances: null, publicRoutes: null, ipv4Addresses: null };

export const DEFAULT_SETTINGS: ClusterSettings = { cpuOvercommit: 4, memorySafetyBufferBytes: 256 * 2 ** 20 };

export function routeKey(app: string, env: string, route: string): string {
  return `${app}/${env}/${route}`;
}

export function emptyState(): ControlState {
  return {
    seq: 0,
    versions: new Map(),
    orgs: new Map(),
    tokens: new Map(),
    tokensBySha256: new Map(),
    apps: new Map(),
    nodes: new Map(),
    instances: new Map(),
    routes: new Map(),
    ipv4Pool: [],
    ipv4: new Map(),
    volumes: new Map(),
    blocked: new Map(),
    backupPolicy: { ...DEFAULT_BACKUP_POLICY, disabledEnvs: [] },
    settings: { ...DEFAULT_SETTINGS },
    slots: new Map(),
    deferred: new Map(),
  };
}

/** Aggregate ids: one per org, app and node, plus one for platform-wide facts. */
export const aggregates = {
  platform: 'platform',
  org: (name: string) => `org:${name}`,
  app: (name: string) => `app:${name}`,
  node: (name: string) => `node:${name}`,
  instance: (id: string) => `instance:${id}`,
  /** Route and address changes are serialised platform-wide, so (address, port) and addresses stay unique. */
  routes: 'routes',
  ipv4: 'ipv4',
} as const;

/** A canonical, JSON-comparable form of the state: `admin verify` compares two of these. */
export function canonicalState(state: ControlState): unknown {
  const sorted = <V>(m: Map<string, V>): [string, V][] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    seq: state.seq,
    versions: sorted(state.versions),
    orgs: sorted(state.orgs),
    tokens: sorted(state.tokens),
    tokensBySha256: sorted(state.tokensBySha256),
    apps: sorted(state.apps),
    nodes: sorted(state.nodes),
    instances: sorted(state.instances),
    routes: sorted(state.routes),
    ipv4Pool: state.ipv4Pool,
    ipv4: sorted(state.ipv4),
    volumes: sorted(state.volumes),
    blocked: sorted(state.blocked),
    backupPolicy: state.backupPolicy,
    settings: state.settings,
    slots: sorted(state.slots),
    deferred: sorted(state.deferred),
  };
}
