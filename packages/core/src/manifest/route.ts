// Public TCP routes and their PROXY protocol setting (ADR 0009), shared by platform.toml and the edge
// proxy's routes file. PROXY v2 is opt-in per route and must be acknowledged by the backend.
import type { Problem } from '../errors/errors.ts';
import { checkKnownFields, isTable, joinPath, problem, readBoolean, readInteger, readString, wrongType } from './fields.ts';
import { checkName } from './names.ts';

export type ProxyProtocol = 'off' | 'v2';

export interface Route {
  readonly name: string;
  /** The process type that receives the connections, on its internal port. */
  readonly process: string;
  /** The public port the edge listens on. */
  readonly port: number;
  readonly proxyProtocol: ProxyProtocol;
}

export const ROUTE_FIELDS = ['process', 'port', 'proxy_protocol', 'backend_expects_proxy_protocol'] as const;

/**
 * Reads `proxy_protocol` ("off" | "v2", default "off") and `backend_expects_proxy_protocol` from a route
 * table at `path`. "v2" needs the acknowledgement, because the header changes the bytes the backend
 * receives; the acknowledgement with "off" is refused too, since it would be ignored.
 * On problems, `proxyProtocol` is "off".
 */
export function checkProxyProtocol(raw: Record<string, unknown>, path: string, routeName: string): { proxyProtocol: ProxyProtocol; problems: Problem[] } {
  const problems: Problem[] = [];
  const at = joinPath(path, 'proxy_protocol');
  const mode = readString(raw, 'proxy_protocol', path, problems);
  const acknowledged = readBoolean(raw, 'backend_expects_proxy_protocol', path, problems);
  if (mode !== undefined && mode !== 'off' && mode !== 'v2') {
    const hint = mode.toLowerCase() === 'v2' || mode === '2' || mode.toLowerCase() === 'proxy_v2' ? 'did you mean "v2"?' : 'use proxy_protocol = "off" (the default) or "v2"';
    problems.push(problem(at, 'TRC_ROUTE_PROXY_INVALID', `route "${routeName}" has proxy_protocol = ${JSON.stringify(mode)}; only "off" and "v2" exist`, hint));
  } else if (mode === 'v2' && acknowledged !== true && !problems.some((p) => p.path === joinPath(path, 'backend_expects_proxy_protocol'))) {
    problems.push(problem(
      at,
      'TRC_ROUTE_PROXY_UNACKNOWLEDGED',
      `route "${routeName}" sets proxy_protocol = "v2" but not backend_expects_proxy_protocol = true`,
      'PROXY v2 prepends a binary header to the byte stream your server receives; set backend_expects_proxy_protocol = true once your server accepts PROXY v2',
    ));
  } else if ((mode === undefined || mode === 'off') && acknowledged === true) {
    problems.push(problem(
      joinPath(path, 'backend_expects_proxy_protocol'),
      'TRC_ROUTE_PROXY_IGNORED',
      `route "${routeName}" sets backend_expects_proxy_protocol = true but proxy_protocol is "off", so no header is sent`,
      'set proxy_protocol = "v2" if your server expects the PROXY v2 header, or remove backend_expects_proxy_protocol',
    ));
  }
  if (problems.length > 0) return { proxyProtocol: 'off', problems };
  return { proxyProtocol: mode === 'v2' ? 'v2' : 'off', problems };
}

/** Reads a public port (1-65535) from `key`; required. */
export function readPublicPort(raw: Record<string, unknown>, key: string, path: string, problems: Problem[]): number | undefined {
  return readInteger(raw, key, path, problems, { min: 1, max: 65535, required: true });
}

/**
 * Validates one `[routes.<name>]` table of platform.toml. Whether the target process type exists and has
 * a port is checked by the manifest, which knows the process types.
 */
export function parseRoute(raw: unknown, path: string, name: string): { value?: Route; problems: Problem[] } {
  if (!isTable(raw)) return { problems: [wrongType(path, 'a table', raw, `write it as a section: [${path}]`)] };
  const problems: Problem[] = [];
  const nameProblem = checkName(name, path, 'route');
  if (nameProblem !== undefined) problems.push(nameProblem);
  checkKnownFields(raw, path, ROUTE_FIELDS, problems);
  const process = readString(raw, 'process', path, problems, true);
  const port = readPublicPort(raw, 'port', path, problems);
  const proxy = checkProxyProtocol(raw, path, name);
  problems.push(...proxy.problems);
  if (problems.length > 0 || process === undefined || port === undefined) return { problems };
  return { value: { name, process, port, proxyProtocol: proxy.proxyProtocol }, problems };
}
