// Error codes of the secrets area. Append only: a code is never renamed, renumbered or reused.
export const SECRETS_CODES = {
} as const;
