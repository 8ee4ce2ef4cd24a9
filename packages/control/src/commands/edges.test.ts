// The edge-facing API over real HTTP: the routing table a node's edge reads, health reports becoming events,
// and the route status the route's org reads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../test-support/api.ts';
import { IMAGE } from '../test-support/control.ts';

const api = await startTestApi('edges');
after(() => api.close());
const op = api.operatorToken;

const MANIFEST = `app = "shop"\n[processes.web]\ncmd = ["serve"]\nmemory = "64Mi"\ncount = 3\nport = 8080\n[processes.web.health_check]\nkind = "http"\npath = "/up"\ninterval = "2s"\n[processes.db]\ncmd = ["db"]\nmemory = "64Mi"\nport = 5432\n`;

interface Instance { id: string; node: string; processType: string; desired: string }

async function setUp(): Promise<{ token: string; node: string; instances: Instance[]; other: string }> {
  const join = (await api.request('POST', '/v1/join-tokens', { token: op, body: { name: 'rack' } })).body.token as string;
  const node = (await api.request('POST', '/v1/nodes', { token: join, body: { name: 'n1', cores: 16, memoryBytes: 64 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } })).body.token as string;
  for (const org of ['acme', 'globex']) await api.request('POST', '/v1/orgs', { token: op, body: { name: org } });
  const token = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
  const other = (await api.request('POST', '/v1/orgs/globex/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
  await api.request('POST', '/v1/apps', { token, body: { org: 'acme', name: 'shop' } });
  assert.equal((await api.request('POST', '/v1/apps/shop/releases', { token, body: { image: IMAGE, manifest: MANIFEST } })).status, 201);
  assert.equal((await api.request('POST', '/v1/apps/shop/envs/prod/deploys', { token, body: { release: 1 } })).status, 201);
  await api.request('PUT', '/v1/ipv4-pool', { token: op, body: { addresses: ['203.0.113.9'] } });
  assert.equal((await api.request('POST', '/v1/apps/shop/envs/prod/ipv4', { token })).status, 201);
  assert.equal((await api.request('PUT', '/v1/apps/shop/envs/prod/routes/www', { token, body: { process: 'web', port: 443, address: '203.0.113.9' } })).status, 201);
  assert.equal((await api.request('PUT', '/v1/apps/shop/envs/prod/routes/db', { token, body: { process: 'db', port: 5432, proxy_protocol: 'v2', backend_expects_proxy_protocol: true } })).status, 201);
  const instances = (await api.request('GET', '/v1/apps/shop/instances', { token })).body as Instance[];
  return { token, node, instances, other };
}

const env = await setUp();

test('the edge table lists every route with its listen address, PROXY setting, manifest health check and only running healthy backends', async () => {
  const web = env.instances.filter((i) => i.processType === 'web');
  assert.equal(web.length, 3);
  const report = (id: string, state: string, address?: string) => api.request('POST', `/v1/nodes/n1/instances/${id}/state`, { token: env.node, body: { state, ...(address === undefined ? {} : { address }) } });
  assert.equal((await report(web[0]!.id, 'healthy', '10.0.0.1:8080')).status, 200);
  assert.equal((await report(web[1]!.id, 'starting', '10.0.0.2:8080')).status, 200);
  assert.equal((await report(web[2]!.id, 'healthy', '[fd00::3]:8080')).status, 200);
  assert.equal((await report(web[2]!.id, 'healthy', 'localhost:80')).body.code, 'TRC_INVALID_INPUT');

  const res = await api.request('GET', '/v1/edge/routes?publicAddress=198.51.100.7', { token: env.node });
  assert.equal(res.status, 200, res.text);
  assert.ok(res.body.watch.includes('RouteCreated') && res.body.watch.includes('InstanceStateReported'));
  assert.deepEqual(res.body.routes, [
    { name: 'shop/prod/db', app: 'shop', env: 'prod', route: 'db', listen: { address: '198.51.100.7', port: 5432 }, proxyProtocol: 'v2', backendExpectsProxyProtocol: true, healthCheck: null, backends: [] },
    {
      name: 'shop/prod/www', app: 'shop', env: 'prod', route: 'www', listen: { address: '203.0.113.9', port: 443 }, proxyProtocol: 'off', backendExpectsProxyProtocol: false,
      healthCheck: { kind: 'http', path: '/up', intervalMs: 2000, timeoutMs: 2000 },
      backends: [{ address: '10.0.0.1:8080', instanceId: web[0]!.id }, { address: '[fd00::3]:8080', instanceId: web[2]!.id }],
    },
  ]);
  // Scaling down asks an instance to stop: it drains, and leaves the table at once.
  assert.equal((await api.request('PUT', '/v1/apps/shop/envs/prod/processes/web', { token: env.token, body: { count: 2 } })).status, 200);
  const after = (await api.request('GET', '/v1/edge/routes', { token: op })).body.routes[1];
  assert.equal(after.listen.address, '203.0.113.9');
  assert.ok(after.backends.length < 2, JSON.stringify(after.backends));
  assert.equal((await api.request('GET', '/v1/edge/routes', { token: env.token })).status, 403);
});

test("with edge=1 a node's token is told of every org's routing events, type and seq only; without it, of none", async () => {
  const plain = (await api.request('GET', '/v1/events?limit=1000', { token: env.node })).body as { type: string; payload: { node?: string } }[];
  for (const e of plain) assert.equal(e.payload.node, 'n1');
  const edge = (await api.request('GET', '/v1/events?limit=1000&edge=1', { token: env.node })).body as { type: string; actor: string; payload: Record<string, unknown> }[];
  const types = new Set(edge.map((e) => e.type));
  assert.ok(types.has('RouteCreated') && types.has('Ipv4AddressAllocated') && types.has('DeployStarted'), [...types].join());
  assert.ok(!types.has('ReleaseCreated') && !types.has('AppCreated') && !types.has('SecretBundleVersioned'), [...types].join());
  for (const e of edge.filter((x) => x.type === 'RouteCreated')) assert.deepEqual([e.actor, e.payload], ['', {}]);
  assert.ok(!JSON.stringify(edge.filter((e) => e.payload.node !== 'n1')).includes('acme'));
});

test('health reports become RouteBackendMarked* events (repeats are not), and the route status shows the PROXY reason to its org only', async () => {
  const web = env.instances.find((i) => i.processType === 'db')!;
  assert.equal((await api.request('POST', `/v1/nodes/n1/instances/${web.id}/state`, { token: env.node, body: { state: 'healthy', address: '10.0.0.9:5432' } })).status, 200);
  const before = (await api.request('GET', '/v1/apps/shop/routes/db/status', { token: env.token })).body;
  assert.deepEqual(before.backends, [{ address: '10.0.0.9:5432', instanceId: web.id, healthy: null, reason: 'not yet checked by an edge', proxyMismatch: false, edge: null, since: null }]);

  const reason = 'PROXY mismatch: the backend answered the PROXY v2 header as payload';
  const body = { route: 'shop/prod/db', address: '10.0.0.9:5432', healthy: false, reason, proxyMismatch: true };
  assert.deepEqual((await api.request('POST', '/v1/edge/health', { token: env.node, body })).body, { recorded: true });
  assert.deepEqual((await api.request('POST', '/v1/edge/health', { token: env.node, body })).body, { recorded: false });
  assert.equal((await api.request('POST', '/v1/edge/health', { token: env.node, body: { ...body, route: 'shop/prod/nope' } })).status, 404);
  assert.equal((await api.request('POST', '/v1/edge/health', { token: env.token, body })).status, 403);

  const status = await api.request('GET', '/v1/apps/shop/routes/db/status', { token: env.token });
  assert.equal(status.status, 200, status.text);
  assert.deepEqual({ ...status.body.backends[0], since: undefined }, { address: '10.0.0.9:5432', instanceId: web.id, healthy: false, reason, proxyMismatch: true, edge: 'n1', since: undefined });
  assert.equal(status.body.proxyProtocol, 'v2');
  assert.equal((await api.request('GET', '/v1/apps/shop/routes/db/status', { token: env.other })).status, 404);
  assert.equal((await api.request('GET', '/v1/apps/shop/routes/db/status?env=staging', { token: env.token })).status, 404);

  const events = (await api.request('GET', '/v1/events?app=shop&type=RouteBackendMarkedUnhealthy', { token: env.token })).body as { payload: Record<string, unknown> }[];
  assert.equal(events.length, 1);
  assert.deepEqual(events[0]!.payload, { app: 'shop', org: 'acme', env: 'prod', route: 'db', address: '10.0.0.9:5432', instanceId: web.id, reason, proxyMismatch: true, edge: 'n1' });

  await api.request('POST', '/v1/edge/health', { token: env.node, body: { ...body, healthy: true, reason: 'http 200', proxyMismatch: false } });
  const healed = (await api.request('GET', '/v1/apps/shop/routes/db/status', { token: env.token })).body.backends[0];
  assert.equal(healed.healthy, true);
  assert.equal(healed.reason, 'http 200');
  assert.equal((await api.request('POST', '/v1/admin/verify', { token: op })).status, 200);
  assert.deepEqual(api.bugs, []);
});
