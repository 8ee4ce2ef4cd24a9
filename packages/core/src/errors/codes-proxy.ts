// Error codes of the proxy area. Append only: a code is never renamed, renumbered or reused.
export const PROXY_CODES = {
} as const;
