// The app manifest (platform.toml): reads the file's text into a typed, normalised Manifest, or a
// TRC_MANIFEST_INVALID error listing every problem with its path. No I/O: the caller reads the file.
import { parse, TomlError } from 'smol-toml';
import { failed, ok, userError, type Problem, type Result, type TrcError } from '../errors/errors.ts';
import { checkKnownFields, didYouMean, isTable, joinPath, problem, readString, wrongType, type Table } from './fields.ts';
import { checkName } from './names.ts';
import { PROCESS_FIELDS, parseProcessType, type ProcessType } from './process.ts';
import { parseRoute, type Route } from './route.ts';
import { DEFAULT_SECRETS_FILE, parseSecretsFile, type SecretsFile } from './secrets.ts';
import { parseVolume, pathsOverlap, type Volume } from './volume.ts';

export interface Manifest {
  readonly app: string;
  /** Keyed by name, in the order the file declares them. */
  readonly processes: Readonly<Record<string, ProcessType>>;
  readonly routes: Readonly<Record<string, Route>>;
  readonly volumes: Readonly<Record<string, Volume>>;
  readonly secrets: SecretsFile;
}

export const MANIFEST_FIELDS = ['app', 'processes', 'routes', 'volumes', 'secrets'] as const;

/**
 * Parses platform.toml text. Throws a TrcError `TRC_MANIFEST_INVALID` whose `problems` list every
 * mistake (a TOML syntax error is one `TRC_MANIFEST_SYNTAX` problem with its line and column).
 */
export function parseManifest(text: string, fileName: string): Manifest {
  const result = checkManifest(text, fileName);
  if (result.ok) return result.value;
  throw result.error;
}

/** Like parseManifest, but returns the error instead of throwing it. */
export function checkManifest(text: string, fileName: string): { ok: true; value: Manifest } | { ok: false; error: TrcError } {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const reason = e.message.split('\n')[0] ?? 'invalid TOML';
    const where = `${fileName}:${e.line}:${e.column}`;
    const syntax = problem('', 'TRC_MANIFEST_SYNTAX', `${where}: ${reason}`, 'fix the TOML syntax at that line and column');
    return { ok: false, error: userError('TRC_MANIFEST_INVALID', `${fileName} is not valid TOML (line ${e.line}, column ${e.column})`, syntax.hint, { problems: [syntax], details: { file: fileName, line: e.line, column: e.column } }) };
  }
  const result = validateManifest(raw);
  if (result.ok) return { ok: true, value: result.value };
  const n = result.problems.length;
  return {
    ok: false,
    error: userError('TRC_MANIFEST_INVALID', `${fileName} has ${n} problem${n === 1 ? '' : 's'}`, 'fix every problem listed; docs/manifest.md describes each field', { problems: result.problems, details: { file: fileName } }),
  };
}

/** Validates an already-decoded manifest (TOML or JSON), reporting every problem at once. */
export function validateManifest(raw: unknown): Result<Manifest> {
  if (!isTable(raw)) return failed([wrongType('', 'a table', raw)]);
  const problems: Problem[] = [];
  checkTopLevelFields(raw, problems);

  const app = readString(raw, 'app', '', problems, true);
  if (app !== undefined) {
    const p = checkName(app, 'app', 'app');
    if (p !== undefined) problems.push(p);
  }

  const processes: Record<string, ProcessType> = {};
  const rawProcesses = readCollection(raw, 'processes', problems);
  if (rawProcesses === undefined || Object.keys(rawProcesses).length === 0) {
    if (raw.processes === undefined || rawProcesses !== undefined) {
      problems.push(problem('processes', 'TRC_MANIFEST_MISSING_FIELD', 'the manifest defines no process type', 'add one: [processes.web] with cmd, memory and port'));
    }
  } else {
    for (const [name, table] of Object.entries(rawProcesses)) {
      const parsed = parseProcessType(table, joinPath('processes', name), name);
      problems.push(...parsed.problems);
      if (parsed.value !== undefined) processes[name] = parsed.value;
    }
  }
  const declared = rawProcesses ?? {};

  const routes: Record<string, Route> = {};
  const portsSeen = new Map<number, string>();
  for (const [name, table] of Object.entries(readCollection(raw, 'routes', problems) ?? {})) {
    const path = joinPath('routes', name);
    const parsed = parseRoute(table, path, name);
    problems.push(...parsed.problems);
    if (isTable(table)) checkTarget(table, path, `route "${name}"`, declared, problems, true);
    if (isTable(table) && typeof table.port === 'number') {
      const other = portsSeen.get(table.port);
      if (other !== undefined) problems.push(problem(joinPath(path, 'port'), 'TRC_ROUTE_PORT_CONFLICT', `route "${name}" uses public port ${table.port}, already used by route "${other}"`, 'give each route its own public port'));
      else portsSeen.set(table.port, name);
    }
    if (parsed.value !== undefined) routes[name] = parsed.value;
  }

  const volumes: Record<string, Volume> = {};
  for (const [name, table] of Object.entries(readCollection(raw, 'volumes', problems) ?? {})) {
    const path = joinPath('volumes', name);
    const parsed = parseVolume(table, path, name);
    problems.push(...parsed.problems);
    if (isTable(table)) checkTarget(table, path, `volume "${name}"`, declared, problems, false);
    if (parsed.value !== undefined) {
      const v = parsed.value;
      const clash = Object.values(volumes).find((o) => o.process === v.process && pathsOverlap(o.mount, v.mount));
      if (clash !== undefined) {
        problems.push(problem(joinPath(path, 'mount'), 'TRC_VOLUME_MOUNT_CONFLICT', `volume "${name}" at "${v.mount}" overlaps volume "${clash.name}" at "${clash.mount}" in process type "${v.process}"`, 'mount each volume of a process type at its own, non-nested path'));
      }
      volumes[name] = v;
    }
  }

  const secrets = parseSecretsFile(raw.secrets, 'secrets');
  problems.push(...secrets.problems);

  if (problems.length > 0 || app === undefined) return failed(problems);
  return ok({ app, processes, routes, volumes, secrets: secrets.value ?? DEFAULT_SECRETS_FILE });
}

/** processes, routes and volumes are tables keyed by name; `[[routes]]` (an array of tables) is the usual slip. */
function readCollection(raw: Table, key: 'processes' | 'routes' | 'volumes', problems: Problem[]): Table | undefined {
  const value = raw[key];
  if (value === undefined || isTable(value)) return value;
  problems.push(wrongType(key, `a table of ${key} keyed by name`, value, `write each one as its own section: [${key}.<name>]`));
  return undefined;
}

/** Unknown top-level keys; a process field written at the top level gets a hint saying where it belongs. */
function checkTopLevelFields(raw: Table, problems: Problem[]): void {
  const unknown: Problem[] = [];
  checkKnownFields(raw, '', MANIFEST_FIELDS, unknown);
  for (const p of unknown) {
    const key = p.path.replace(/^"|"$/g, '');
    if ((PROCESS_FIELDS as readonly string[]).includes(key) && didYouMean(key, MANIFEST_FIELDS) === undefined) {
      problems.push({ ...p, hint: `"${key}" belongs to a process type: put it under [processes.<name>]` });
    } else {
      problems.push(p);
    }
  }
}

/** The `process` a route or volume names must be declared; a route's target must also have a port. */
function checkTarget(table: Table, path: string, what: string, declared: Table, problems: Problem[], needsPort: boolean): void {
  if (typeof table.process !== 'string') return;
  const at = joinPath(path, 'process');
  const names = Object.keys(declared);
  if (!Object.hasOwn(declared, table.process)) {
    const guess = didYouMean(table.process, names);
    const hint = guess !== undefined ? `did you mean "${guess}"?` : names.length > 0 ? `process types: ${names.join(', ')}` : 'declare it under [processes.<name>]';
    problems.push(problem(at, 'TRC_MANIFEST_UNKNOWN_PROCESS', `${what} targets process type "${table.process}", which the manifest does not define`, hint));
    return;
  }
  const target = declared[table.process];
  if (needsPort && isTable(target) && target.port === undefined) {
    problems.push(problem(at, 'TRC_ROUTE_TARGET_NO_PORT', `${what} targets process type "${table.process}", which has no port`, `set port in [processes.${table.process}] to the port it listens on`));
  }
}
