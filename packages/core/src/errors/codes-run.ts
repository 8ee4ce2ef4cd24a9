// Error codes of `make run` (scripts/run.ts). Append only: a code is never renamed, renumbered or reused.
export const RUN_CODES = {
  TRC_RUN_USAGE: { kind: 'user', status: 400, summary: '`scripts/run.ts` was given an unknown option or a bad value (a port, the name, the subnet).' },
  TRC_RUN_NEEDS_ROOT: { kind: 'user', status: 403, summary: '`make run` was started without root: runc, network namespaces and nftables need it.' },
  TRC_RUN_MISSING_TOOL: { kind: 'user', status: 400, summary: 'A host tool `make run` needs (runc, ip, nft, docker-registry, busybox) is not installed.' },
  TRC_RUN_STATE_LOST: { kind: 'user', status: 409, summary: 'The data directory has a control plane but not the operator token it printed once; the state cannot be reused.' },
  TRC_RUN_START_FAILED: { kind: 'user', status: 400, summary: 'A program or step of `make run` did not come up in time (a port in use, a program that exited); its log says why.' },
} as const;
