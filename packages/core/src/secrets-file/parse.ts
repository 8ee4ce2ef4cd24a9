// Parses a TRC_SECRETS_V1 file into entries, reporting every problem with its file and line, never a value.
import { failed, ok, TrcError, type Problem, type Result } from '../errors/errors.ts';
import type { ErrorCode } from '../errors/codes.ts';
import { decodeBase64Strict } from './base64.ts';
import { BASE64_PREFIX, decodeUtf8, isSecretKey, rawValueObstacle, SECRETS_FILE_HEADER, type SecretEntry } from './format.ts';

/** A problem at one line of one file; `path` is `FILE:LINE`. */
export interface SecretsFileProblem extends Problem {
  readonly file: string;
  readonly line: number;
}

const NL = 0x0a;
const HASH = 0x23;
const EQ = 0x3d;
const encoder = new TextEncoder();
const HEADER = encoder.encode(SECRETS_FILE_HEADER);
const PREFIX = encoder.encode(BASE64_PREFIX);

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === NL) {
      lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  // A missing final newline is accepted: the tail is the last line.
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

/**
 * Parses a secrets file. `file` names it in problems (`FILE:LINE: CODE message`). Every line is checked,
 * so all problems are reported at once; no problem quotes a value or an invalid key (either may be a secret).
 */
export function parseSecretsFile(bytes: Uint8Array, file: string): Result<SecretEntry[]> {
  const problems: SecretsFileProblem[] = [];
  const report = (line: number, code: ErrorCode, message: string, hint?: string): void => {
    problems.push({ path: `${file}:${line}`, file, line, code, message, ...(hint === undefined ? {} : { hint }) });
  };
  const lines = splitLines(bytes);
  if (lines.length === 0 || !equalBytes(lines[0]!, HEADER)) {
    report(1, 'TRC_SECRETS_FILE_HEADER', `line 1 must be exactly "${SECRETS_FILE_HEADER}"`, 'start the file with the header line, with nothing before or after it on that line');
  }
  const entries: SecretEntry[] = [];
  const firstLine = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const n = i + 1;
    if (line.length === 0) continue;
    if (line[0] === HASH) {
      if (decodeUtf8(line) === undefined) report(n, 'TRC_SECRETS_FILE_NOT_UTF8', 'the comment is not valid UTF-8', 'a secrets file is UTF-8 text');
      continue;
    }
    const eq = line.indexOf(EQ);
    if (eq < 0) {
      const cr = line[line.length - 1] === 0x0d;
      report(n, 'TRC_SECRETS_FILE_SYNTAX', 'the line is not empty, a # comment, or KEY=VALUE', cr ? 'lines end with \\n alone: convert CRLF line endings' : 'write each secret as KEY=VALUE');
      continue;
    }
    const keyBytes = line.subarray(0, eq);
    const key = decodeUtf8(keyBytes);
    let keyOk = false;
    if (key === undefined || !isSecretKey(key)) {
      report(n, 'TRC_SECRETS_FILE_KEY', keyBytes.length === 0 ? 'the key is empty' : 'the key must contain only A-Z, 0-9 and _', 'keys are upper case, e.g. DATABASE_URL');
    } else {
      const first = firstLine.get(key);
      if (first !== undefined) report(n, 'TRC_SECRETS_FILE_DUPLICATE_KEY', `the key ${key} was already set on line ${first}`, 'keep one line per key');
      else {
        firstLine.set(key, n);
        keyOk = true;
      }
    }
    const valueBytes = line.subarray(eq + 1);
    let value: Uint8Array | undefined;
    if (startsWith(valueBytes, PREFIX)) {
      const text = decodeUtf8(valueBytes.subarray(PREFIX.length));
      const decoded = text === undefined ? { ok: false as const, reason: 'it is not ASCII' } : decodeBase64Strict(text);
      if (decoded.ok) value = decoded.bytes;
      else report(n, 'TRC_SECRETS_FILE_BASE64', `the base64: value is invalid: ${decoded.reason}`, 'use RFC 4648 standard base64 with = padding (e.g. `base64 -w0`)');
    } else {
      const obstacle = rawValueObstacle(valueBytes);
      if (obstacle === undefined) value = valueBytes.slice();
      else report(n, 'TRC_SECRETS_FILE_RAW_VALUE', `the value ${obstacle}`, 'write such a value as base64:<standard base64 of its bytes>');
    }
    if (keyOk && value !== undefined) entries.push({ key: key!, value });
  }
  return problems.length === 0 ? ok(entries) : failed(problems);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && startsWith(a, b);
}

/** Renders one problem as `FILE:LINE: CODE message`. */
export function formatSecretsProblem(problem: Problem): string {
  return `${problem.path}: ${problem.code} ${problem.message}`;
}

/** Parses a secrets file, or throws TRC_SECRETS_FILE_INVALID carrying every problem. */
export function parseSecretsFileOrThrow(bytes: Uint8Array, file: string): SecretEntry[] {
  const result = parseSecretsFile(bytes, file);
  if (result.ok) return result.value;
  throw secretsFileInvalid(file, result.problems);
}

/** The error that sums up an invalid secrets file (its problems keep their own codes and lines). */
export function secretsFileInvalid(file: string, problems: readonly Problem[]): TrcError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new TrcError('TRC_SECRETS_FILE_INVALID', `${file} is not a valid TRC_SECRETS_V1 file (${count})`, {
    hint: 'fix each line named above; values containing newlines, NUL or non-UTF-8 bytes are written as base64:<...>',
    problems,
  });
}
