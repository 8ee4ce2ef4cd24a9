// The health-check table (`kind`, `path`, `interval`, `timeout`), shared by platform.toml process types
// and the edge proxy's routes file.
import type { Problem } from '../errors/errors.ts';
import { parseDuration, formatDuration } from './duration.ts';
import { checkKnownFields, isTable, joinPath, problem, readString, wrongType } from './fields.ts';

export type HealthCheck =
  | { readonly kind: 'tcp'; readonly intervalMs: number; readonly timeoutMs: number }
  | { readonly kind: 'http'; readonly path: string; readonly intervalMs: number; readonly timeoutMs: number };

export const HEALTH_CHECK_FIELDS = ['kind', 'path', 'interval', 'timeout'] as const;

/** Defaults and bounds, in milliseconds. A timeout longer than the interval would let checks overlap. */
export const HEALTH_CHECK_LIMITS = {
  interval: { default: 10_000, min: 1_000, max: 300_000 },
  timeout: { default: 2_000, min: 100, max: 60_000 },
  defaultPath: '/',
  maxPathLength: 1024,
} as const;

/**
 * Validates a health-check table found at `path`. Defaults: kind "tcp", interval "10s", timeout "2s"
 * (or the interval, if shorter), path "/" (http only). Every problem is returned; `value` is set only when there are none.
 */
export function parseHealthCheck(raw: unknown, path: string): { value?: HealthCheck; problems: Problem[] } {
  const problems: Problem[] = [];
  if (!isTable(raw)) return { problems: [wrongType(path, 'a table', raw, `write it as a section: [${path}]`)] };
  checkKnownFields(raw, path, HEALTH_CHECK_FIELDS, problems);

  // A kind of the wrong type reads as undefined; the path rule is then skipped rather than guessed.
  const kind = raw.kind === undefined ? 'tcp' : readString(raw, 'kind', path, problems);
  if (kind !== undefined && kind !== 'tcp' && kind !== 'http') {
    problems.push(problem(joinPath(path, 'kind'), 'TRC_HEALTH_CHECK_INVALID', `unknown kind "${kind}"`, 'use kind = "tcp" (the port accepts connections) or kind = "http" (GET path answers 2xx)'));
  }
  const checkPath = readString(raw, 'path', path, problems);
  if (checkPath !== undefined && kind !== undefined) {
    if (kind === 'tcp') {
      problems.push(problem(joinPath(path, 'path'), 'TRC_HEALTH_CHECK_INVALID', 'a tcp health check has no path', 'remove path, or set kind = "http"'));
    } else if (!/^\/[\x21-\x7e]*$/.test(checkPath) || checkPath.length > HEALTH_CHECK_LIMITS.maxPathLength) {
      problems.push(problem(joinPath(path, 'path'), 'TRC_HEALTH_CHECK_INVALID', `"${checkPath}" is not a request path`, `start with "/" and use printable characters without spaces (at most ${HEALTH_CHECK_LIMITS.maxPathLength}), e.g. "/healthz"`));
    }
  }
  const intervalMs = readBoundedDuration(raw, 'interval', path, problems);
  // The default timeout shrinks to a shorter interval, so that `interval = "1s"` alone stays valid.
  const timeoutMs = raw.timeout === undefined && intervalMs !== undefined ? Math.min(HEALTH_CHECK_LIMITS.timeout.default, intervalMs) : readBoundedDuration(raw, 'timeout', path, problems);
  if (intervalMs !== undefined && timeoutMs !== undefined && timeoutMs > intervalMs) {
    problems.push(problem(joinPath(path, 'timeout'), 'TRC_HEALTH_CHECK_INVALID', `timeout ${formatDuration(timeoutMs)} is longer than interval ${formatDuration(intervalMs)}`, 'checks would overlap: make timeout at most the interval'));
  }

  if (problems.length > 0 || intervalMs === undefined || timeoutMs === undefined) return { problems };
  const value: HealthCheck = kind === 'http' ? { kind, path: checkPath ?? HEALTH_CHECK_LIMITS.defaultPath, intervalMs, timeoutMs } : { kind: 'tcp', intervalMs, timeoutMs };
  return { value, problems };
}

function readBoundedDuration(raw: Record<string, unknown>, key: 'interval' | 'timeout', path: string, problems: Problem[]): number | undefined {
  const limits = HEALTH_CHECK_LIMITS[key];
  if (raw[key] === undefined) return limits.default;
  const at = joinPath(path, key);
  const parsed = parseDuration(raw[key]);
  if (!parsed.ok) {
    problems.push(problem(at, 'TRC_MANIFEST_INVALID_DURATION', parsed.message, parsed.hint));
    return undefined;
  }
  if (parsed.ms < limits.min || parsed.ms > limits.max) {
    problems.push(problem(at, 'TRC_MANIFEST_INVALID_DURATION', `${key} ${formatDuration(parsed.ms)} is out of range`, `use a ${key} from ${formatDuration(limits.min)} to ${formatDuration(limits.max)}`));
    return undefined;
  }
  return parsed.ms;
}

/** The TOML table for a normalised health check, written so that parseHealthCheck reads it back unchanged. */
export function healthCheckToToml(check: HealthCheck): Record<string, string> {
  const base = { kind: check.kind, interval: formatDuration(check.intervalMs), timeout: formatDuration(check.timeoutMs) };
  return check.kind === 'http' ? { kind: 'http', path: check.path, interval: base.interval, timeout: base.timeout } : base;
}
