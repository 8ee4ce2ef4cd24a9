import { test } from 'node:test';
import assert from 'node:assert/strict';
import { echoServer, freeAddress, httpServer, proxyAwareServer, startServer, type Host, type TestServer } from '../testing/loopback.ts';
import { probe, type ProbeResult } from './probe.ts';
import { HealthChecker } from './checker.ts';

const MISMATCH_400 = 'PROXY v2 mismatch: backend answered HTTP 400 to a PROXY-prefixed request; does it accept PROXY v2?';

type Kind = 'tcp' | 'http';

async function check(server: TestServer, kind: Kind, proxyV2: boolean): Promise<ProbeResult> {
  try {
    return await probe({ kind, address: server.address, path: '/healthz', timeoutMs: 1000, proxyV2 });
  } finally {
    await server.close();
  }
}

/** Closes every connection as soon as bytes arrive, as a server does that cannot parse them (PostgreSQL, Redis on QUIT). */
const closer = (host: Host = '127.0.0.1'): Promise<TestServer> => startServer(host, (s) => s.once('data', () => s.end()));
/** Speaks PROXY v2, then waits for its own protocol (a client-speaks-first server configured for PROXY). */
const proxyTcp = (host: Host = '127.0.0.1'): Promise<TestServer> => proxyAwareServer(host, () => undefined);

for (const host of ['127.0.0.1', '::1'] as const) {
  test(`v2 http probe: a PROXY-aware HTTP server passes; a plain one answering 400 is a named PROXY mismatch (${host})`, async () => {
    assert.deepEqual(await check(await httpServer(host, 200, { proxyV2: true }), 'http', true), { healthy: true, reason: 'HTTP 200 from GET /healthz', proxyMismatch: false });
    assert.deepEqual(await check(await httpServer(host, 200), 'http', true), { healthy: false, reason: MISMATCH_400, proxyMismatch: true });
  });
}

test('v2 http probe: a backend that echoes the bytes or closes is a PROXY mismatch; a PROXY-aware one answering 503 is an ordinary failure', async () => {
  const echo = await check(await echoServer(), 'http', true);
  assert.equal(echo.proxyMismatch, true);
  assert.match(echo.reason, /^PROXY v2 mismatch: backend echoed the PROXY header back.*does it accept PROXY v2\?$/);
  const closed = await check(await closer(), 'http', true);
  assert.equal(closed.proxyMismatch, true);
  assert.match(closed.reason, /^PROXY v2 mismatch: backend closed the connection without answering a PROXY-prefixed request/);
  assert.deepEqual(await check(await httpServer('127.0.0.1', 503, { proxyV2: true }), 'http', true), { healthy: false, reason: 'HTTP 503 from GET /healthz', proxyMismatch: false });
});

test('v2 tcp probe: a PROXY-aware server holding the connection passes; echo, close and an HTTP 400 are PROXY mismatches', async () => {
  const good = await check(await proxyTcp(), 'tcp', true);
  assert.equal(good.healthy, true, good.reason);
  for (const [what, server, pattern] of [
    ['echo', await echoServer(), /echoed the PROXY header back/],
    ['closer', await closer(), /closed the connection right after the PROXY header/],
    ['plain http', await httpServer('127.0.0.1', 200), /(answered HTTP 400 to the PROXY header|closed the connection)/],
  ] as const) {
    const r = await check(server, 'tcp', true);
    assert.equal(r.healthy, false, what);
    assert.equal(r.proxyMismatch, true, what);
    assert.match(r.reason, /^PROXY v2 mismatch: /, what);
    assert.match(r.reason, pattern, what);
    assert.match(r.reason, /does it accept PROXY v2\?$/, what);
  }
});

test('probes on routes without PROXY: tcp needs a connect, http a 2xx/3xx; failures are not called a PROXY mismatch', async () => {
  assert.equal((await check(await echoServer(), 'tcp', false)).healthy, true);
  assert.deepEqual(await check(await httpServer('127.0.0.1', 302), 'http', false), { healthy: true, reason: 'HTTP 302 from GET /healthz', proxyMismatch: false });
  assert.deepEqual(await check(await httpServer('127.0.0.1', 500), 'http', false), { healthy: false, reason: 'HTTP 500 from GET /healthz', proxyMismatch: false });
  const refused = await probe({ kind: 'tcp', address: await freeAddress(), path: '', timeoutMs: 500, proxyV2: false });
  assert.deepEqual(refused, { healthy: false, reason: 'connect failed: ECONNREFUSED', proxyMismatch: false });
});

test('the checker probes at once, so a misconfigured backend is reported by its first verdict (well within two intervals)', async () => {
  const server = await httpServer('127.0.0.1', 200);
  const results: ProbeResult[] = [];
  const checker = new HealthChecker({ kind: 'http', path: '/', intervalMs: 1000, timeoutMs: 1000 }, server.address, true, (r) => results.push(r));
  checker.start();
  await new Promise<void>((resolve) => {
    const poll = (): void => (results.length > 0 ? resolve() : void setTimeout(poll, 10));
    poll();
  });
  checker.stop();
  assert.equal(results[0]!.reason, MISMATCH_400);
  await server.close();
});
