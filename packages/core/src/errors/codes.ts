// The registry of every error code, merged from one file per area. Codes are never renamed or reused;
// docs/errors.md lists them all and codes.test.ts keeps the two in sync.
import { GENERAL_CODES } from './codes-general.ts';
import { MANIFEST_CODES } from './codes-manifest.ts';
import { SECRETS_CODES } from './codes-secrets.ts';
import { PROXY_CODES } from './codes-proxy.ts';
import { SCHEDULER_CODES } from './codes-scheduler.ts';
import { CONTROL_CODES } from './codes-control.ts';
import { AGENT_CODES } from './codes-agent.ts';
import { EDGE_CODES } from './codes-edge.ts';
import { CLI_CODES } from './codes-cli.ts';
import { RUN_CODES } from './codes-run.ts';

/** What a code means: whose fault (`user` input or a platform `bug`), its HTTP status, one line of meaning. */
export interface CodeInfo {
  readonly kind: 'user' | 'bug';
  readonly status: number;
  readonly summary: string;
}

export const ERROR_CODES = {
  ...GENERAL_CODES,
  ...MANIFEST_CODES,
  ...SECRETS_CODES,
  ...PROXY_CODES,
  ...SCHEDULER_CODES,
  ...CONTROL_CODES,
  ...AGENT_CODES,
  ...EDGE_CODES,
  ...CLI_CODES,
  ...RUN_CODES,
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;
