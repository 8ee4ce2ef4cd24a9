// A process type of platform.toml: command, instance count, CPU share, memory cap, port and health check.
import type { Problem } from '../errors/errors.ts';
import { UNITS } from '../resources/quantity.ts';
import { checkKnownFields, isTable, joinPath, problem, readInteger, wrongType, type Table } from './fields.ts';
import { parseHealthCheck, type HealthCheck } from './health-check.ts';
import { checkName } from './names.ts';
import { readMebibytes } from './size.ts';

export interface ProcessType {
  readonly name: string;
  /** Argument vector; a `cmd` written as one string runs through `/bin/sh -c`. */
  readonly cmd: readonly string[];
  readonly count: number;
  /** Requested vCPU: a soft share (cgroup cpu.weight = 100 per vCPU), never a hard limit. */
  readonly cpu: number;
  /** Hard memory cap in bytes. */
  readonly memoryBytes: number;
  /** Internal port the instances listen on; absent for workers. */
  readonly port?: number;
  readonly healthCheck?: HealthCheck;
}

export const PROCESS_FIELDS = ['cmd', 'count', 'cpu', 'memory', 'port', 'health_check'] as const;

/**
 * Bounds. cpu steps of 0.01 because cpu.weight is 100 per vCPU and its minimum is 1 (max 10000 = 100 vCPU);
 * memory in whole Mi because microVM memory is sized in MiB; anything finer would be silently rounded.
 */
export const PROCESS_LIMITS = {
  count: { default: 1, min: 0, max: 1000 },
  cpu: { default: 1, step: 0.01, max: 100 },
  memory: { min: 32 * UNITS.Mi, max: UNITS.Ti },
} as const;

function readCpu(raw: Table, path: string, problems: Problem[]): number | undefined {
  const value = raw.cpu;
  const at = joinPath(path, 'cpu');
  if (value === undefined) return PROCESS_LIMITS.cpu.default;
  if (typeof value !== 'number') {
    const asNumber = typeof value === 'string' ? Number(value) : NaN;
    const hint = Number.isFinite(asNumber) ? `write it without quotes: cpu = ${asNumber}` : 'write a number of vCPU: cpu = 0.5';
    problems.push(wrongType(at, 'a number of vCPU', value, hint));
    return undefined;
  }
  const hundredths = Math.round(value * 100);
  if (!Number.isFinite(value) || value <= 0 || value > PROCESS_LIMITS.cpu.max) {
    problems.push(problem(at, 'TRC_MANIFEST_INVALID_CPU', `cpu ${value} is out of range`, `use a positive number of vCPU up to ${PROCESS_LIMITS.cpu.max}, such as 0.25, 0.5, 1 or 2`));
    return undefined;
  }
  if (Math.abs(hundredths - value * 100) > 1e-6) {
    const nearest = Math.max(1, hundredths) / 100;
    problems.push(problem(at, 'TRC_MANIFEST_INVALID_CPU', `cpu ${value} is finer than 0.01 vCPU, the smallest step of the CPU share`, `did you mean ${nearest}?`));
    return undefined;
  }
  return hundredths / 100;
}

function readCmd(raw: Table, path: string, problems: Problem[]): string[] | undefined {
  const value = raw.cmd;
  const at = joinPath(path, 'cmd');
  if (value === undefined) {
    problems.push(problem(at, 'TRC_MANIFEST_MISSING_FIELD', '"cmd" is required', 'for example cmd = ["node", "server.js"], or cmd = "node server.js" to run it through /bin/sh -c'));
    return undefined;
  }
  if (typeof value === 'string') {
    if (value.trim() === '') {
      problems.push(problem(at, 'TRC_MANIFEST_INVALID_COMMAND', 'cmd is empty', 'write the command the process runs'));
      return undefined;
    }
    return ['/bin/sh', '-c', value];
  }
  if (!Array.isArray(value)) {
    problems.push(wrongType(at, 'a string or an array of strings', value));
    return undefined;
  }
  if (value.length === 0 || value.some((a) => typeof a !== 'string') || value[0] === '') {
    problems.push(problem(at, 'TRC_MANIFEST_INVALID_COMMAND', 'cmd must be a non-empty array of strings whose first element names the program', 'for example cmd = ["node", "server.js"]'));
    return undefined;
  }
  return value as string[];
}

/** Validates one `[processes.<name>]` table. */
export function parseProcessType(raw: unknown, path: string, name: string): { value?: ProcessType; problems: Problem[] } {
  if (!isTable(raw)) return { problems: [wrongType(path, 'a table', raw, `write it as a section: [${path}]`)] };
  const problems: Problem[] = [];
  const nameProblem = checkName(name, path, 'process type');
  if (nameProblem !== undefined) problems.push(nameProblem);
  checkKnownFields(raw, path, PROCESS_FIELDS, problems);
  const cmd = readCmd(raw, path, problems);
  const count = raw.count === undefined ? PROCESS_LIMITS.count.default : readInteger(raw, 'count', path, problems, PROCESS_LIMITS.count);
  const cpu = readCpu(raw, path, problems);
  const memoryBytes = readMebibytes(raw, 'memory', path, problems, PROCESS_LIMITS.memory);
  const port = readInteger(raw, 'port', path, problems, { min: 1, max: 65535 });
  let healthCheck: HealthCheck | undefined;
  const checkTable = raw.health_check;
  if (checkTable !== undefined) {
    const checkPath = joinPath(path, 'health_check');
    const parsed = parseHealthCheck(checkTable, checkPath);
    problems.push(...parsed.problems);
    healthCheck = parsed.value;
    if (raw.port === undefined) {
      problems.push(problem(checkPath, 'TRC_HEALTH_CHECK_INVALID', `process type "${name}" has a health check but no port to check`, 'set port to the internal port the process listens on, or remove the health check'));
    }
  }
  if (problems.length > 0 || cmd === undefined || count === undefined || cpu === undefined || memoryBytes === undefined) return { problems };
  return {
    value: {
      name, cmd, count, cpu, memoryBytes,
      ...(port === undefined ? {} : { port }),
      ...(healthCheck === undefined ? {} : { healthCheck }),
    },
    problems,
  };
}
