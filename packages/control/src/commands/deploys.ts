// One step of every rolling deploy (the shared machinery of rolling.ts): instances of other releases are
// replaced by instances of the deployed one, surge first, and a new instance that exits, fails its health check
// or stays silent past its health deadline stops the rollout and turns it back to the previous release.
import type { Change, Control } from './control.ts';
import type { AppState, ControlState, EnvState, InstanceState } from '../state/state.ts';
import { add, intentsOf } from './instances.ts';
import { FAILED, runningOf, stopChange } from './placement.ts';
import { deferredChange, healthDeadlineMs, overdue, rollGroup, rollingOptions, viewOf, type RollingOptions, type View } from './rolling.ts';

export interface DeployStepReport {
  /** Events appended by this step. */
  readonly events: number;
  /** Process types whose replacement found no room this time; a later step tries again. */
  readonly waiting: readonly { instance: string; reason: string }[];
}

/**
 * Advances every rollout by one step (ADR 0010's rolling machinery, applied to deploys):
 * - a new instance of a forward rollout reported `exited` or `unhealthy`, or is not healthy past its health
 *   deadline: DeployFailed. With a previous release, the rollout turns around (DeployFailed sets it as the
 *   target); the same machinery then replaces the failed release's instances; DeployRolledBack when done.
 *   Old instances not yet replaced were never stopped, so they serve throughout. A first deploy has nothing
 *   to return to: it just stops rolling.
 * - otherwise, per process type, one pass of rollGroup (surge, retire, replace in place).
 * - no instance of another release left and every one of the target release healthy: DeployCompleted
 *   (or DeployRolledBack).
 * A bare number is the first machinery (max unavailable, no surge, no drain; see rollingOptions).
 */
export async function advanceDeploys(control: Control, opts: number | Partial<RollingOptions> = {}): Promise<DeployStepReport> {
  const options = rollingOptions(opts);
  const state = await control.read();
  const view = viewOf(state, control.deps.random);
  const byApp = new Map<string, Change[]>();
  const waiting: { instance: string; reason: string }[] = [];
  for (const app of state.apps.values()) {
    for (const env of Object.values(app.envs)) {
      if (env.rollout !== null) step(state, view, app, env, options, byApp, waiting);
    }
  }
  const intents = intentsOf(control, byApp);
  if (intents.length > 0) await control.commit({ kind: 'system' }, intents);
  return { events: intents.reduce((sum, i) => sum + i.changes.length, 0), waiting };
}

function step(state: ControlState, view: View, app: AppState, env: EnvState, options: RollingOptions, byApp: Map<string, Change[]>, waiting: { instance: string; reason: string }[]): void {
  const rollout = env.rollout!;
  const release = app.releases.find((r) => r.version === rollout.release)!;
  const ids = { deployId: rollout.deployId, app: app.name, org: app.org, env: env.name };
  const running = runningOf(state, app.name, env.name);
  const deadline = (i: InstanceState): string | undefined => overdue(i, healthDeadlineMs(release.manifest, i.processType, options), options.now);
  const mine = (i: InstanceState): boolean => i.deployId === rollout.deployId && i.release === rollout.release;
  if (!rollout.rollback) {
    // Only an instance this deploy placed can fail it; older failed ones are simply replaced.
    for (const i of running.filter(mine)) {
      const why = FAILED.has(i.actual) ? `reported ${i.actual}${i.detail === undefined ? '' : `: ${i.detail}`}` : deadline(i);
      if (why === undefined) continue;
      const reason = `instance ${i.id} (${i.processType}) of release ${rollout.release} ${why}`;
      add(byApp, app.name, { type: 'DeployFailed', payload: { ...ids, release: rollout.release, previousRelease: rollout.previousRelease, instanceId: i.id, reason: reason.slice(0, 500) } });
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
    const template = { app: app.name, org: app.org, env: env.name, processType, release: release.version, digest: release.digest, bundleVersion, cpu: proc.cpu, memoryBytes: proc.memoryBytes, count: 1, reason: 'deploy' as const, deployId: rollout.deployId };
    const result = rollGroup(view, {
      template,
      desired: env.scale[processType] ?? proc.count,
      isNew: (i) => i.release === rollout.release && !(FAILED.has(i.actual) && i.deployId !== rollout.deployId),
      // A rollback never fails itself: its own failed or overdue instances do not hold it open (their state says why).
      ...(rollout.rollback ? { settled: (i: InstanceState) => mine(i) && (FAILED.has(i.actual) || deadline(i) !== undefined) } : {}),
    }, options);
    add(byApp, app.name, ...result.changes);
    if (!result.done) done = false;
    if (result.waiting !== undefined) {
      waiting.push({ instance: `${app.name}/${env.name}/${processType}`, reason: result.waiting });
      const said = deferredChange(state, template, result.waiting);
      if (said !== undefined) add(byApp, app.name, said);
    }
  }
  if (done) add(byApp, app.name, { type: rollout.rollback ? 'DeployRolledBack' : 'DeployCompleted', payload: { ...ids, release: rollout.release } });
}
