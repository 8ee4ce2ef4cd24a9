// Validates placement requests before any decision, reporting every problem at once.
import { TrcError, type Problem } from '../errors/errors.ts';
import { cpuProblem } from '../resources/cpu.ts';
import type { PlacementRequest } from './types.ts';

/** The most instances one request may ask for; a guard against a typo of a few extra zeros. */
export const MAX_COUNT = 100_000;

export function requestProblems(requests: readonly PlacementRequest[]): Problem[] {
  const problems: Problem[] = [];
  const ids = new Set<string>();
  const volumes = new Map<string, string>();
  requests.forEach((r, i) => {
    const at = `requests.${i}`;
    const bad = (field: string, message: string, hint?: string): void => {
      problems.push({ path: `${at}.${field}`, code: 'TRC_SCHEDULER_INVALID_REQUEST', message, ...(hint === undefined ? {} : { hint }) });
    };
    if (typeof r.id !== 'string' || r.id === '') bad('id', 'id must be a non-empty string');
    else if (ids.has(r.id)) bad('id', `id "${r.id}" is used by two requests`);
    else ids.add(r.id);
    for (const field of ['org', 'app', 'env', 'processType'] as const) {
      if (typeof r[field] !== 'string' || r[field] === '') bad(field, `${field} must be a non-empty string`);
    }
    const cpu = cpuProblem(r.cpu);
    if (cpu !== undefined) bad('cpu', cpu.message, cpu.hint);
    if (!(Number.isSafeInteger(r.memory) && r.memory > 0)) bad('memory', `memory must be a positive whole number of bytes, got ${r.memory}`);
    const count = r.count ?? 1;
    if (!(Number.isSafeInteger(count) && count >= 1 && count <= MAX_COUNT)) bad('count', `count must be a whole number from 1 to ${MAX_COUNT}, got ${count}`);
    if (r.volumes !== undefined) {
      if (r.volumes.length !== count) bad('volumes', `${r.volumes.length} volumes for ${count} instances`, 'give one local volume per instance');
      r.volumes.forEach((v, j) => {
        const other = volumes.get(v);
        if (other !== undefined) bad(`volumes.${j}`, `volume "${v}" is also asked for by ${other}`, 'a local volume serves one instance');
        else volumes.set(v, `${at}.volumes.${j}`);
      });
    }
  });
  return problems;
}

export function checkRequests(requests: readonly PlacementRequest[]): void {
  const problems = requestProblems(requests);
  if (problems.length > 0) {
    throw new TrcError('TRC_SCHEDULER_INVALID_REQUEST', `invalid placement request (${problems.length} problem${problems.length === 1 ? '' : 's'})`, { hint: 'fix each field listed', problems });
  }
}
