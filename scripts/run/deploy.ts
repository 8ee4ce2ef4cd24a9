// Deploys the example through bin/platform, idempotently, so a second `make run` reuses what the first
// made: org `demo` and its token, app `hello`, its GREETING secret, a release of the image, one web
// instance and the public route `http` on 127.0.0.1.
import { userError } from '@trc/core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PlatformCli } from './cli.ts';

export const ORG = 'demo';
export const APP = 'hello';
export const ROUTE = 'http';
export const ORG_TOKEN_FILE = 'org.token';

interface Instance { readonly id: string; readonly desired: string; readonly actual: string; readonly processType?: string }
interface RouteRow { readonly name: string; readonly port: number }

/** Polls `fn` until it gives a value; bounded by `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, signal?: AbortSignal): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (let i = 0; i < 100_000; i++) {
    signal?.throwIfAborted();
    const value = await fn();
    if (value !== undefined) return value;
    if (performance.now() > deadline) break;
    await sleep(250);
  }
  throw userError('TRC_RUN_START_FAILED', `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`, 'the agent\'s and edge\'s logs are in the logs directory of the data dir');
}

function names(rows: readonly { readonly name: string }[]): string[] {
  return rows.map((r) => r.name);
}

/** The org and an org token (kept 0600 in the data dir); returns the token. */
export async function ensureOrg(operator: PlatformCli, dataDir: string): Promise<string> {
  if (!names(await operator.json<{ name: string }[]>(['orgs', 'list'])).includes(ORG)) await operator.ok(['orgs', 'create', ORG]);
  const file = path.join(dataDir, ORG_TOKEN_FILE);
  if (!existsSync(file)) {
    const created = await operator.json<{ token: string }>(['tokens', 'create', '--org', ORG, 'make-run']);
    writeFileSync(file, `${created.token}\n`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

export interface DeployInput {
  readonly image: string;
  readonly manifest: string;
  readonly greeting: string;
  readonly routePort: number;
  readonly log: (line: string) => void;
}

/** App, secret (set at the first run only: a later change is the user's, with `secrets set`), release, scale, route. */
export async function deployExample(cli: PlatformCli, input: DeployInput): Promise<void> {
  if (!names(await cli.json<{ name: string }[]>(['apps', 'list'])).includes(APP)) await cli.ok(['apps', 'create', APP]);
  const secrets = await cli.json<{ names: string[] }>(['secrets', 'list', '--app', APP]);
  if (!secrets.names.includes('GREETING')) await cli.ok(['secrets', 'set', '--app', APP, `GREETING=${input.greeting}`]);
  input.log(`deploying ${input.image}`);
  await cli.ok(['deploy', '--app', APP, '--image', input.image, '--manifest', input.manifest, '--detach']);
  // A previous `make run` scaled web to 0 when it stopped.
  await cli.ok(['scale', '--app', APP, 'web=1']);
  const routes = await cli.json<RouteRow[]>(['routes', 'list', '--app', APP]);
  const existing = routes.find((r) => r.name === ROUTE);
  if (existing !== undefined && existing.port !== input.routePort) await cli.ok(['routes', 'delete', '--app', APP, ROUTE]);
  if (existing?.port !== input.routePort) await cli.ok(['routes', 'create', '--app', APP, '--process', 'web', '--port', String(input.routePort), ROUTE]);
}

export async function instances(cli: PlatformCli): Promise<Instance[]> {
  return cli.json<Instance[]>(['instances', 'list', '--app', APP]);
}

export async function waitHealthy(cli: PlatformCli, timeoutMs: number, signal?: AbortSignal): Promise<Instance> {
  return until('a healthy web instance of hello', timeoutMs, async () => (await instances(cli)).find((i) => i.desired === 'running' && i.actual === 'healthy'), signal);
}

/** GET through the edge until the app answers its greeting. */
export async function waitRoute(url: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  return until(`${url} to answer`, timeoutMs, async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      return res.ok && body.startsWith('hello from') ? body.trim() : undefined;
    } catch {
      return undefined;
    }
  }, signal);
}

/** Scales web to 0 and waits (bounded) for the control plane to see no instance running. */
export async function stopInstances(cli: PlatformCli, timeoutMs: number): Promise<boolean> {
  const r = await cli.run(['scale', '--app', APP, 'web=0'], 15_000);
  if (r.code !== 0) return false;
  try {
    await until('the instances to stop', timeoutMs, async () => ((await instances(cli)).some((i) => i.desired === 'running' || !['stopped', 'exited'].includes(i.actual)) ? undefined : true));
    return true;
  } catch {
    return false;
  }
}
