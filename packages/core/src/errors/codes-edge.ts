// Error codes of the edge area. Append only: a code is never renamed, renumbered or reused.
export const EDGE_CODES = {
  TRC_EDGE_USAGE: { kind: 'user', status: 400, summary: 'platform-edge was started with a missing, unknown or malformed option.' },
  TRC_EDGE_ROUTES_UNREADABLE: { kind: 'user', status: 400, summary: 'The routes file given to --routes cannot be read.' },
  TRC_EDGE_ROUTES_SYNTAX: { kind: 'user', status: 400, summary: 'The routes file is not valid TOML; the message gives the line and column.' },
  TRC_EDGE_ROUTES_INVALID: { kind: 'user', status: 400, summary: 'The routes file is invalid; every problem is listed with its path and its own code, and no route is changed.' },
  TRC_EDGE_INVALID_ADDRESS: { kind: 'user', status: 400, summary: 'A listen or backend address is not an IP literal with a port ("127.0.0.1:5432", "[::1]:5432").' },
  TRC_EDGE_DUPLICATE_ROUTE: { kind: 'user', status: 400, summary: 'Two routes in the routes file have the same name.' },
  TRC_EDGE_DUPLICATE_BACKEND: { kind: 'user', status: 400, summary: 'A route lists the same backend address twice.' },
  TRC_EDGE_LISTEN_CONFLICT: { kind: 'user', status: 400, summary: 'Two routes listen on the same address.' },
  TRC_EDGE_LISTEN_FAILED: { kind: 'user', status: 409, summary: 'The edge cannot listen on a route or admin address (in use, not local, or not permitted).' },
  TRC_EDGE_CONTROL_REFUSED: { kind: 'user', status: 401, summary: 'The control plane refused the edge\'s token (unknown, revoked, or not a node or operator token).' },
  TRC_EDGE_CONTROL_UNREACHABLE: { kind: 'bug', status: 503, summary: 'The edge cannot reach the control plane given to --control, or it answered with an error; the edge keeps its last table and retries.' },
  TRC_EDGE_CONTROL_TABLE_INVALID: { kind: 'bug', status: 502, summary: 'The routing table the control plane sent is not one the edge understands (a version mismatch); the running routes stay.' },
} as const;
