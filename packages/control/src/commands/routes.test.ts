// Public routes and IPv4 addresses: PROXY v2 acknowledgement, unique (address, port), quotas, the pool.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TrcError } from '@trc/core';
import { addNode, makeTestControl, operator, orgActor, IMAGE } from '../test-support/control.ts';
import { createOrg, setQuotas } from './orgs.ts';
import { createApp, createRelease, deleteApp, deploy } from './apps.ts';
import { allocateIpv4, createRoute, deleteRoute, listRoutes, releaseIpv4, setIpv4Pool } from './routes.ts';

const t = await makeTestControl('routes');
after(() => t.close());
const { control } = t;
const acme = orgActor('acme');
const globex = orgActor('globex');
await addNode(control, 'n1');
for (const [org, app] of [['acme', 'shop'], ['globex', 'gx']] as const) {
  await createOrg(control, operator, { name: org });
  await createApp(control, orgActor(org), { org, name: app });
  await createRelease(control, orgActor(org), app, { image: IMAGE, processes: { web: { cpu: 1, memory: '256Mi', count: 1 } } });
  await deploy(control, orgActor(org), app, 'prod', { release: 1 });
}

test('a route with PROXY v2 must acknowledge that the backend expects it', async () => {
  await assert.rejects(createRoute(control, acme, 'shop', 'prod', 'www', { process: 'web', port: 443, proxy_protocol: 'v2' }), { code: 'TRC_ROUTE_PROXY_UNACKNOWLEDGED' });
  await assert.rejects(createRoute(control, acme, 'shop', 'prod', 'www', { process: 'web', port: 443, backend_expects_proxy_protocol: true }), { code: 'TRC_ROUTE_PROXY_IGNORED' });
  await assert.rejects(createRoute(control, acme, 'shop', 'prod', 'www', { process: 'api', port: 443 }), (e: TrcError) => e.problems[0]?.path === 'process');
  const route = await createRoute(control, acme, 'shop', 'prod', 'www', { process: 'web', port: 443, proxy_protocol: 'v2', backend_expects_proxy_protocol: true });
  assert.deepEqual([route.proxyProtocol, route.port, route.address], ['v2', 443, null]);
});

test("a public port is given once per address, and a refusal never names another org's app", async () => {
  const error = await createRoute(control, globex, 'gx', 'prod', 'www', { process: 'web', port: 443 }).catch((e: unknown) => e);
  assert.ok(error instanceof TrcError);
  assert.equal(error.code, 'TRC_ALREADY_EXISTS');
  assert.doesNotMatch(error.message, /shop/);
  await assert.rejects(createRoute(control, acme, 'shop', 'staging', 'www', { process: 'web', port: 8080 }), { code: 'TRC_NOT_DEPLOYED' });
});

test('public routes and IPv4 addresses pass quota admission; addresses come from the operator pool', async () => {
  await setQuotas(control, operator, 'globex', { memoryBytes: null, instances: null, publicRoutes: 1, ipv4Addresses: 1 });
  await createRoute(control, globex, 'gx', 'prod', 'api', { process: 'web', port: 8443 });
  const quota = await createRoute(control, globex, 'gx', 'prod', 'admin', { process: 'web', port: 9443 }).catch((e: unknown) => e);
  assert.ok(quota instanceof TrcError);
  assert.equal(quota.code, 'TRC_QUOTA_EXCEEDED');
  assert.match(quota.message, /public_routes: org "globex" has 1 of 1 public routes/);
  await assert.rejects(allocateIpv4(control, globex, 'gx', 'prod'), { code: 'TRC_IPV4_POOL_EXHAUSTED' });
  await assert.rejects(setIpv4Pool(control, globex, { addresses: ['203.0.113.1'] }), { code: 'TRC_FORBIDDEN' });
  await assert.rejects(setIpv4Pool(control, operator, { addresses: ['203.0.113.1', '300.1.1.1'] }), { code: 'TRC_INVALID_INPUT' });
  await setIpv4Pool(control, operator, { addresses: ['203.0.113.1', '203.0.113.2'] });
  const ip = await allocateIpv4(control, globex, 'gx', 'prod');
  assert.equal(ip.address, '203.0.113.1');
  await assert.rejects(allocateIpv4(control, globex, 'gx', 'prod'), (e: TrcError) => e.code === 'TRC_QUOTA_EXCEEDED' && /ipv4_addresses/.test(e.message));
  await assert.rejects(setIpv4Pool(control, operator, { addresses: ['203.0.113.2'] }), { code: 'TRC_INVALID_INPUT' });
});

test('a dedicated address has its own ports; it cannot be released while a route uses it', async () => {
  await setQuotas(control, operator, 'globex', { memoryBytes: null, instances: null, publicRoutes: null, ipv4Addresses: 1 });
  await assert.rejects(createRoute(control, acme, 'shop', 'prod', 'own', { process: 'web', port: 443, address: '203.0.113.1' }), (e: TrcError) => e.problems[0]?.path === 'address');
  const route = await createRoute(control, globex, 'gx', 'prod', 'www', { process: 'web', port: 443, address: '203.0.113.1' });
  assert.equal(route.address, '203.0.113.1');
  await assert.rejects(releaseIpv4(control, globex, 'gx', '203.0.113.1'), { code: 'TRC_IPV4_IN_USE' });
  await assert.rejects(releaseIpv4(control, acme, 'gx', '203.0.113.1'), { code: 'TRC_NOT_FOUND' });
  await deleteRoute(control, globex, 'gx', 'prod', 'www');
  await releaseIpv4(control, globex, 'gx', '203.0.113.1');
  assert.equal((await control.read()).ipv4.size, 0);
});

test('deleting an app removes its routes and releases its addresses in the same append', async () => {
  await allocateIpv4(control, globex, 'gx', 'prod');
  assert.equal((await listRoutes(control, globex, 'gx')).length, 1);
  await deleteApp(control, globex, 'gx');
  const state = await control.read();
  assert.equal([...state.routes.values()].filter((r) => r.app === 'gx').length, 0);
  assert.equal(state.ipv4.size, 0);
  assert.equal((await control.verify()).ok, true);
});
