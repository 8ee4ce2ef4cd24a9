// Field readers for validating parsed TOML: each records a Problem with its path instead of throwing,
// so one validation run reports every mistake at once.
import type { ErrorCode, Problem } from '../errors/errors.ts';

export type Table = Record<string, unknown>;

export function problem(path: string, code: ErrorCode, message: string, hint?: string): Problem {
  return hint === undefined ? { path, code, message } : { path, code, message, hint };
}

/** Appends a key to a dotted path, quoting it as TOML would when it is not a bare key. */
export function joinPath(base: string, key: string): string {
  const part = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  return base === '' ? part : `${base}.${part}`;
}

export function isTable(value: unknown): value is Table {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** How a TOML value is named in messages: "a string", "an integer", "a table" ... */
export function describeType(value: unknown): string {
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'number' || typeof value === 'bigint') return Number.isInteger(Number(value)) ? 'an integer' : 'a float';
  if (Array.isArray(value)) return 'an array';
  if (isTable(value)) return 'a table';
  if (value instanceof Date) return 'a date';
  return 'an unsupported value';
}

export function wrongType(path: string, expected: string, value: unknown, hint?: string): Problem {
  return problem(path, 'TRC_MANIFEST_WRONG_TYPE', `must be ${expected}, not ${describeType(value)}`, hint);
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment): "wbe" is 1 from "web". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The closest candidate within an edit distance that still reads as a typo (a third of the word, at least 1),
 * else a candidate the word abbreviates (`proxy` -> `proxy_protocol`).
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined && word.length >= 3) best = candidates.find((c) => c.toLowerCase().startsWith(word.toLowerCase()));
  return best;
}

/** Records one TRC_MANIFEST_UNKNOWN_FIELD problem per key of `raw` that is not in `known`, with a did-you-mean hint. */
export function checkKnownFields(raw: Table, path: string, known: readonly string[], problems: Problem[]): void {
  for (const key of Object.keys(raw)) {
    if (known.includes(key)) continue;
    const guess = didYouMean(key, known);
    const hint = guess === undefined ? `known fields here: ${known.join(', ')}` : `did you mean "${guess}"?`;
    problems.push(problem(joinPath(path, key), 'TRC_MANIFEST_UNKNOWN_FIELD', `unknown field "${key}"`, hint));
  }
}

/** Reads an optional string field; a value of another type is a problem and reads as absent. */
export function readString(raw: Table, key: string, path: string, problems: Problem[], required = false): string | undefined {
  const value = raw[key];
  if (value === undefined) {
    if (required) problems.push(problem(joinPath(path, key), 'TRC_MANIFEST_MISSING_FIELD', `"${key}" is required`));
    return undefined;
  }
  if (typeof value === 'string') return value;
  problems.push(wrongType(joinPath(path, key), 'a string', value));
  return undefined;
}

export function readBoolean(raw: Table, key: string, path: string, problems: Problem[]): boolean | undefined {
  const value = raw[key];
  if (value === undefined || typeof value === 'boolean') return value;
  const hint = value === 'true' || value === 'false' ? `write it without quotes: ${key} = ${value}` : undefined;
  problems.push(wrongType(joinPath(path, key), 'a boolean (true or false)', value, hint));
  return undefined;
}

/** Reads an integer field within [min, max]; out-of-range and non-integer values are problems. */
export function readInteger(raw: Table, key: string, path: string, problems: Problem[], range: { min: number; max: number; required?: boolean }): number | undefined {
  const value = raw[key];
  const at = joinPath(path, key);
  if (value === undefined) {
    if (range.required === true) problems.push(problem(at, 'TRC_MANIFEST_MISSING_FIELD', `"${key}" is required`));
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    const hint = typeof value === 'string' && /^\d+$/.test(value) ? `write it without quotes: ${key} = ${value}` : undefined;
    problems.push(wrongType(at, 'an integer', value, hint));
    return undefined;
  }
  if (value < range.min || value > range.max) {
    problems.push(problem(at, 'TRC_MANIFEST_OUT_OF_RANGE', `${value} is out of range`, `use an integer from ${range.min} to ${range.max}`));
    return undefined;
  }
  return value;
}

/** Reads a sub-table; absent reads as undefined, another type is a problem. */
export function readTable(raw: Table, key: string, path: string, problems: Problem[]): Table | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (isTable(value)) return value;
  problems.push(wrongType(joinPath(path, key), 'a table', value, `write it as a section: [${joinPath(path, key)}]`));
  return undefined;
}
