// Error codes of the agent area. Append only: a code is never renamed, renumbered or reused.
export const AGENT_CODES = {
} as const;
