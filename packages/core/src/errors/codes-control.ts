// Error codes of the control area. Append only: a code is never renamed, renumbered or reused.
export const CONTROL_CODES = {
  TRC_CONFLICT: { kind: 'user', status: 409, summary: 'Someone else changed the same thing first (an aggregate moved past the expected version); re-read and retry.' },
  TRC_STORE_CLOSED: { kind: 'bug', status: 503, summary: 'The event store was used after it was closed (the control plane is shutting down).' },
  TRC_STORE_UNAVAILABLE: { kind: 'bug', status: 503, summary: 'The event store could not write or read its database (disk, PostgreSQL connection); nothing was acknowledged.' },
  TRC_UNAUTHENTICATED: { kind: 'user', status: 401, summary: 'The request carries no API token, or one the platform does not know (or that was revoked).' },
  TRC_FORBIDDEN: { kind: 'user', status: 403, summary: 'The token is valid but may not do this (an org token on an operator route, a node token on an app).' },
  TRC_NOT_FOUND: { kind: 'user', status: 404, summary: 'The resource does not exist, or belongs to another org (the API never says which).' },
  TRC_ROUTE_NOT_FOUND: { kind: 'user', status: 404, summary: 'No API endpoint has this method and path.' },
  TRC_ALREADY_EXISTS: { kind: 'user', status: 409, summary: 'A resource with this name exists already.' },
  TRC_PAYLOAD_TOO_LARGE: { kind: 'user', status: 413, summary: 'The request body is larger than the API accepts.' },
  TRC_UNSUPPORTED_MEDIA_TYPE: { kind: 'user', status: 415, summary: 'The request body is not JSON.' },
  TRC_RELEASE_INVALID: { kind: 'user', status: 400, summary: 'A release cannot be created: the image is not pinned to a digest, or a process type is unusable.' },
  TRC_NOT_DEPLOYED: { kind: 'user', status: 409, summary: 'The environment has no release deployed yet, so it cannot be scaled or restarted.' },
  TRC_SECRET_KEY_INVALID: { kind: 'user', status: 400, summary: 'A secret key is not a name a shell can use: `[A-Z0-9_]+`, not starting with a digit.' },
  TRC_MASTER_KEY_INVALID: { kind: 'bug', status: 500, summary: 'The platform master key file is unreadable, has the wrong size, or does not match the key that sealed the secrets.' },
  TRC_IPV4_POOL_EXHAUSTED: { kind: 'user', status: 409, summary: 'Every IPv4 address of the operator\'s pool is allocated.' },
  TRC_IPV4_IN_USE: { kind: 'user', status: 409, summary: 'The IPv4 address still carries routes, so it cannot be released.' },
} as const;
