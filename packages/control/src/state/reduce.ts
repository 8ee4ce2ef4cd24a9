// The projection: a deterministic reducer from one stored event to the next state. Replaying the whole log
// through it rebuilds the state, which is what `admin verify` compares against the live projection.
import { TrcError, isEventType, type EnvName, type EventPayloads, type EventType } from '@trc/core';
import type { StoredEvent } from '../store/store.ts';
import { UNLIMITED, routeKey, slotKey, type AppState, type ControlState, type EnvState, type ReleaseState } from './state.ts';

type Handler<T extends EventType> = (state: ControlState, payload: EventPayloads[T], event: StoredEvent) => void;

function app(state: ControlState, name: string, event: StoredEvent): AppState {
  const found = state.apps.get(name);
  if (found === undefined) throw corrupt(event, `app "${name}" does not exist`);
  return found;
}

function env(state: ControlState, appName: string, envName: EnvName, event: StoredEvent): EnvState {
  const found = app(state, appName, event).envs[envName];
  if (found === undefined) throw corrupt(event, `environment "${appName}/${envName}" does not exist`);
  return found;
}

function release(state: ControlState, appName: string, version: number, event: StoredEvent): ReleaseState {
  const found = app(state, appName, event).releases.find((r) => r.version === version);
  if (found === undefined) throw corrupt(event, `release ${version} does not exist`);
  return found;
}

/** Process types new in the release start at their manifest count; known ones keep their scale; gone ones go. */
function scaleFor(target: EnvState, r: ReleaseState): void {
  for (const [type, proc] of Object.entries(r.processes)) target.scale[type] ??= proc.count;
  for (const type of Object.keys(target.scale)) if (!(type in r.processes)) delete target.scale[type];
}

function deployOf(target: EnvState, deployId: string, event: StoredEvent): EnvState['deploys'][number] {
  const found = target.deploys.find((d) => d.id === deployId);
  if (found === undefined) throw corrupt(event, `deploy ${deployId} does not exist`);
  return found;
}

function corrupt(event: StoredEvent, why: string): TrcError {
  return new TrcError('TRC_INTERNAL', `event ${event.seq} (${event.type}) cannot be applied: ${why}`);
}

const HANDLERS: { [T in EventType]: Handler<T> } = {
  OrgCreated: (s, p, e) => {
    s.orgs.set(p.org, { name: p.org, createdAt: e.time, quotas: { ...UNLIMITED } });
  },
  ApiTokenCreated: (s, p, e) => {
    s.tokens.set(p.tokenId, { id: p.tokenId, kind: p.kind, name: p.name, sha256: p.sha256, org: p.org, node: p.node, createdAt: e.time, revoked: false });
    s.tokensBySha256.set(p.sha256, p.tokenId);
  },
  ApiTokenRevoked: (s, p, e) => {
    const token = s.tokens.get(p.tokenId);
    if (token === undefined) throw corrupt(e, `token ${p.tokenId} does not exist`);
    token.revoked = true;
    s.tokensBySha256.delete(token.sha256);
  },
  AppCreated: (s, p, e) => {
    s.apps.set(p.app, { name: p.app, org: p.org, createdAt: e.time, envs: {}, releases: [] });
  },
  AppDeleted: (s, p) => {
    s.apps.delete(p.app);
    for (const key of [...s.slots.keys(), ...s.deferred.keys()]) {
      if (key.startsWith(`${p.app}/`)) {
        s.slots.delete(key);
        s.deferred.delete(key);
      }
    }
  },
  EnvironmentCreated: (s, p, e) => {
    app(s, p.app, e).envs[p.env] = { name: p.env, release: null, deploys: [], scale: {}, secrets: null, restarts: {}, rollout: null };
  },
  ReleaseCreated: (s, p, e) => {
    app(s, p.app, e).releases.push({ version: p.version, image: p.image, digest: p.digest, processes: p.processes, manifest: p.manifest, createdAt: e.time });
  },
  DeployStarted: (s, p, e) => {
    const target = env(s, p.app, p.env, e);
    const r = release(s, p.app, p.release, e);
    const previousRelease = target.release;
    target.release = p.release;
    for (const d of target.deploys) if (d.status === 'rolling') d.status = 'superseded';
    target.deploys.push({ id: p.deployId, release: p.release, startedAt: e.time, status: 'rolling' });
    target.rollout = { deployId: p.deployId, release: p.release, previousRelease, rollback: false };
    // A deploy replaces every instance, so it supersedes any pending restart.
    target.restarts = {};
    scaleFor(target, r);
  },
  ProcessScaled: (s, p, e) => {
    env(s, p.app, p.env, e).scale[p.processType] = p.count;
  },
  SecretBundleVersioned: (s, p, e) => {
    env(s, p.app, p.env, e).secrets = { version: p.version, names: p.names, sealed: p.sealed, updatedAt: e.time };
  },
  RestartRequired: (s, p, e) => {
    env(s, p.app, p.env, e).restarts[p.processType] = { reason: p.reason, bundleVersion: p.bundleVersion, release: p.release, digest: p.digest, since: e.time };
  },
  QuotasChanged: (s, p, e) => {
    const org = s.orgs.get(p.org);
    if (org === undefined) throw corrupt(e, `org "${p.org}" does not exist`);
    org.quotas = p.limits;
  },
  NodeRegistered: (s, p, e) => {
    s.nodes.set(p.node, { name: p.node, cores: p.cores, memoryBytes: p.memoryBytes, reservedMemoryBytes: p.reservedMemoryBytes, status: 'up', downReason: undefined, registeredAt: e.time });
  },
  NodeCapacityReported: (s, p, e) => {
    const node = s.nodes.get(p.node);
    if (node === undefined) throw corrupt(e, `node "${p.node}" does not exist`);
    Object.assign(node, { cores: p.cores, memoryBytes: p.memoryBytes, reservedMemoryBytes: p.reservedMemoryBytes });
  },
  NodeMarkedDown: (s, p, e) => {
    const node = s.nodes.get(p.node);
    if (node === undefined) throw corrupt(e, `node "${p.node}" does not exist`);
    node.status = 'down';
    node.downReason = p.reason;
  },
  NodeMarkedUp: (s, p, e) => {
    const node = s.nodes.get(p.node);
    if (node === undefined) throw corrupt(e, `node "${p.node}" does not exist`);
    node.status = 'up';
    node.downReason = undefined;
    for (const id of s.blocked.keys()) if (s.instances.get(id)?.node === p.node) s.blocked.delete(id);
  },
  ClusterSettingsChanged: (s, p) => {
    s.settings = { cpuOvercommit: p.cpuOvercommit, memorySafetyBufferBytes: p.memorySafetyBufferBytes };
  },
  InstancePlaced: (s, p, e) => {
    s.instances.set(p.instanceId, {
      id: p.instanceId, app: p.app, org: p.org, env: p.env, processType: p.processType, release: p.release, digest: p.digest, bundleVersion: p.bundleVersion,
      node: p.node, cpu: p.cpu, memoryBytes: p.memoryBytes, placedAt: e.time, reason: p.reason, volume: p.volume, deployId: p.deployId, desired: 'running', actual: 'pending', detail: undefined,
    });
    s.deferred.delete(slotKey(p.app, p.env, p.processType));
  },
  InstanceStopRequested: (s, p, e) => {
    const instance = s.instances.get(p.instanceId);
    if (instance === undefined) throw corrupt(e, `instance ${p.instanceId} does not exist`);
    instance.desired = 'stopped';
    s.blocked.delete(p.instanceId);
    if (instance.actual === 'pending' || instance.actual === 'stopped' || instance.actual === 'exited') s.instances.delete(p.instanceId);
  },
  InstanceStateReported: (s, p, e) => {
    const instance = s.instances.get(p.instanceId);
    // A late report about an instance already gone changes nothing.
    if (instance === undefined) return;
    if (instance.actual !== p.state) instance.actualSince = e.time;
    instance.actual = p.state;
    instance.detail = p.detail;
    if (p.address !== undefined) instance.address = p.address;
    if (instance.desired === 'stopped' && (p.state === 'stopped' || p.state === 'exited')) s.instances.delete(p.instanceId);
  },
  RestartCompleted: (s, p, e) => {
    delete env(s, p.app, p.env, e).restarts[p.processType];
  },
  RouteCreated: (s, p, e) => {
    s.routes.set(routeKey(p.app, p.env, p.route), { app: p.app, org: p.org, env: p.env, name: p.route, processType: p.processType, port: p.port, proxyProtocol: p.proxyProtocol, address: p.address, createdAt: e.time });
  },
  RouteDeleted: (s, p) => {
    s.routes.delete(routeKey(p.app, p.env, p.route));
  },
  Ipv4PoolChanged: (s, p) => {
    s.ipv4Pool = [...p.addresses];
  },
  Ipv4AddressAllocated: (s, p, e) => {
    s.ipv4.set(p.address, { address: p.address, app: p.app, org: p.org, env: p.env, allocatedAt: e.time });
  },
  Ipv4AddressReleased: (s, p) => {
    s.ipv4.delete(p.address);
  },
  VolumeCreated: (s, p, e) => {
    const id = routeKey(p.app, p.env, p.volume);
    s.volumes.set(id, { id, app: p.app, org: p.org, env: p.env, name: p.volume, processType: p.processType, sizeBytes: p.sizeBytes, backupEnabled: p.backupEnabled, node: p.node, createdAt: e.time });
  },
  VolumeDeleted: (s, p) => {
    s.volumes.delete(routeKey(p.app, p.env, p.volume));
  },
  InstanceRescheduleBlocked: (s, p) => {
    s.blocked.set(p.instanceId, p.reason);
  },
  InstanceOomKilled: (s, p, e) => {
    const instance = s.instances.get(p.instanceId);
    if (instance === undefined) return;
    if (instance.actual !== 'exited') instance.actualSince = e.time;
    instance.actual = 'exited';
    instance.detail = p.message;
    if (instance.desired === 'stopped') s.instances.delete(p.instanceId);
  },
  DeployCompleted: (s, p, e) => {
    const target = env(s, p.app, p.env, e);
    deployOf(target, p.deployId, e).status = 'completed';
    target.rollout = null;
  },
  DeployFailed: (s, p, e) => {
    const target = env(s, p.app, p.env, e);
    deployOf(target, p.deployId, e).status = 'failed';
    if (p.previousRelease === null) {
      target.rollout = null;
      return;
    }
    const previous = release(s, p.app, p.previousRelease, e);
    target.release = p.previousRelease;
    target.rollout = { deployId: p.deployId, release: p.previousRelease, previousRelease: null, rollback: true };
    scaleFor(target, previous);
    // A secret rotation still pending restarts the previous release's instances, not the failed one's.
    for (const [type, pending] of Object.entries(target.restarts)) {
      if (type in previous.processes) target.restarts[type] = { ...pending, release: previous.version, digest: previous.digest };
      else delete target.restarts[type];
    }
  },
  DeployRolledBack: (s, p, e) => {
    const target = env(s, p.app, p.env, e);
    deployOf(target, p.deployId, e).status = 'rolled-back';
    target.rollout = null;
  },
  // Route backend health is read from the log by the route status (commands/edges.ts), not projected.
  RouteBackendMarkedUnhealthy: () => undefined,
  RouteBackendMarkedHealthy: () => undefined,
  BackupPolicyChanged: (s, p) => {
    s.backupPolicy = { enabled: p.enabled, intervalHours: p.intervalHours, retention: p.retention, disabledEnvs: [...p.disabledEnvs] };
  },
  InstanceDrainStarted: (s, p, e) => {
    const instance = s.instances.get(p.instanceId);
    if (instance === undefined) throw corrupt(e, `instance ${p.instanceId} does not exist`);
    instance.drainingSince = e.time;
    instance.drainingFor = p.reason;
    instance.drainGraceMs = p.graceMs;
  },
  InstanceReplaced: (s, p) => {
    const key = slotKey(p.app, p.env, p.processType);
    const slot = s.slots.get(key) ?? { failures: [], crashLooping: false };
    slot.failures = [...slot.failures, p.failedAt].slice(-10);
    // An instance that ran past the crash-loop window was not crash-looping: the slot starts afresh.
    if (!p.quick) slot.crashLooping = false;
    s.slots.set(key, slot);
  },
  ProcessTypeCrashLooped: (s, p) => {
    const key = slotKey(p.app, p.env, p.processType);
    s.slots.set(key, { failures: s.slots.get(key)?.failures ?? [], crashLooping: true });
  },
  ReplacementDeferred: (s, p) => {
    s.deferred.set(slotKey(p.app, p.env, p.processType), p.reason);
  },
  RestartAbandoned: (s, p, e) => {
    delete env(s, p.app, p.env, e).restarts[p.processType];
  },
  // A record for people and tools reading the log; the pull's effect on the instance is its state reports.
  ImagePulled: () => undefined,
  EnvironmentDeleted: (s, p, e) => {
    env(s, p.app, p.env, e);
    delete app(s, p.app, e).envs[p.env];
    // Failure history and deferrals belong to the environment: one of the same name created later starts afresh.
    const prefix = slotKey(p.app, p.env, '');
    for (const key of [...s.slots.keys(), ...s.deferred.keys()]) {
      if (key.startsWith(prefix)) {
        s.slots.delete(key);
        s.deferred.delete(key);
      }
    }
  },
};

/** Applies one event in seq order. Mutates `state` (a replay owns its state) and returns it. */
export function reduce(state: ControlState, event: StoredEvent): ControlState {
  if (event.seq <= state.seq) throw corrupt(event, `seq is not after ${state.seq}`);
  const expectedVersion = (state.versions.get(event.aggregateId) ?? 0) + 1;
  if (event.aggregateVersion !== expectedVersion) throw corrupt(event, `expected version ${expectedVersion} of ${event.aggregateId}`);
  if (!isEventType(event.type)) throw corrupt(event, 'unknown event type (written by a newer control plane?)');
  (HANDLERS[event.type] as Handler<EventType>)(state, event.payload as EventPayloads[EventType], event);
  state.seq = event.seq;
  state.versions.set(event.aggregateId, event.aggregateVersion);
  return state;
}
