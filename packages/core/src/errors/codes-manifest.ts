// Error codes of the manifest area. Append only: a code is never renamed, renumbered or reused.
export const MANIFEST_CODES = {
} as const;
