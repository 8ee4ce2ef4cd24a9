// Binary memory quantities ("512Mi", "2Gi"): parsing with hints for the usual mistakes, and formatting.

export const UNITS = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 } as const;
export type BinaryUnit = keyof typeof UNITS;

export type QuantityResult = { readonly ok: true; readonly bytes: number } | { readonly ok: false; readonly message: string; readonly hint: string };

const DECIMAL_UNITS: Record<string, BinaryUnit> = { k: 'Ki', kb: 'Ki', m: 'Mi', mb: 'Mi', g: 'Gi', gb: 'Gi', t: 'Ti', tb: 'Ti', ki: 'Ki', mi: 'Mi', gi: 'Gi', ti: 'Ti', kib: 'Ki', mib: 'Mi', gib: 'Gi', tib: 'Ti' };

/**
 * Parses a binary quantity such as `512Mi` or `1.5Gi` into bytes. Only Ki/Mi/Gi/Ti are accepted:
 * `512MB` and a bare `512` are refused with a hint (`did you mean 512Mi?`), since decimal and binary
 * units differ by up to 10% and a bare number has no unit at all.
 */
export function parseMemoryQuantity(input: unknown): QuantityResult {
  if (typeof input === 'number') {
    return { ok: false, message: `a bare number (${input}) has no unit`, hint: `write it as a string with a binary unit: did you mean "${input}Mi"?` };
  }
  if (typeof input !== 'string') {
    return { ok: false, message: 'must be a string such as "512Mi" or "2Gi"', hint: 'use a binary quantity: Ki, Mi, Gi or Ti' };
  }
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti)$/.exec(input);
  if (m !== null) {
    const bytes = Number(m[1]) * UNITS[m[2] as BinaryUnit];
    if (!Number.isFinite(bytes) || bytes <= 0) return { ok: false, message: `"${input}" must be greater than zero`, hint: 'for example "512Mi"' };
    if (!Number.isInteger(bytes)) return { ok: false, message: `"${input}" is not a whole number of bytes`, hint: `use a smaller unit, e.g. "${Math.round(bytes / UNITS.Ki)}Ki"` };
    if (!Number.isSafeInteger(bytes)) return { ok: false, message: `"${input}" is too large`, hint: 'memory must be below 8Pi' };
    return { ok: true, bytes };
  }
  const loose = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(input);
  if (loose !== null) {
    const [, num, unit = ''] = loose;
    if (unit === '') return { ok: false, message: `"${input}" has no unit`, hint: `did you mean "${num}Mi"?` };
    const binary = DECIMAL_UNITS[unit.toLowerCase()];
    if (binary !== undefined) return { ok: false, message: `"${input}" is not a binary quantity`, hint: `did you mean "${num}${binary}"?` };
  }
  return { ok: false, message: `"${input}" is not a memory quantity`, hint: 'use a number and a binary unit: "512Mi", "2Gi" (Ki, Mi, Gi, Ti)' };
}

/** Formats bytes in the largest binary unit that keeps at most two decimals: 1610612736 -> "1.5Gi". */
export function formatMemory(bytes: number): string {
  if (bytes === 0) return '0';
  const units: BinaryUnit[] = ['Ti', 'Gi', 'Mi', 'Ki'];
  for (const unit of units) {
    const n = bytes / UNITS[unit];
    if (Math.abs(n) >= 1) return `${Number(n.toFixed(2))}${unit}`;
  }
  return `${bytes}B`;
}
