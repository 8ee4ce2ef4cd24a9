// What an instance's node agent last said about its image pull (phase, layers, bytes), kept in memory like
// node capabilities: progress changes every few hundred milliseconds and is worthless after the start, so it
// never goes into the event log. Only the end of a pull is: one ImagePulled (image, bytes, duration, cached).
// A restarted control plane shows no progress until the next report.
import { isTrcError, type PullProgress } from '@trc/core';
import { aggregates } from '../state/state.ts';
import { forbidden, notFound, requireApp, type Actor } from './actor.ts';
import type { Control } from './control.ts';

export { PULL_PHASES, type PullPhase } from '@trc/core';
/** The body an agent reports. */
export type PullProgressInput = PullProgress;

export interface PullProgressView extends PullProgressInput {
  readonly instance: string;
  readonly node: string;
  readonly reportedAt: string;
}

/** A bound on what a misbehaving node can make the control plane hold. */
const MAX_ENTRIES = 10_000;
const tables = new WeakMap<Control, Map<string, PullProgressView>>();

function table(control: Control): Map<string, PullProgressView> {
  let t = tables.get(control);
  if (t === undefined) {
    t = new Map();
    tables.set(control, t);
  }
  return t;
}

/** The node running the instance reports its pull; any other actor is refused, another node is told "not found". */
export async function reportPullProgress(control: Control, actor: Actor, node: string, instanceId: string, input: PullProgressInput, now: Date): Promise<PullProgressView> {
  if (actor.kind !== 'node' || actor.node !== node) throw actor.kind === 'node' ? notFound(`node "${node}"`) : forbidden('report pull progress (only the node running the instance may)');
  const instance = (await control.read()).instances.get(instanceId);
  if (instance === undefined || instance.node !== node) throw notFound(`instance "${instanceId}" on node "${node}"`);
  const entry: PullProgressView = {
    instance: instanceId, node, phase: input.phase, image: input.image, layers: input.layers, layersDone: Math.min(input.layersDone, input.layers),
    bytesDone: input.bytesDone, bytesTotal: input.bytesTotal, cached: input.cached, ...(input.durationMs === undefined ? {} : { durationMs: input.durationMs }), reportedAt: now.toISOString(),
  };
  const t = table(control);
  const before = t.get(instanceId);
  t.delete(instanceId);
  t.set(instanceId, entry);
  if (entry.phase === 'pulled' && before?.phase !== 'pulled') {
    const payload = { instanceId, app: instance.app, org: instance.org, node, image: entry.image, layers: entry.layers, bytes: entry.bytesTotal, durationMs: entry.durationMs ?? 0, cached: entry.cached };
    const aggregateId = aggregates.instance(instanceId);
    // The instance's aggregate also takes its state reports: one retry covers a report landing in between.
    for (let attempt = 1; ; attempt++) {
      try {
        await control.commit(actor, [{ aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'ImagePulled', payload }] }]);
        break;
      } catch (error) {
        if (!isTrcError(error) || error.code !== 'TRC_CONFLICT' || attempt >= 3) throw error;
      }
    }
  }
  // Oldest first in insertion order: the ones dropped are the ones reported longest ago.
  for (const key of t.keys()) {
    if (t.size <= MAX_ENTRIES) break;
    t.delete(key);
  }
  return entry;
}

/** The instance's last pull report (null if none since the control plane started); org-scoped like the app. */
export async function pullProgress(control: Control, actor: Actor, appName: string, instanceId: string): Promise<{ instance: string; progress: PullProgressView | null }> {
  const state = await control.read();
  requireApp(state, actor, appName);
  const instance = state.instances.get(instanceId);
  if (instance === undefined || instance.app !== appName) throw notFound(`instance "${instanceId}" of app "${appName}"`);
  const entry = table(control).get(instanceId);
  // An entry from another placement of the same id cannot exist (ids are never reused), but a node moved away can.
  return { instance: instanceId, progress: entry === undefined || entry.node !== instance.node ? null : entry };
}
