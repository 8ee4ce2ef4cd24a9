// The instance lifecycle after placement: node agents report what they observe, secret rotations roll
// through each marked (env, process type) one replacement at a time, and instances on a down node move.
import { INSTANCE_ACTUAL_STATES, TrcError, formatMemory, type EventPayloads, type InstanceActualState, type InstanceView, type NodeAssignment } from '@trc/core';
import { bundleContext } from './secrets.ts';
import { specOf } from './node-instance-spec.ts';
import { aggregates, type ControlState, type InstanceState } from '../state/state.ts';
import { forbidden, notFound, requireApp, type Actor } from './actor.ts';
import type { Change, Control, Intent } from './control.ts';
import { isBackendAddress } from './edges.ts';
import { planPlacements, runningOf, stopChange, type InstanceGroup } from './placement.ts';
import { deferredChange, healthDeadlineMs, overdue, rollGroup, rollingOptions, viewOf, type RollingOptions } from './rolling.ts';

export type { InstanceView };

export function instanceView(i: InstanceState): InstanceView {
  return { id: i.id, app: i.app, env: i.env, processType: i.processType, release: i.release, digest: i.digest, bundleVersion: i.bundleVersion, node: i.node, desired: i.desired, actual: i.actual, ...(i.detail === undefined ? {} : { detail: i.detail }), ...(i.drainingSince === undefined ? {} : { drainingSince: i.drainingSince }) };
}

export async function listAppInstances(control: Control, actor: Actor, appName: string): Promise<InstanceView[]> {
  const state = await control.read();
  requireApp(state, actor, appName);
  return [...state.instances.values()].filter((i) => i.app === appName).map(instanceView);
}

/**
 * What a node agent must run: every instance placed on it, with its desired state and its org; one still
 * waiting to be started (desired running, actual pending) carries its spec, so the agent starts it without
 * another round trip.
 */
export async function nodeAssignments(control: Control, actor: Actor, node: string): Promise<NodeAssignment[]> {
  if (actor.kind !== 'operator' && !(actor.kind === 'node' && actor.node === node)) throw actor.kind === 'node' ? notFound(`node "${node}"`) : forbidden('read node assignments');
  const state = await control.read();
  if (!state.nodes.has(node)) throw notFound(`node "${node}"`);
  return [...state.instances.values()].filter((i) => i.node === node).map((i) => {
    const spec = i.desired === 'running' && i.actual === 'pending' ? specOf(state, i) : undefined;
    return { ...instanceView(i), org: i.org, ...(spec === undefined ? {} : { spec }) };
  });
}

export async function reportInstanceState(control: Control, actor: Actor, node: string, instanceId: string, input: { state: InstanceActualState; detail?: string; address?: string }): Promise<InstanceView> {
  if (actor.kind !== 'node' || actor.node !== node) throw actor.kind === 'node' ? notFound(`node "${node}"`) : forbidden('report instance states (only the node running it may)');
  if (!INSTANCE_ACTUAL_STATES.includes(input.state)) throw new TrcError('TRC_INVALID_INPUT', `unknown instance state "${String(input.state).slice(0, 40)}"`, { hint: INSTANCE_ACTUAL_STATES.join(', ') });
  if (input.address !== undefined && !isBackendAddress(input.address)) throw new TrcError('TRC_INVALID_INPUT', `instance address "${input.address.slice(0, 60)}" is not IP:port`, { hint: 'e.g. "10.0.3.7:8080" or "[fd00::7]:8080": where the edge reaches the instance\'s internal port' });
  const state = await control.read();
  const instance = state.instances.get(instanceId);
  if (instance === undefined || instance.node !== node) throw notFound(`instance "${instanceId}" on node "${node}"`);
  const aggregateId = aggregates.instance(instanceId);
  const payload = { instanceId, app: instance.app, org: instance.org, node, state: input.state, ...(input.detail === undefined ? {} : { detail: input.detail.slice(0, 500) }), ...(input.address === undefined ? {} : { address: input.address }) };
  await control.commit(actor, [{ aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'InstanceStateReported', payload }] }]);
  return instanceView({ ...instance, actual: input.state, detail: payload.detail });
}

/**
 * One step of every pending rolling restart (ADR 0010), through the machinery deploys use (rolling.ts):
 * instances of the old bundle are replaced by ones of the same release and digest with the new bundle version,
 * surge first. A new instance not healthy past its health deadline abandons the restart (RestartAbandoned,
 * naming it and why; it is stopped, old instances keep serving). When no old instance is left and every new
 * one is healthy, the restart completes. Returns the number of events appended.
 */
export async function advanceRestarts(control: Control, opts: number | Partial<RollingOptions> = {}): Promise<number> {
  const options = rollingOptions(opts);
  const state = await control.read();
  const view = viewOf(state, control.deps.random);
  const byApp = new Map<string, Change[]>();
  for (const app of state.apps.values()) {
    for (const env of Object.values(app.envs)) {
      // A rollout still replacing instances gives each new one the current bundle anyway; restarts wait for it.
      const rollout = env.rollout;
      if (rollout !== null && runningOf(state, app.name, env.name).some((i) => i.release !== rollout.release)) continue;
      for (const [processType, pending] of Object.entries(env.restarts)) {
        const ids = { app: app.name, org: app.org, env: env.name, processType };
        const release = app.releases.find((r) => r.version === pending.release)!;
        const proc = release.processes[processType]!;
        const deadline = healthDeadlineMs(release.manifest, processType, options);
        const isNew = (i: InstanceState): boolean => i.bundleVersion >= pending.bundleVersion;
        const stuck = runningOf(state, app.name, env.name, processType).filter((i) => isNew(i) && i.drainingSince === undefined).map((i) => ({ i, why: overdue(i, deadline, options.now) })).find((x) => x.why !== undefined);
        if (stuck !== undefined) {
          const reason = `instance ${stuck.i.id} (${processType}) of bundle version ${pending.bundleVersion} ${stuck.why}; the restart stops and the old instances keep serving`;
          add(byApp, app.name, stopChange(stuck.i, 'restart'), { type: 'RestartAbandoned', payload: { ...ids, bundleVersion: pending.bundleVersion, instanceId: stuck.i.id, reason } });
          continue;
        }
        const template = { ...ids, release: pending.release, digest: pending.digest, bundleVersion: pending.bundleVersion, cpu: proc.cpu, memoryBytes: proc.memoryBytes, count: 1, reason: 'restart' as const };
        const result = rollGroup(view, { template, desired: env.scale[processType] ?? proc.count, isNew }, options);
        add(byApp, app.name, ...result.changes);
        if (result.done) add(byApp, app.name, { type: 'RestartCompleted', payload: { ...ids, bundleVersion: pending.bundleVersion, digest: pending.digest } });
        if (result.waiting !== undefined) {
          const said = deferredChange(state, template, result.waiting);
          if (said !== undefined) add(byApp, app.name, said);
        }
      }
    }
  }
  const intents = intentsOf(control, byApp);
  if (intents.length === 0) return 0;
  await control.commit({ kind: 'system' }, intents);
  return intents.reduce((sum, i) => sum + i.changes.length, 0);
}

/** Moves the instances of down nodes elsewhere. Returns how many moved and which still wait for room. */
export async function rescheduleFromDownNodes(control: Control): Promise<{ moved: number; waiting: { instance: string; reason: string }[] }> {
  const state = await control.read();
  const byApp = new Map<string, Change[]>();
  // A draining instance is on its way out (a scale-down or a rollout already replaced it): it gets no successor,
  // and the reconciler stops it once its grace has passed.
  const lost = [...state.instances.values()].filter((i) => i.desired === 'running' && i.drainingSince === undefined && state.nodes.get(i.node)?.status === 'down');
  const groups = lost.map((i) => ({ old: i, group: { app: i.app, org: i.org, env: i.env, processType: i.processType, release: i.release, digest: i.digest, bundleVersion: i.bundleVersion, cpu: i.cpu, memoryBytes: i.memoryBytes, count: 1, reason: 'node-down' as const, ...sameVolume(i) } }));
  const waiting = replace(state, control, groups, 'node-down', byApp);
  for (const w of waiting) {
    const i = state.instances.get(w.instance)!;
    // Said once per reason, not on every pass.
    if (state.blocked.get(i.id) !== w.reason) add(byApp, i.app, { type: 'InstanceRescheduleBlocked', payload: { instanceId: i.id, app: i.app, org: i.org, node: i.node, reason: w.reason } });
  }
  const intents = intentsOf(control, byApp);
  if (intents.length > 0) await control.commit({ kind: 'system' }, intents);
  return { moved: lost.length - waiting.length, waiting };
}

/** Stops each old instance whose replacement could be placed (in one scheduler call); the rest wait. */
export function replace(state: ControlState, control: Control, items: readonly { old: InstanceState; group: InstanceGroup }[], reason: 'restart' | 'node-down' | 'deploy' | 'failure', byApp: Map<string, Change[]>): { instance: string; reason: string }[] {
  const plans = planPlacements(state, items.map((r) => r.group), new Set(items.map((r) => r.old.id)), control.deps.random);
  const waiting: { instance: string; reason: string }[] = [];
  items.forEach(({ old }, k) => {
    const plan = plans[k]!;
    if (plan.failures.length > 0) {
      // No room for a replacement now: the old instance stays as it is and a later step tries again.
      waiting.push({ instance: old.id, reason: plan.failures[0]!.message });
      return;
    }
    add(byApp, old.app, stopChange(old, reason), ...plan.placed);
  });
  return waiting;
}

/** A replacement mounts the volume its predecessor did, so it lands on the same node. */
export function sameVolume(i: InstanceState): { volumes?: string[] } {
  return i.volume === undefined ? {} : { volumes: [i.volume] };
}

/** The node saw the kernel kill an instance at its memory cap: an event that says so plainly. */
export async function reportOomKill(control: Control, actor: Actor, node: string, instanceId: string): Promise<InstanceView> {
  if (actor.kind !== 'node' || actor.node !== node) throw actor.kind === 'node' ? notFound(`node "${node}"`) : forbidden('report instance states (only the node running it may)');
  const state = await control.read();
  const instance = state.instances.get(instanceId);
  if (instance === undefined || instance.node !== node) throw notFound(`instance "${instanceId}" on node "${node}"`);
  const message = `memory limit exceeded: ${instance.processType} instance ${instanceId} used its whole ${formatMemory(instance.memoryBytes)} cap and was killed`;
  const aggregateId = aggregates.instance(instanceId);
  await control.commit(actor, [{ aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'InstanceOomKilled', payload: { instanceId, app: instance.app, org: instance.org, node, memoryBytes: instance.memoryBytes, message } }] }]);
  return instanceView({ ...instance, actual: 'exited', detail: message });
}

export function add(byApp: Map<string, Change[]>, app: string, ...changes: Change[]): void {
  byApp.set(app, [...(byApp.get(app) ?? []), ...changes]);
}

export function intentsOf(control: Control, byApp: Map<string, Change[]>): Intent[] {
  return [...byApp.entries()].filter(([, c]) => c.length > 0).map(([app, changes]) => ({ aggregateId: aggregates.app(app), expectedVersion: control.version(aggregates.app(app)), changes }));
}

/**
 * The secret values an instance boots with: the bundle version it was placed with (read from the log, so an
 * instance of an older version gets exactly its own). Only the node running the instance may ask.
 */
export async function instanceSecrets(control: Control, actor: Actor, node: string, instanceId: string): Promise<Record<string, string>> {
  if (actor.kind !== 'node' || actor.node !== node) throw actor.kind === 'node' ? notFound(`node "${node}"`) : forbidden('read instance secrets (only the node running it may)');
  const state = await control.read();
  const instance = state.instances.get(instanceId);
  if (instance === undefined || instance.node !== node) throw notFound(`instance "${instanceId}" on node "${node}"`);
  if (instance.bundleVersion === 0) return {};
  const versions = await control.deps.store.read({ aggregateId: aggregates.app(instance.app), types: ['SecretBundleVersioned'] });
  const event = versions.map((e) => e.payload as EventPayloads['SecretBundleVersioned']).find((p) => p.env === instance.env && p.version === instance.bundleVersion);
  if (event === undefined) throw new TrcError('TRC_INTERNAL', `secret bundle ${instance.bundleVersion} of ${instance.app}/${instance.env} is not in the log`);
  return control.deps.sealer.open(event.sealed, bundleContext(instance.app, instance.env, instance.bundleVersion));
}
