// Error codes of the scheduler area. Append only: a code is never renamed, renumbered or reused.
export const SCHEDULER_CODES = {
  TRC_RESOURCES_INVALID_CLUSTER_SETTINGS: { kind: 'user', status: 400, summary: 'A cluster resource setting (cpu_overcommit, memory_safety_buffer) has the wrong type, is out of range or is unknown; every problem is listed.' },
  TRC_RESOURCES_NODE_TOO_SMALL: { kind: 'user', status: 400, summary: 'A node has no cores, or its reserved host memory plus the safety buffer leave no memory for instances.' },
  TRC_SCHEDULER_INVALID_REQUEST: { kind: 'user', status: 400, summary: 'A placement request has a bad cpu, memory, count or volume list; every problem is listed.' },
  TRC_SCHEDULER_INVALID_SNAPSHOT: { kind: 'bug', status: 500, summary: 'The cluster snapshot given to the scheduler is inconsistent (duplicate node, volume on two nodes, bad numbers).' },
  TRC_SCHEDULER_NO_NODES: { kind: 'user', status: 409, summary: 'No node is up: every node is draining or down.' },
  TRC_SCHEDULER_NO_MEMORY: { kind: 'user', status: 409, summary: 'No up node has the requested memory free; the message names the largest free amount and its node.' },
  TRC_SCHEDULER_NO_CPU: { kind: 'user', status: 409, summary: 'No up node has the requested cpu free within its allocatable cpu; the message names the largest free amount and its node.' },
  TRC_SCHEDULER_NO_FIT: { kind: 'user', status: 409, summary: 'Some node has the memory and some node has the cpu, but no node has both free at once.' },
  TRC_SCHEDULER_EXCEEDS_NODE_SIZE: { kind: 'user', status: 422, summary: 'The request is larger than any node could offer even when empty.' },
  TRC_SCHEDULER_VOLUME_NOT_FOUND: { kind: 'user', status: 404, summary: 'The local volume the instance needs is on no node of the cluster.' },
  TRC_SCHEDULER_VOLUME_NODE_UNAVAILABLE: { kind: 'user', status: 409, summary: 'The node holding the instance\'s local volume is draining or down.' },
  TRC_SCHEDULER_VOLUME_NODE_FULL: { kind: 'user', status: 409, summary: 'The node holding the instance\'s local volume lacks the cpu or memory it needs.' },
  TRC_QUOTA_EXCEEDED: { kind: 'user', status: 403, summary: 'The request would take the org past one or more of its quotas; each is listed with use, limit and amount requested.' },
  TRC_QUOTA_INVALID_LIMITS: { kind: 'user', status: 400, summary: 'An org quota limit is not a non-negative whole amount or "unlimited"; every problem is listed.' },
} as const;
