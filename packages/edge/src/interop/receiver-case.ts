// One interop suite every PROXY-aware receiver runs (HAProxy, nginx): through the real edge, the receiver
// must report the client's own address and ephemeral port over IPv4 and IPv6, and the edge's health check
// must tell the receiver with PROXY enabled (healthy) from the same receiver without it (unhealthy, PROXY named).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, type RouteSpec, type RunningEdge } from '../test-support/edge.ts';
import { httpGet } from '../test-support/http-probe.ts';
import { freePort, hostPort } from '../test-support/ports.ts';
import type { Endpoint, RunningProcess } from '../test-support/process.ts';

/** Where one receiver process listens: each answers any GET with 200, the proxied ones with `addr:port`. */
export interface ReceiverPorts {
  readonly proxied4: Endpoint;
  readonly proxied6: Endpoint;
  readonly plain4: Endpoint;
}

export type StartReceiver = (ports: ReceiverPorts) => Promise<RunningProcess>;

const TEST_TIMEOUT = 30_000;

export function runProxyReceiverInterop(server: string, startReceiver: StartReceiver): void {
  describe(`${server} behind the edge`, { timeout: 60_000 }, () => {
    let receiver: RunningProcess | undefined;
    let edge: RunningEdge | undefined;
    let ports: ReceiverPorts;
    const edgeListen = { v4: { host: '127.0.0.1', port: 0 }, v6: { host: '::1', port: 0 } };
    const http = { kind: 'http', path: '/healthz', interval: '1s' } as const;
    const tcp = { kind: 'tcp', interval: '1s' } as const;

    before(async () => {
      ports = {
        proxied4: { host: '127.0.0.1', port: await freePort('127.0.0.1') },
        proxied6: { host: '::1', port: await freePort('::1') },
        plain4: { host: '127.0.0.1', port: await freePort('127.0.0.1') },
      };
      edgeListen.v4.port = await freePort('127.0.0.1');
      edgeListen.v6.port = await freePort('::1');
      receiver = await startReceiver(ports);
      const unused = async (): Promise<Endpoint> => ({ host: '127.0.0.1', port: await freePort() });
      const routes: RouteSpec[] = [
        { name: 'v4', listen: edgeListen.v4, backends: [ports.proxied4], proxyProtocol: 'v2', healthCheck: http },
        { name: 'v6', listen: edgeListen.v6, backends: [ports.proxied6], proxyProtocol: 'v2', healthCheck: http },
        { name: 'tcp-check', listen: await unused(), backends: [ports.proxied4], proxyProtocol: 'v2', healthCheck: tcp },
        { name: 'plain-http-check', listen: await unused(), backends: [ports.plain4], proxyProtocol: 'v2', healthCheck: http },
        { name: 'plain-tcp-check', listen: await unused(), backends: [ports.plain4], proxyProtocol: 'v2', healthCheck: tcp },
      ];
      edge = await startEdge({ routes });
    });

    after(async () => {
      await edge?.stop();
      await receiver?.stop();
    });

    const seesClient = async (route: 'v4' | 'v6', backend: Endpoint, listen: Endpoint): Promise<void> => {
      assert.ok(edge !== undefined);
      await edge.waitForBackend(route, hostPort(backend.host, backend.port), (b) => b.healthy);
      // Two requests: two different ephemeral ports, each reported exactly.
      for (let i = 0; i < 2; i++) {
        const r = await httpGet(listen, '/whoami');
        assert.equal(r.status, 200, r.body);
        assert.equal(r.localAddress, listen.host);
        assert.equal(r.body.trim(), `${r.localAddress}:${r.localPort}`);
      }
    };

    it(`${server} sees the real client address and ephemeral port over IPv4`, { timeout: TEST_TIMEOUT }, async () => {
      await seesClient('v4', ports.proxied4, edgeListen.v4);
    });

    it(`${server} sees the real client address and ephemeral port over IPv6`, { timeout: TEST_TIMEOUT }, async () => {
      await seesClient('v6', ports.proxied6, edgeListen.v6);
    });

    it(`the edge health check reports ${server} with PROXY healthy and ${server} without PROXY unhealthy, naming PROXY`, { timeout: TEST_TIMEOUT }, async () => {
      assert.ok(edge !== undefined);
      const proxied = hostPort(ports.proxied4.host, ports.proxied4.port);
      const plain = hostPort(ports.plain4.host, ports.plain4.port);
      for (const route of ['v4', 'tcp-check']) {
        const b = await edge.waitForBackend(route, proxied, (x) => x.healthy);
        assert.equal(b.healthy, true, `${route}: ${JSON.stringify(b)}`);
      }
      for (const route of ['plain-http-check', 'plain-tcp-check']) {
        const b = await edge.waitForBackend(route, plain, (x) => !x.healthy && x.reason !== undefined && x.reason !== '');
        assert.equal(b.healthy, false);
        assert.match(b.reason ?? '', /PROXY/, `${route}: the reason must name the PROXY mismatch: ${JSON.stringify(b)}`);
      }
      // Stable, not a first-probe fluke: still so after another interval.
      await new Promise((r) => setTimeout(r, 1200));
      const routes = await edge.status();
      const of = (name: string) => routes.find((r) => r.name === name)?.backends[0];
      assert.equal(of('v4')?.healthy, true);
      assert.equal(of('plain-http-check')?.healthy, false);
      assert.match(of('plain-http-check')?.reason ?? '', /PROXY/);
    });
  });
}
