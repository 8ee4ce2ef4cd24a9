// platform-edge: `--routes FILE --admin ADDR` (standalone) or `--control URL --token TOKEN --admin ADDR
// [--public-address IP]` (follows the control plane, control-source/run.ts). Standalone loads the routes file,
// serves the admin endpoint, reloads on SIGHUP, drains and exits on SIGTERM/SIGINT. Exit 2: bad usage, routes
// file or refused token; 1: cannot listen.
import process from 'node:process';
import { isTrcError, TrcError, type Problem } from '@trc/core';
import { formatSocketAddress, parseSocketAddress, type SocketAddress } from './config/address.ts';
import { FileRouteSource } from './config/routes-file.ts';
import type { RouteTable } from './config/route-table.ts';
import type { Server } from 'node:http';
import { Edge } from './edge.ts';
import { startAdminServer } from './admin/server.ts';
import { JsonLinesEventSink } from './events/edge-events.ts';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { runWithControlPlane, type ControlModeOptions } from './control-source/run.ts';

export interface CliOptions {
  readonly routes: string;
  readonly admin: SocketAddress;
}

const USAGE = 'usage: platform-edge --routes FILE --admin ADDR | --control URL (--token-file FILE | TRC_EDGE_TOKEN=... | --token TOKEN) --admin ADDR [--public-address IP]   (ADDR like 127.0.0.1:9901 or [::1]:9901)';
const OPTIONS = ['routes', 'admin', 'control', 'token', 'token-file', 'public-address'] as const;

/**
 * Standalone (`--routes`) or control-plane mode (`--control`), never both. The token may come from a file
 * or the environment so that it does not show in the process list.
 */
export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): CliOptions | ControlModeOptions {
  const values: Record<string, string> = {};
  const problems: Problem[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (m === null || !(OPTIONS as readonly string[]).includes(m[1]!)) {
      problems.push({ path: arg, code: 'TRC_EDGE_USAGE', message: arg.startsWith('-') ? 'unknown option' : 'unexpected argument' });
      continue;
    }
    const value = m[2] ?? argv[++i];
    // The token is never echoed back, even in a usage error.
    if (value === undefined || value === '') problems.push({ path: `--${m[1]}`, code: 'TRC_EDGE_USAGE', message: 'needs a value' });
    else values[m[1]!] = value;
  }
  if (values['token-file'] !== undefined) {
    if (values.token !== undefined) problems.push({ path: '--token-file', code: 'TRC_EDGE_USAGE', message: 'give --token or --token-file, not both' });
    try {
      values.token = readFile(values['token-file']).trim();
    } catch (e) {
      problems.push({ path: '--token-file', code: 'TRC_EDGE_USAGE', message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  } else if (values.token === undefined && values.control !== undefined && env.TRC_EDGE_TOKEN !== undefined && env.TRC_EDGE_TOKEN !== '') {
    values.token = env.TRC_EDGE_TOKEN;
  }
  const controlMode = values.control !== undefined || values.token !== undefined || values['token-file'] !== undefined || values['public-address'] !== undefined;
  if (controlMode && values.routes !== undefined) problems.push({ path: '--routes', code: 'TRC_EDGE_USAGE', message: 'give either --routes (standalone) or --control (control plane), not both' });
  const required = controlMode ? ['control', 'token', 'admin'] : ['routes', 'admin'];
  for (const key of required) if (values[key] === undefined && !problems.some((p) => p.path === `--${key}`)) problems.push({ path: `--${key}`, code: 'TRC_EDGE_USAGE', message: 'is required' });
  let admin: SocketAddress | undefined;
  if (values.admin !== undefined) {
    const r = parseSocketAddress(values.admin);
    if (r.ok) admin = r.address;
    else problems.push({ path: '--admin', code: 'TRC_EDGE_USAGE', message: r.message });
  }
  if (values.control !== undefined && !/^https?:\/\/[^\s/]+\/?$/.test(values.control)) problems.push({ path: '--control', code: 'TRC_EDGE_USAGE', message: 'must be the control plane\'s base URL, e.g. http://127.0.0.1:7700' });
  if (values['public-address'] !== undefined && isIP(values['public-address']) === 0) problems.push({ path: '--public-address', code: 'TRC_EDGE_USAGE', message: 'must be an IP address, e.g. 198.51.100.7' });
  if (problems.length > 0 || admin === undefined) throw new TrcError('TRC_EDGE_USAGE', 'platform-edge was started with bad options', { problems, hint: USAGE });
  if (controlMode) return { control: values.control!, token: values.token!, admin, ...(values['public-address'] === undefined ? {} : { publicAddress: values['public-address'] }) };
  return { routes: values.routes!, admin };
}

/** Formats an error for stderr, with the code of each problem so it can be looked up in docs/errors.md. */
export function describeError(e: TrcError): string {
  const lines = [`${e.code}: ${e.message}`];
  for (const p of e.problems) {
    lines.push(`  ${p.path === '' ? '' : `${p.path}: `}${p.code}: ${p.message}`);
    if (p.hint !== undefined) lines.push(`    hint: ${p.hint}`);
  }
  if (e.hint !== undefined) lines.push(`Hint: ${e.hint}`);
  return lines.join('\n');
}

function log(line: string): void {
  process.stderr.write(`platform-edge: ${line}\n`);
}

async function main(): Promise<number> {
  let parsed: CliOptions | ControlModeOptions;
  try {
    parsed = parseArgs(process.argv.slice(2), process.env);
  } catch (e) {
    if (isTrcError(e)) process.stderr.write(`${describeError(e)}\n`);
    else throw e;
    return 2;
  }
  if (!('routes' in parsed)) return runWithControlPlane(parsed, describeError);
  const options = parsed;
  const source = new FileRouteSource(options.routes);
  let table: RouteTable;
  try {
    table = await source.load();
  } catch (e) {
    if (!isTrcError(e)) throw e;
    process.stderr.write(`${describeError(e)}\n`);
    return 2;
  }
  const edge = new Edge({ events: new JsonLinesEventSink((l) => process.stdout.write(l)), random: Math.random, now: () => new Date() });
  const applied = await edge.applyRoutes(table);
  if (applied.errors.length > 0) {
    for (const e of applied.errors) process.stderr.write(`${describeError(e)}\n`);
    await edge.stop();
    return 1;
  }
  let admin: Server;
  try {
    admin = await startAdminServer(options.admin, { status: () => edge.status(), metricsText: () => edge.metrics.render() });
  } catch (e) {
    if (!isTrcError(e)) throw e;
    process.stderr.write(`${describeError(e)}\n`);
    await edge.stop();
    return 1;
  }
  log(`${table.routes.length} route(s) up; admin on ${formatSocketAddress(options.admin)}`);

  process.on('SIGHUP', () => {
    log(`SIGHUP: reloading ${options.routes}`);
    source.load().then(async (next) => {
      const r = await edge.applyRoutes(next);
      for (const e of r.errors) process.stderr.write(`${describeError(e)}\n`);
      log(`reloaded: ${next.routes.length} route(s)${r.errors.length > 0 ? `, ${r.errors.length} could not start` : ''}`);
    }, (e: unknown) => {
      if (!isTrcError(e)) throw e;
      process.stderr.write(`${describeError(e)}\nplatform-edge: reload refused; the running routes are unchanged\n`);
    });
  });
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        log(`${signal} again: exiting without waiting for connections`);
        resolve(1);
        return;
      }
      stopping = true;
      log(`${signal}: no longer accepting; draining connections`);
      // The admin endpoint stays up while connections drain, so /status shows them going.
      void edge.stop().then(() => {
        admin.close();
        admin.closeAllConnections();
        log('stopped');
        resolve(0);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

if (import.meta.main) {
  main().then((code) => process.exit(code), (e: unknown) => {
    process.stderr.write(`TRC_INTERNAL: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(70);
  });
}
