// Error codes of the edge area. Append only: a code is never renamed, renumbered or reused.
export const EDGE_CODES = {
} as const;
