// `platform routes status` shows what the edges reported for each backend, PROXY mismatches named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld } from '../test-support/world.ts';
import { startNodeStandIn } from '../test-support/node-stand-in.ts';

const world = await startWorld('routes-status');
const join = (JSON.parse((await world.cli(['nodes', 'join-token', 'rack', '--json'])).stdout) as { token: string }).token;
const node = await startNodeStandIn(world.base, join, { name: 'edge-node', addressPort: 8080 });
world.stopFirst(() => node.stop());
await world.cli(['orgs', 'create', 'net']);
await world.cli(['apps', 'create', '--org', 'net', 'shop']);
const files = { 'platform.toml': 'app = "shop"\n[processes.web]\ncmd = ["web"]\nmemory = "64Mi"\ncount = 1\nport = 8080\n' };
const deployed = await world.cli(['deploy', '--app', 'shop', '--image', `127.0.0.1:5000/shop@sha256:${'e'.repeat(64)}`, '--timeout', '30'], { files });
assert.equal(deployed.code, 0, deployed.stderr);

async function reportHealth(body: unknown): Promise<void> {
  // What an edge on this node does after a probe (packages/edge/src/control-source/health-reporter.ts).
  const res = await fetch(`${world.base}/v1/edge/health`, { method: 'POST', headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status < 300, true, await res.text());
}

test('routes status lists each backend as the edges see it, naming a PROXY v2 mismatch', async () => {
  await world.cli(['routes', 'create', '--app', 'shop', '--process', 'web', '--port', '5432', '--proxy-protocol', 'v2', '--backend-expects-proxy-protocol', 'db']);
  const before = JSON.parse((await world.cli(['routes', 'status', '--app', 'shop', '--json'])).stdout) as { name: string; backends: { address: string; healthy: boolean | null }[] }[];
  assert.equal(before.length, 1);
  assert.equal(before[0]!.backends.length, 1);
  const backend = before[0]!.backends[0]!;
  assert.equal(backend.healthy, null);
  const reason = 'PROXY v2 mismatch: backend answered HTTP 400 to a PROXY-prefixed request; does it accept PROXY v2?';
  await reportHealth({ route: 'shop/prod/db', address: backend.address, healthy: false, reason, proxyMismatch: true });
  const after = JSON.parse((await world.cli(['routes', 'status', '--app', 'shop', 'db', '--json'])).stdout) as { backends: { healthy: boolean | null; reason: string; proxyMismatch: boolean; edge: string }[] }[];
  assert.deepEqual([after[0]!.backends[0]!.healthy, after[0]!.backends[0]!.reason, after[0]!.backends[0]!.proxyMismatch, after[0]!.backends[0]!.edge], [false, reason, true, 'edge-node']);
  const table = (await world.cli(['routes', 'status', '--app', 'shop', 'db'])).stdout;
  assert.match(table, /^NAME +ENV +ADDRESS +PORT +PROCESS +HEALTHY\ndb +prod +shared +5432 +web +1\/1\n\nROUTE +ENV +BACKEND +INSTANCE +EDGE +STATE\ndb +prod +192\.0\.2\.\d+:8080 +\S+ +edge-node +unhealthy: PROXY v2 mismatch: backend answered HTTP 400/);
});
