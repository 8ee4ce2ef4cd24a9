// Durations written as an integer and a unit ("500ms", "1s", "2m", "1h"), read into milliseconds.

export const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

export type DurationResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly message: string; readonly hint: string };

/**
 * Parses "500ms", "10s", "2m" or "1h" into milliseconds. One whole number and one unit only: a bare
 * number has no unit, and fractions ("1.5s") are refused with the equivalent in a smaller unit.
 */
export function parseDuration(input: unknown): DurationResult {
  if (typeof input === 'number') {
    return { ok: false, message: `a bare number (${input}) has no unit`, hint: `write it as a string with a unit: did you mean "${input}s"?` };
  }
  if (typeof input !== 'string') return { ok: false, message: 'must be a string such as "500ms" or "10s"', hint: 'use an integer and a unit: ms, s, m or h' };
  const m = /^(\d+)(ms|s|m|h)$/.exec(input);
  if (m !== null) {
    const ms = Number(m[1]) * DURATION_UNITS[m[2] as DurationUnit];
    if (!Number.isSafeInteger(ms)) return { ok: false, message: `"${input}" is too long`, hint: 'use a shorter duration' };
    return { ok: true, ms };
  }
  const loose = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(input);
  if (loose !== null) {
    const [, num = '', rawUnit = ''] = loose;
    if (rawUnit === '') return { ok: false, message: `"${input}" has no unit`, hint: `did you mean "${num}s"?` };
    const unit = UNIT_ALIASES[rawUnit.toLowerCase()];
    if (unit !== undefined) {
      const ms = Number(num) * DURATION_UNITS[unit];
      if (Number.isInteger(ms) && !Number.isInteger(Number(num))) return { ok: false, message: `"${input}" is not a whole number of ${unit}`, hint: `did you mean "${formatDuration(ms)}"?` };
      if (Number.isInteger(ms)) return { ok: false, message: `"${input}" is not a duration`, hint: `did you mean "${num}${unit}"?` };
    }
  }
  return { ok: false, message: `"${input}" is not a duration`, hint: 'use an integer and a unit: "500ms", "10s", "2m" or "1h"' };
}

const UNIT_ALIASES: Record<string, DurationUnit> = { ms: 'ms', msec: 'ms', millis: 'ms', milliseconds: 'ms', s: 's', sec: 's', secs: 's', second: 's', seconds: 's', m: 'm', min: 'm', mins: 'm', minute: 'm', minutes: 'm', h: 'h', hr: 'h', hour: 'h', hours: 'h' };

/** Formats milliseconds in the largest unit that divides them exactly: 120000 -> "2m", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms !== 0 && ms % DURATION_UNITS[unit] === 0) return `${ms / DURATION_UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
