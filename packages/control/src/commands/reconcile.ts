// One pass of the control plane's reconciler: mark silent nodes down, move instances off down nodes, stop
// drained instances, replace failed ones, and advance every rolling deploy and rolling restart by a step.
// platform-control runs it on a timer; tests call it directly.
import type { Control } from './control.ts';
import { advanceDeploys } from './deploys.ts';
import { advanceRestarts, intentsOf, add, rescheduleFromDownNodes } from './instances.ts';
import { DEFAULT_REPLACE, replaceFailedInstances, type ReplaceOptions } from './lifecycle.ts';
import { markSilentNodesDown } from './nodes.ts';
import { DEFAULT_ROLLING, finishedDrains, type RollingOptions } from './rolling.ts';
import type { Change } from './control.ts';

export interface ReconcileOptions extends Partial<Omit<RollingOptions, 'now'>>, Partial<Omit<ReplaceOptions, 'now'>> {
  /** When the control plane started: a node never heard from since counts from then. */
  readonly startedAt: Date;
  readonly nodeTimeoutMs: number;
}

export interface ReconcileReport {
  readonly markedDown: readonly string[];
  readonly moved: number;
  readonly waiting: readonly { instance: string; reason: string }[];
  readonly deployEvents: number;
  readonly restartEvents: number;
  /** Failed instances replaced this pass. */
  readonly replaced: number;
  /** Drained instances asked to stop this pass. */
  readonly stopped: number;
}

export async function reconcileOnce(control: Control, now: Date, heartbeats: ReadonlyMap<string, number>, options: ReconcileOptions): Promise<ReconcileReport> {
  // The grace the control plane was configured with is the one scale-downs drained with (apps.ts).
  const configured = control.deps.drainGraceMs === undefined ? {} : { drainGraceMs: control.deps.drainGraceMs };
  const rolling: RollingOptions = { ...DEFAULT_ROLLING, ...configured, ...defined(options, ['maxUnavailable', 'maxSurge', 'drainGraceMs', 'healthDeadlineMs']), now };
  const replace: ReplaceOptions = { ...DEFAULT_REPLACE, ...defined(options, ['unhealthyAfterMs', 'backoffBaseMs', 'backoffMaxMs', 'crashLoopFailures', 'crashLoopWindowMs']), now };
  const markedDown = await markSilentNodesDown(control, now, options.startedAt, heartbeats, options.nodeTimeoutMs);
  const { moved, waiting } = await rescheduleFromDownNodes(control);
  const stopped = await stopDrained(control, rolling);
  const healed = await replaceFailedInstances(control, replace);
  // Deploys before restarts: a finished rollout lets a pending restart proceed in the same pass.
  const deploys = await advanceDeploys(control, rolling);
  const restartEvents = await advanceRestarts(control, rolling);
  return { markedDown, moved, waiting: [...waiting, ...healed.waiting, ...deploys.waiting], deployEvents: deploys.events, restartEvents, replaced: healed.replaced, stopped };
}

/** Asks the node agents to stop every instance whose drain grace has passed (the edges dropped it already). */
export async function stopDrained(control: Control, options: RollingOptions): Promise<number> {
  const state = await control.read();
  const byApp = new Map<string, Change[]>();
  for (const change of finishedDrains(state, options)) if (change.type === 'InstanceStopRequested') add(byApp, change.payload.app, change);
  const intents = intentsOf(control, byApp);
  if (intents.length > 0) await control.commit({ kind: 'system' }, intents);
  return intents.reduce((sum, i) => sum + i.changes.length, 0);
}

function defined<K extends string>(o: Partial<Record<K, number>>, keys: readonly K[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
