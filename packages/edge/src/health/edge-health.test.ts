import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freeAddress, httpServer, roundTrip, routeSpec, testEdge, waitFor } from '../testing/loopback.ts';

test('health transitions (and each backend\'s first verdict) reach /status (reason), /metrics and the event sink, and unhealthy backends get no connections', async () => {
  // One backend serves HTTP behind PROXY v2; the other is a plain HTTP server until it is "fixed".
  const good = await httpServer('127.0.0.1', 200, { proxyV2: true });
  const flaky = await httpServer('127.0.0.1', 200);
  const fixed = await httpServer('127.0.0.1', 200, { proxyV2: true });
  await using t = testEdge();
  const listen = await freeAddress();
  const spec = (backends: typeof good.address[]) => routeSpec('api', listen, backends, {
    proxyProtocol: 'v2',
    healthCheck: { kind: 'http', path: '/healthz', intervalMs: 1000, timeoutMs: 1000 },
  });
  await t.edge.applyRoutes({ routes: [spec([good.address, flaky.address])] });
  const flakyKey = `127.0.0.1:${flaky.address.port}`;
  const goodKey = `127.0.0.1:${good.address.port}`;
  await waitFor('the plain backend to be marked unhealthy', () => t.events.events.some((e) => e.backend === flakyKey && e.type === 'BackendMarkedUnhealthy'));
  await waitFor('the good backend to be checked', () => t.edge.status().routes[0]!.backends.find((b) => b.address === goodKey)!.reason.startsWith('HTTP 200'));

  const backends = t.edge.status().routes[0]!.backends;
  assert.deepEqual(backends.find((b) => b.address === flakyKey), {
    address: flakyKey,
    healthy: false,
    reason: 'PROXY v2 mismatch: backend answered HTTP 400 to a PROXY-prefixed request; does it accept PROXY v2?',
    active_connections: 0,
  });
  assert.equal(backends.find((b) => b.address === goodKey)!.healthy, true);
  // A backend healthy from its first probe is reported once all the same, so the control plane knows it was checked.
  await waitFor('the good backend\'s first verdict to be reported', () => t.events.events.some((e) => e.backend === goodKey));
  assert.deepEqual(t.events.events.filter((e) => e.backend === goodKey).map((e) => e.type), ['BackendMarkedHealthy']);
  const event = t.events.events.find((e) => e.backend === flakyKey)!;
  assert.deepEqual(event, { type: 'BackendMarkedUnhealthy', time: '1970-01-01T00:00:00.000Z', route: 'api', backend: flakyKey, reason: event.reason, proxyMismatch: true });
  const metrics = t.edge.metrics.render();
  assert.match(metrics, new RegExp(`trc_edge_backend_health_transitions_total\\{backend="${flakyKey}",route="api",to="unhealthy"\\} 1`));
  assert.match(metrics, new RegExp(`trc_edge_backend_healthy\\{backend="${flakyKey}",route="api"\\} 0`));

  // Every new connection goes to the healthy backend.
  for (let i = 0; i < 6; i++) assert.match((await roundTrip(listen, 'GET / HTTP/1.0\r\n\r\n')).toString(), /^HTTP\/1\.1 200/);
  assert.equal(t.edge.metrics.get('trc_edge_backend_connections_total', { route: 'api', backend: flakyKey }), 0);
  assert.equal(t.edge.metrics.get('trc_edge_backend_connections_total', { route: 'api', backend: goodKey }), 6);

  // The operator fixes the backend (here: the same port now speaks PROXY); the next probe marks it healthy.
  const fixedPort = flaky.address.port;
  await flaky.close();
  fixed.server.close();
  await new Promise<void>((r) => fixed.server.once('close', () => r()));
  fixed.server.listen({ host: '127.0.0.1', port: fixedPort });
  await waitFor('the fixed backend to be marked healthy', () => t.events.events.some((e) => e.backend === flakyKey && e.type === 'BackendMarkedHealthy'));
  assert.match(t.edge.metrics.render(), new RegExp(`trc_edge_backend_health_transitions_total\\{backend="${flakyKey}",route="api",to="healthy"\\} 1`));
  await good.close();
  await fixed.close();
});
