// One pass of the control plane's reconciler: mark silent nodes down, move instances off down nodes, and
// advance every rolling deploy and rolling restart by a step. platform-control runs it on a timer; tests call it directly.
import type { Control } from './control.ts';
import { advanceDeploys } from './deploys.ts';
import { advanceRestarts, rescheduleFromDownNodes } from './instances.ts';
import { markSilentNodesDown } from './nodes.ts';

export interface ReconcileOptions {
  /** When the control plane started: a node never heard from since counts from then. */
  readonly startedAt: Date;
  readonly nodeTimeoutMs: number;
  /** Instances of one process type a rolling deploy or restart may have unavailable at once. */
  readonly maxUnavailable: number;
}

export interface ReconcileReport {
  readonly markedDown: readonly string[];
  readonly moved: number;
  readonly waiting: readonly { instance: string; reason: string }[];
  readonly deployEvents: number;
  readonly restartEvents: number;
}

export async function reconcileOnce(control: Control, now: Date, heartbeats: ReadonlyMap<string, number>, options: ReconcileOptions): Promise<ReconcileReport> {
  const markedDown = await markSilentNodesDown(control, now, options.startedAt, heartbeats, options.nodeTimeoutMs);
  const { moved, waiting } = await rescheduleFromDownNodes(control);
  // Deploys before restarts: a finished rollout lets a pending restart proceed in the same pass.
  const deploys = await advanceDeploys(control, options.maxUnavailable);
  const restartEvents = await advanceRestarts(control, options.maxUnavailable);
  return { markedDown, moved, waiting: [...waiting, ...deploys.waiting], deployEvents: deploys.events, restartEvents };
}
