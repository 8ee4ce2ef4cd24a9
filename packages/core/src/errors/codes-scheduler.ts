// Error codes of the scheduler area. Append only: a code is never renamed, renumbered or reused.
export const SCHEDULER_CODES = {
} as const;
