// One step of every rolling deploy: instances of other releases are replaced by instances of the deployed
// one, at most `maxUnavailable` new ones not yet healthy per process type, and a new instance that exits or
// fails its health check stops the rollout and turns it back to the previous release.
import type { Change, Control } from './control.ts';
import type { AppState, ControlState, EnvState, InstanceState } from '../state/state.ts';
import { add, intentsOf, replace, sameVolume } from './instances.ts';
import { FAILED, runningOf, stopChange, type InstanceGroup } from './placement.ts';


/** Broken instances are replaced first, then those not yet up, and healthy ones last. */
function replacementOrder(i: InstanceState): number {
  return FAILED.has(i.actual) ? 0 : i.actual === 'healthy' ? 2 : 1;
}

export interface DeployStepReport {
  /** Events appended by this step. */
  readonly events: number;
  /** Old instances whose replacement found no room this time; a later step tries again. */
  readonly waiting: readonly { instance: string; reason: string }[];
}

/**
 * Advances every rollout by one step (ADR 0010's rolling machinery, applied to deploys):
 * - a new instance of a forward rollout reported `exited` or `unhealthy`: DeployFailed. With a previous
 *   release, the rollout turns around (DeployFailed sets it as the target): from the next step on, the
 *   failed instance first, then every instance of the failed release, is replaced by one of the previous
 *   release, with the same limits; DeployRolledBack when done. Old instances not yet replaced were never
 *   stopped, so they serve throughout. A first deploy has nothing to return to: it just stops rolling.
 * - otherwise, per process type, while fewer than `maxUnavailable` instances of the target release are
 *   not yet healthy: stop one instance of another release and place its replacement in the same append.
 * - no instance of another release left and every one of the target release healthy: DeployCompleted
 *   (or DeployRolledBack).
 */
export async function advanceDeploys(control: Control, maxUnavailable = 1): Promise<DeployStepReport> {
  const state = await control.read();
  const byApp = new Map<string, Change[]>();
  const replacements: { old: InstanceState; group: InstanceGroup }[] = [];
  for (const app of state.apps.values()) {
    for (const env of Object.values(app.envs)) {
      if (env.rollout !== null) step(state, app, env, maxUnavailable, byApp, replacements);
    }
  }
  const waiting = replace(state, control, replacements, 'deploy', byApp);
  const intents = intentsOf(control, byApp);
  if (intents.length > 0) await control.commit({ kind: 'system' }, intents);
  return { events: intents.reduce((sum, i) => sum + i.changes.length, 0), waiting };
}

function step(state: ControlState, app: AppState, env: EnvState, maxUnavailable: number, byApp: Map<string, Change[]>, replacements: { old: InstanceState; group: InstanceGroup }[]): void {
  const rollout = env.rollout!;
  const release = app.releases.find((r) => r.version === rollout.release)!;
  const ids = { deployId: rollout.deployId, app: app.name, org: app.org, env: env.name };
  const running = runningOf(state, app.name, env.name);
  if (!rollout.rollback) {
    // Only an instance this deploy placed can fail it; older failed ones are simply replaced.
    const failed = running.find((i) => i.deployId === rollout.deployId && i.release === rollout.release && FAILED.has(i.actual));
    if (failed !== undefined) {
      const reason = `instance ${failed.id} (${failed.processType}) of release ${rollout.release} reported ${failed.actual}${failed.detail === undefined ? '' : `: ${failed.detail}`}`;
      add(byApp, app.name, { type: 'DeployFailed', payload: { ...ids, release: rollout.release, previousRelease: rollout.previousRelease, instanceId: failed.id, reason: reason.slice(0, 500) } });
      return;
    }
  }
  let done = true;
  // Process types the target release does not have: nothing replaces them, they just stop.
  for (const i of running.filter((i) => !(i.processType in release.processes))) {
    add(byApp, app.name, stopChange(i, 'deploy'));
    done = false;
  }
  const bundleVersion = env.secrets?.version ?? 0;
  for (const [processType, proc] of Object.entries(release.processes)) {
    const mine = running.filter((i) => i.processType === processType);
    const replaced = (i: InstanceState): boolean => i.release !== rollout.release || (FAILED.has(i.actual) && i.deployId !== rollout.deployId);
    const old = mine.filter(replaced).sort((a, b) => replacementOrder(a) - replacementOrder(b));
    // A rollback never fails itself: its own failed instances do not hold it open (their state says why).
    const unavailable = mine.filter((i) => !replaced(i) && i.actual !== 'healthy' && !(rollout.rollback && FAILED.has(i.actual))).length;
    if (old.length > 0 || unavailable > 0) done = false;
    for (const i of old.slice(0, Math.max(0, maxUnavailable - unavailable))) {
      replacements.push({
        old: i,
        group: { app: app.name, org: app.org, env: env.name, processType, release: release.version, digest: release.digest, bundleVersion, cpu: proc.cpu, memoryBytes: proc.memoryBytes, count: 1, reason: 'deploy', deployId: rollout.deployId, ...sameVolume(i) },
      });
    }
  }
  if (done) add(byApp, app.name, { type: rollout.rollback ? 'DeployRolledBack' : 'DeployCompleted', payload: { ...ids, release: rollout.release } });
}
