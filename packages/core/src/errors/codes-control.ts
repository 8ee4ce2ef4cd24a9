// Error codes of the control area. Append only: a code is never renamed, renumbered or reused.
export const CONTROL_CODES = {
  TRC_CONFLICT: { kind: 'user', status: 409, summary: 'Someone else changed the same thing first (an aggregate moved past the expected version); re-read and retry.' },
  TRC_STORE_CLOSED: { kind: 'bug', status: 503, summary: 'The event store was used after it was closed (the control plane is shutting down).' },
  TRC_STORE_UNAVAILABLE: { kind: 'bug', status: 503, summary: 'The event store could not write or read its database (disk, PostgreSQL connection); nothing was acknowledged.' },
} as const;
