// Error codes of the secrets area. Append only: a code is never renamed, renumbered or reused.
export const SECRETS_CODES = {
  TRC_SECRETS_FILE_INVALID: { kind: 'user', status: 400, summary: 'A TRC_SECRETS_V1 file has problems; each is listed as FILE:LINE: CODE message, never with a value.' },
  TRC_SECRETS_FILE_HEADER: { kind: 'user', status: 400, summary: 'Line 1 of a secrets file is not exactly `# TRC_SECRETS_V1`.' },
  TRC_SECRETS_FILE_SYNTAX: { kind: 'user', status: 400, summary: 'A line of a secrets file is neither empty, a `#` comment, nor KEY=VALUE.' },
  TRC_SECRETS_FILE_KEY: { kind: 'user', status: 400, summary: 'A key in a secrets file is empty or has a character outside A-Z, 0-9 and _.' },
  TRC_SECRETS_FILE_DUPLICATE_KEY: { kind: 'user', status: 400, summary: 'A key appears twice in a secrets file.' },
  TRC_SECRETS_FILE_RAW_VALUE: { kind: 'user', status: 400, summary: 'A raw value contains a carriage return or NUL byte, or is not UTF-8; it must be written as base64:.' },
  TRC_SECRETS_FILE_BASE64: { kind: 'user', status: 400, summary: 'A base64: value is not canonical RFC 4648 padded base64.' },
  TRC_SECRETS_FILE_NOT_UTF8: { kind: 'user', status: 400, summary: 'A comment line of a secrets file is not UTF-8.' },
  TRC_SECRETS_KEY_INVALID: { kind: 'user', status: 400, summary: 'A secret key is empty or has a character outside A-Z, 0-9 and _.' },
  TRC_SECRETS_KEY_DUPLICATE: { kind: 'user', status: 400, summary: 'The same secret key is given twice.' },
  TRC_SECRETS_EXPORT_USAGE: { kind: 'user', status: 400, summary: 'platform-secrets-export was given more than one argument, or its file cannot be read.' },
  TRC_SECRETS_EXPORT_UNREPRESENTABLE: { kind: 'user', status: 400, summary: 'A secret cannot be a shell variable: its key starts with a digit or its value contains a NUL byte.' },
} as const;
