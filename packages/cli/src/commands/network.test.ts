// Routes, dedicated IPv4 addresses and the operator's pool against the real control plane.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld } from '../test-support/world.ts';
import { startNodeStandIn } from '../test-support/node-stand-in.ts';

const world = await startWorld('network');
const join = (JSON.parse((await world.cli(['nodes', 'join-token', 'rack', '--json'])).stdout) as { token: string }).token;
const node = await startNodeStandIn(world.base, join, { name: 'edge-node' });
// The control plane stops first (its after hook came first), so the stand-in's last pass may fail to connect.
world.stopFirst(() => node.stop());
await world.cli(['orgs', 'create', 'net']);
await world.cli(['apps', 'create', '--org', 'net', 'shop']);
const files = { 'platform.toml': 'app = "shop"\n[processes.web]\ncmd = ["web"]\nmemory = "64Mi"\ncount = 2\nport = 8080\n' };
const deployed = await world.cli(['deploy', '--app', 'shop', '--image', `127.0.0.1:5000/shop@sha256:${'f'.repeat(64)}`, '--timeout', '30'], { files });
assert.equal(deployed.code, 0, deployed.stderr);

test('ip-pool set/show (operator), ips allocate/list/release: --json shapes and tables', async () => {
  assert.equal((await world.cli(['ip-pool', 'set', '203.0.113.10', '203.0.113.11'])).stdout, 'pool: 203.0.113.10 203.0.113.11\n');
  const ip = JSON.parse((await world.cli(['ips', 'allocate', '--app', 'shop', '--json'])).stdout) as { address: string; env: string };
  assert.deepEqual([ip.address, ip.env], ['203.0.113.10', 'prod']);
  assert.equal((await world.cli(['ips', 'allocate', '--app', 'shop', '--env', 'staging'])).stdout, 'Allocated 203.0.113.11 to shop/staging\n');
  assert.match((await world.cli(['ips', 'list', '--app', 'shop'])).stdout, /^ADDRESS +ENV +ALLOCATED\n203\.0\.113\.10 +prod +\d{4}-.*\n203\.0\.113\.11 +staging +/);
  assert.match((await world.cli(['ip-pool', 'show'])).stdout, /^ADDRESS +ALLOCATED TO\n203\.0\.113\.10 +shop\/prod\n203\.0\.113\.11 +shop\/staging\n$/);
  const exhausted = await world.cli(['ips', 'allocate', '--app', 'shop']);
  assert.equal(exhausted.code, 1);
  assert.equal(exhausted.stderr, 'TRC_IPV4_POOL_EXHAUSTED: every IPv4 address of the pool is allocated\nHint: ask the operator to add addresses to the pool, or use the shared address\n');
  assert.equal((await world.cli(['ips', 'release', '--app', 'shop', '203.0.113.11'])).stdout, 'Released 203.0.113.11\n');
  const bad = await world.cli(['ip-pool', 'set', 'not-an-ip']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^TRC_INVALID_INPUT: /);
});

test('routes create/list/status/delete: PROXY v2 must be acknowledged; status counts healthy instances', async () => {
  const created = await world.cli(['routes', 'create', '--app', 'shop', '--process', 'web', '--port', '443', 'https']);
  assert.deepEqual(created, { code: 0, stdout: 'Created route https: (shared address):443 -> shop/prod web (PROXY protocol off)\n', stderr: '' });
  const unacknowledged = await world.cli(['routes', 'create', '--app', 'shop', '--process', 'web', '--port', '5432', '--proxy-protocol', 'v2', 'db']);
  assert.equal(unacknowledged.code, 1);
  assert.match(unacknowledged.stderr, /^TRC_ROUTE_PROXY_UNACKNOWLEDGED: /m);
  const v2 = await world.cli(['routes', 'create', '--app', 'shop', '--process', 'web', '--port', '5432', '--proxy-protocol', 'v2', '--backend-expects-proxy-protocol', '--address', '203.0.113.10', 'db']);
  assert.equal(v2.stdout, 'Created route db: 203.0.113.10:5432 -> shop/prod web (PROXY protocol v2)\n');
  assert.match((await world.cli(['routes', 'list', '--app', 'shop'])).stdout, /^NAME +ENV +ADDRESS +PORT +PROCESS +PROXY\nhttps +prod +shared +443 +web +off\ndb +prod +203\.0\.113\.10 +5432 +web +v2\n$/);
  assert.equal((await world.cli(['routes', 'status', '--app', 'shop', 'https'])).stdout, 'NAME   ENV   ADDRESS  PORT  PROCESS  HEALTHY\nhttps  prod  shared   443   web      2/2\n');
  const status = JSON.parse((await world.cli(['routes', 'status', '--app', 'shop', '--json'])).stdout) as { name: string; healthy: number; instances: number }[];
  assert.deepEqual(status.map((r) => [r.name, r.healthy, r.instances]), [['https', 2, 2], ['db', 2, 2]]);
  assert.equal((await world.cli(['routes', 'create', '--app', 'shop', '--process', 'web', 'noport'])).code, 2);
  assert.equal((await world.cli(['routes', 'delete', '--app', 'shop', 'db'])).stdout, 'Deleted route db of shop/prod\n');
  assert.equal(JSON.parse((await world.cli(['routes', 'list', '--app', 'shop', '--json'])).stdout).length, 1);
});
