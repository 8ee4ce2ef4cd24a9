// Runs the edge proxy as a black box (`bin/platform-edge --routes FILE --admin ADDR`) and reads its /status.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startProcess, type Endpoint, type RunningProcess } from './process.ts';
import { freePort, hostPort } from './ports.ts';
import { tempDir } from './temp-dir.ts';
import { withCleanup } from './haproxy.ts';

export const EDGE_BIN = resolve(import.meta.dirname, '../../../../bin/platform-edge');

export interface RouteSpec {
  readonly name: string;
  readonly listen: Endpoint;
  readonly backends: readonly Endpoint[];
  readonly proxyProtocol: 'off' | 'v2';
  readonly healthCheck?: { readonly kind: 'tcp' | 'http'; readonly path?: string; readonly interval: string };
}

export interface BackendStatus {
  readonly address: string;
  readonly healthy: boolean;
  readonly reason?: string;
  readonly active_connections: number;
}

export interface RouteStatus {
  readonly name: string;
  readonly listen: string;
  readonly backends: readonly BackendStatus[];
}

export interface RunningEdge extends RunningProcess {
  readonly admin: Endpoint;
  status(): Promise<readonly RouteStatus[]>;
  /** Polls /status (bounded) until the backend of the route satisfies `accept`; returns its last status. */
  waitForBackend(route: string, address: string, accept: (b: BackendStatus) => boolean, timeoutMs?: number): Promise<BackendStatus>;
}

export function routesToml(routes: readonly RouteSpec[]): string {
  const q = (s: string): string => JSON.stringify(s);
  return routes
    .map((r) => {
      const lines = [
        '[[routes]]',
        `name = ${q(r.name)}`,
        `listen = ${q(hostPort(r.listen.host, r.listen.port))}`,
        `backends = [${r.backends.map((b) => q(hostPort(b.host, b.port))).join(', ')}]`,
        `proxy_protocol = ${q(r.proxyProtocol)}`,
      ];
      if (r.proxyProtocol === 'v2') lines.push('backend_expects_proxy_protocol = true');
      if (r.healthCheck !== undefined) {
        lines.push('[routes.health_check]', `kind = ${q(r.healthCheck.kind)}`);
        if (r.healthCheck.path !== undefined) lines.push(`path = ${q(r.healthCheck.path)}`);
        lines.push(`interval = ${q(r.healthCheck.interval)}`);
      }
      return lines.join('\n');
    })
    .join('\n\n') + '\n';
}

export interface EdgeOptions {
  readonly routes: readonly RouteSpec[];
  /** A command the edge runs under that execs it, e.g. `prlimit --nofile=65536`. */
  readonly wrapper?: readonly string[];
}

export async function startEdge(options: EdgeOptions): Promise<RunningEdge> {
  const dir = tempDir('edge');
  const file = join(dir.path, 'routes.toml');
  writeFileSync(file, routesToml(options.routes));
  const admin = { host: '127.0.0.1', port: await freePort() };
  const argv = [...(options.wrapper ?? []), EDGE_BIN, '--routes', file, '--admin', hostPort(admin.host, admin.port)];
  let running: RunningProcess;
  try {
    running = await startProcess({
      name: 'platform-edge',
      command: argv[0]!,
      args: argv.slice(1),
      ready: [admin, ...options.routes.map((r) => r.listen)],
    });
  } catch (e) {
    dir[Symbol.dispose]();
    throw e;
  }
  const base = withCleanup(running, () => dir[Symbol.dispose]());
  const status = async (): Promise<readonly RouteStatus[]> => {
    const res = await fetch(`http://${hostPort(admin.host, admin.port)}/status`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`edge /status answered ${res.status}`);
    return ((await res.json()) as { routes: RouteStatus[] }).routes;
  };
  const waitForBackend = async (route: string, address: string, accept: (b: BackendStatus) => boolean, timeoutMs = 8000): Promise<BackendStatus> => {
    const deadline = performance.now() + timeoutMs;
    let last: BackendStatus | undefined;
    for (;;) {
      const r = (await status()).find((x) => x.name === route);
      last = r?.backends.find((b) => b.address === address);
      if (last !== undefined && accept(last)) return last;
      if (performance.now() > deadline) {
        throw new Error(`backend ${address} of route ${route} did not reach the expected state; last: ${JSON.stringify(last)}\n${running.output()}`);
      }
      await sleep(100);
    }
  };
  return { ...base, admin, status, waitForBackend };
}
