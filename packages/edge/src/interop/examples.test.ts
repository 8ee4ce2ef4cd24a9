// The playbook's in-instance proxy examples (docs/examples/proxy-protocol/) run for real: the edge sends
// PROXY v2 to nginx or HAProxy configured by the example file, and the app behind it gets the client address.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEdge, type RouteSpec, type RunningEdge } from '../test-support/edge.ts';
import { startHaproxy } from '../test-support/haproxy.ts';
import { httpGet } from '../test-support/http-probe.ts';
import { startNginx } from '../test-support/nginx.ts';
import { freePort, hostPort } from '../test-support/ports.ts';
import type { Endpoint, RunningProcess } from '../test-support/process.ts';
import { tempDir, type TempDir } from '../test-support/temp-dir.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../../../docs/examples/proxy-protocol');

/** Reads an example and fills its placeholders; a placeholder left over means the example changed. */
function fillExample(file: string, values: Readonly<Record<string, string>>, keep: readonly string[] = []): string {
  let text = readFileSync(resolve(EXAMPLES, file), 'utf8');
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{{${name}}}`, value);
  const left = [...text.matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1]!).filter((n) => !keep.includes(n));
  if (left.length > 0) throw new Error(`${file} has placeholders the test does not fill: ${[...new Set(left)].join(', ')}`);
  return text;
}

/** The app inside the instance: answers every request with the headers it received, as JSON. */
function startApp(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify(req.headers));
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen({ host: '127.0.0.1', port }, () => ok(server));
  });
}

/** Waits (bounded) until the proxy's log holds `needle`: logs are written after the answer. */
async function waitForLog(name: string, log: () => string, needle: string): Promise<void> {
  for (let i = 0; i < 40 && !log().includes(needle); i++) await sleep(50);
  assert.ok(log().includes(needle), `the ${name} log does not show ${needle}:\n${log()}`);
}

describe('in-instance proxy examples behind the edge', { timeout: 60_000 }, () => {
  let app: Server | undefined;
  let nginx: RunningProcess | undefined;
  let haproxy: RunningProcess | undefined;
  let edge: RunningEdge | undefined;
  let logs: TempDir | undefined;
  const listen: Record<string, Endpoint> = {};
  const backend: Record<'nginx' | 'haproxy', Endpoint> = { nginx: { host: '127.0.0.1', port: 0 }, haproxy: { host: '127.0.0.1', port: 0 } };

  before(async () => {
    const appPort = await freePort();
    app = await startApp(appPort);
    const appAddress = hostPort('127.0.0.1', appPort);
    backend.nginx = { host: '127.0.0.1', port: await freePort() };
    backend.haproxy = { host: '127.0.0.1', port: await freePort() };
    logs = tempDir('nginx-log');
    // A file, not /dev/stdout: a child's stdout here is a socket, which nginx cannot open by path.
    const accessLog = join(logs.path, 'access.log');
    nginx = await startNginx({
      config: fillExample('nginx.conf', { LISTEN: hostPort('127.0.0.1', backend.nginx.port), APP: appAddress, ACCESS_LOG: accessLog }, ['RUN_DIR']),
      ready: [backend.nginx],
    });
    haproxy = await startHaproxy({
      config: fillExample('haproxy.cfg', { LISTEN: hostPort('127.0.0.1', backend.haproxy.port), APP: appAddress }),
      ready: [backend.haproxy],
    });
    const routes: RouteSpec[] = [];
    for (const server of ['nginx', 'haproxy'] as const) {
      for (const host of ['127.0.0.1', '::1'] as const) {
        const name = `${server}-${host === '::1' ? 'v6' : 'v4'}`;
        listen[name] = { host, port: await freePort(host) };
        routes.push({ name, listen: listen[name], backends: [backend[server]], proxyProtocol: 'v2', healthCheck: { kind: 'http', path: '/healthz', interval: '1s' } });
      }
    }
    edge = await startEdge({ routes });
  });

  after(async () => {
    await edge?.stop();
    await nginx?.stop();
    await haproxy?.stop();
    await new Promise((r) => (app === undefined ? r(undefined) : app.close(r)));
    logs?.[Symbol.dispose]();
  });

  for (const server of ['nginx', 'haproxy'] as const) {
    it(`the ${server} example hands the real client address and port to the app (X-Forwarded-For, Forwarded) and logs it, over IPv4 and IPv6`, { timeout: 30_000 }, async () => {
      assert.ok(edge !== undefined && nginx !== undefined && haproxy !== undefined);
      const accessLog = join(logs?.path ?? '', 'access.log');
      const log = server === 'nginx' ? () => (existsSync(accessLog) ? readFileSync(accessLog, 'utf8') : '') : () => haproxy?.output() ?? '';
      for (const family of ['v4', 'v6']) {
        const name = `${server}-${family}`;
        await edge.waitForBackend(name, hostPort(backend[server].host, backend[server].port), (b) => b.healthy);
        const r = await httpGet(listen[name]!, `/hello?via=${name}`);
        assert.equal(r.status, 200, r.body);
        const headers = JSON.parse(r.body) as Record<string, string>;
        assert.equal(headers['x-forwarded-for'], r.localAddress, JSON.stringify(headers));
        const node = r.localAddress.includes(':') ? `[${r.localAddress}]:${r.localPort}` : `${r.localAddress}:${r.localPort}`;
        assert.equal(headers.forwarded, `for="${node}";proto=http`);
        await waitForLog(server, log, `${r.localAddress}:${r.localPort}`);
      }
    });
  }
});
