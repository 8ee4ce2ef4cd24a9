// Error codes of the cli area. Append only: a code is never renamed, renumbered or reused.
export const CLI_CODES = {
  TRC_CLI_UNKNOWN_NOUN: { kind: 'user', status: 400, summary: 'The first word after `platform` is not a known noun.' },
  TRC_CLI_UNKNOWN_VERB: { kind: 'user', status: 400, summary: 'The noun has no such verb.' },
  TRC_CLI_UNKNOWN_FLAG: { kind: 'user', status: 400, summary: 'The command has no such flag.' },
  TRC_CLI_USAGE: { kind: 'user', status: 400, summary: 'The command was given the wrong arguments or flag values.' },
  TRC_CLI_INPUT_UNREADABLE: { kind: 'user', status: 400, summary: 'A file named on the command line cannot be read.' },
  TRC_CLI_NOT_INSTALLED: { kind: 'user', status: 400, summary: 'The pinned Node.js runtime is not installed in the checkout (bin/node-wrapper.sh).' },
} as const;
