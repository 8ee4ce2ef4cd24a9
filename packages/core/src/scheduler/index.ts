// The scheduler's public surface: schedule() for a whole plan, startPlan() to decide one request at a time.
export { schedule } from './schedule.ts';
export { startPlan, defaultCandidates, type Planner } from './planner.ts';
export type { NodeStatus, RunningInstance, SnapshotNode, Snapshot, PlacementRequest, ScheduleOptions, Placement, PlacementFailure, Plan } from './types.ts';
