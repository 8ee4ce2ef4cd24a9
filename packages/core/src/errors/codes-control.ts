// Error codes of the control area. Append only: a code is never renamed, renumbered or reused.
export const CONTROL_CODES = {
} as const;
