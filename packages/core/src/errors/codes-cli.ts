// Error codes of the cli area. Append only: a code is never renamed, renumbered or reused.
export const CLI_CODES = {
  TRC_CLI_UNKNOWN_NOUN: { kind: 'user', status: 400, summary: 'The first word after `platform` is not a known noun.' },
  TRC_CLI_UNKNOWN_VERB: { kind: 'user', status: 400, summary: 'The noun has no such verb.' },
  TRC_CLI_UNKNOWN_FLAG: { kind: 'user', status: 400, summary: 'The command has no such flag.' },
  TRC_CLI_USAGE: { kind: 'user', status: 400, summary: 'The command was given the wrong arguments or flag values.' },
  TRC_CLI_INPUT_UNREADABLE: { kind: 'user', status: 400, summary: 'A file named on the command line cannot be read.' },
  TRC_CLI_NOT_INSTALLED: { kind: 'user', status: 400, summary: 'The pinned Node.js runtime is not installed in the checkout (bin/node-wrapper.sh).' },
  TRC_CLI_NOT_LOGGED_IN: { kind: 'user', status: 401, summary: 'No control plane URL or token: neither `platform login`, TRC_URL/TRC_TOKEN nor --url/--token gave one.' },
  TRC_CLI_UNREACHABLE: { kind: 'user', status: 400, summary: 'The control plane cannot be reached at the configured URL (connection refused, unknown host, timeout).' },
  TRC_CLI_CONFIG_INVALID: { kind: 'user', status: 400, summary: 'The CLI config file ($XDG_CONFIG_HOME/trc/config.json) is not valid JSON of the expected shape.' },
  TRC_CLI_BAD_RESPONSE: { kind: 'user', status: 400, summary: 'The URL answered, but not as a TRC control plane (not the JSON the API returns).' },
  TRC_CLI_DEPLOY_FAILED: { kind: 'user', status: 400, summary: 'A followed deploy failed: an instance reported unhealthy, exited or stopped, or could not be placed.' },
  TRC_CLI_TIMEOUT: { kind: 'user', status: 400, summary: 'A followed operation (deploy, events) did not finish within --timeout.' },
  TRC_CLI_DRIFT: { kind: 'user', status: 400, summary: '`platform admin verify` found that the live projection differs from a replay of the log.' },
} as const;
