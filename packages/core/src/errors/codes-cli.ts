// Error codes of the cli area. Append only: a code is never renamed, renumbered or reused.
export const CLI_CODES = {
} as const;
