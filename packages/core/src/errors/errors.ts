// Errors with a stable code, a message and a hint. User errors (bad input) are separate from bugs.
import { ERROR_CODES, type ErrorCode } from './codes.ts';

export type { ErrorCode } from './codes.ts';

/** One problem found while validating input, with the path of the offending field. */
export interface Problem {
  /** Dotted path of the offending field, e.g. `processes.web.memory`; empty for the whole document. */
  readonly path: string;
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint?: string;
}

export interface TrcErrorOptions {
  readonly hint?: string;
  /** Every problem found, when the error reports a validation run. */
  readonly problems?: readonly Problem[];
  /** Extra machine-readable facts (never secret values). */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** An error the platform reports with a stable code. `kind` says whether the user or the platform is at fault. */
export class TrcError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly problems: readonly Problem[];
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: TrcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TrcError';
    this.code = code;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
    this.details = options.details ?? {};
  }

  get kind(): 'user' | 'bug' {
    return ERROR_CODES[this.code].kind;
  }

  /** The HTTP status an API answers with for this error. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; problems?: readonly Problem[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.problems.length === 0 ? {} : { problems: this.problems }),
    };
  }
}

/** A user error: bad input the user can fix, with a hint saying how. */
export function userError(code: ErrorCode, message: string, hint?: string, options: Omit<TrcErrorOptions, 'hint'> = {}): TrcError {
  return new TrcError(code, message, { ...options, ...(hint === undefined ? {} : { hint }) });
}

export function isTrcError(value: unknown): value is TrcError {
  return value instanceof TrcError;
}

/** Renders an error for a terminal: `CODE: message` then `Hint: ...`, one problem per line. */
export function formatError(error: TrcError): string {
  const lines = [`${error.code}: ${error.message}`];
  for (const p of error.problems) {
    lines.push(`  ${p.path === '' ? '' : `${p.path}: `}${p.message}${p.hint === undefined ? '' : ` (hint: ${p.hint})`}`);
  }
  if (error.hint !== undefined) lines.push(`Hint: ${error.hint}`);
  return lines.join('\n');
}

/**
 * How a program reports the error that ended it: a TrcError formatted (exit 2 for user errors, 70 for bugs),
 * a bad command line with the program's usage (2), anything else as it is, for its stack (70). `report` goes
 * to stderr as given.
 */
export function fatalReport(error: unknown, usage: string): { readonly exitCode: number; readonly report: unknown } {
  if (isTrcError(error)) return { exitCode: error.kind === 'user' ? 2 : 70, report: formatError(error) };
  if ((error as { code?: unknown } | null)?.code?.toString().startsWith('ERR_PARSE_ARGS') === true) {
    return { exitCode: 2, report: `${(error as Error).message}\n${usage}` };
  }
  return { exitCode: 70, report: error };
}

/** Result of a validation that reports every problem at once. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly Problem[] };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function failed<T>(problems: readonly Problem[]): Result<T> {
  return { ok: false, problems };
}
