// Memory and volume sizes: binary quantities (parsed by resources/quantity.ts) in whole Mi within bounds.
import type { Problem } from '../errors/errors.ts';
import { parseMemoryQuantity, UNITS } from '../resources/quantity.ts';
import { joinPath, problem, type Table } from './fields.ts';

/** Reads a binary quantity (memory, volume size) in whole Mi within [min, max]. */
export function readMebibytes(raw: Table, key: string, path: string, problems: Problem[], bounds: { min: number; max: number }): number | undefined {
  const at = joinPath(path, key);
  if (raw[key] === undefined) {
    problems.push(problem(at, 'TRC_MANIFEST_MISSING_FIELD', `"${key}" is required`, `for example ${key} = "512Mi"`));
    return undefined;
  }
  const parsed = parseMemoryQuantity(raw[key]);
  if (!parsed.ok) {
    problems.push(problem(at, 'TRC_MANIFEST_INVALID_QUANTITY', parsed.message, parsed.hint));
    return undefined;
  }
  if (parsed.bytes % UNITS.Mi !== 0) {
    const up = Math.ceil(parsed.bytes / UNITS.Mi);
    problems.push(problem(at, 'TRC_MANIFEST_INVALID_QUANTITY', `${JSON.stringify(raw[key])} is not a whole number of Mi`, `it would be rounded; write "${up}Mi"`));
    return undefined;
  }
  if (parsed.bytes < bounds.min || parsed.bytes > bounds.max) {
    problems.push(problem(at, 'TRC_MANIFEST_INVALID_QUANTITY', `${JSON.stringify(raw[key])} is out of range`, `use from "${bounds.min / UNITS.Mi}Mi" to "${bounds.max / UNITS.Mi}Mi"`));
    return undefined;
  }
  return parsed.bytes;
}
