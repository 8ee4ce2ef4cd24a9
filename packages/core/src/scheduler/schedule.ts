// The scheduler's entry point: a pure, deterministic function from a cluster snapshot and placement
// requests to a Plan. No I/O and no randomness of its own: the seed comes in with the call.
import { checkRequests } from './requests.ts';
import { startPlan } from './planner.ts';
import type { PlacementRequest, Plan, ScheduleOptions, Snapshot } from './types.ts';

/**
 * Places every instance of every request, in request order, each decision accounting for the ones
 * before it. The snapshot is not modified. Throws TRC_SCHEDULER_INVALID_REQUEST (every problem listed)
 * or TRC_SCHEDULER_INVALID_SNAPSHOT; instances that do not fit are failures in the Plan, not errors.
 */
export function schedule(snapshot: Snapshot, requests: readonly PlacementRequest[], options: ScheduleOptions): Plan {
  checkRequests(requests);
  const planner = startPlan(snapshot, options);
  for (const request of requests) planner.place(request);
  return planner.plan();
}
