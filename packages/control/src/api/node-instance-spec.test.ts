// The node agent's instance spec route: the node running an instance reads its image, resources and the
// release's platform.toml; another node, an org token or an unknown instance cannot.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../test-support/api.ts';
import { IMAGE, DIGEST } from '../test-support/control.ts';

const api = await startTestApi('node-instance-spec');
after(() => api.close());
const op = api.operatorToken;

const MANIFEST = `app = "shop"\n[processes.web]\ncmd = ["httpd", "-f"]\nmemory = "64Mi"\ncpu = 0.5\nport = 8080\n[processes.web.health_check]\nkind = "http"\npath = "/up"\n`;

test('GET /v1/nodes/:node/instances/:instance/spec gives the node running the instance its image, resources and manifest, and no one else', async () => {
  const join = (await api.request('POST', '/v1/join-tokens', { token: op, body: { name: 'rack' } })).body.token as string;
  const n1 = (await api.request('POST', '/v1/nodes', { token: join, body: { name: 'n1', cores: 4, memoryBytes: 8 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } })).body.token as string;
  const n2 = (await api.request('POST', '/v1/nodes', { token: join, body: { name: 'n2', cores: 1, memoryBytes: 2 ** 30, reservedMemoryBytes: 2 ** 29 } })).body.token as string;
  await api.request('POST', '/v1/orgs', { token: op, body: { name: 'acme' } });
  const token = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
  await api.request('POST', '/v1/apps', { token, body: { org: 'acme', name: 'shop' } });
  assert.equal((await api.request('POST', '/v1/apps/shop/releases', { token, body: { image: IMAGE, manifest: MANIFEST } })).status, 201);
  assert.equal((await api.request('POST', '/v1/apps/shop/envs/prod/deploys', { token, body: { release: 1 } })).status, 201);
  const placed = (await api.request('GET', '/v1/apps/shop/instances', { token })).body as { id: string; node: string }[];
  assert.equal(placed.length, 1);
  const { id, node } = placed[0]!;
  const [mine, other] = node === 'n1' ? [n1, n2] : [n2, n1];
  const otherName = node === 'n1' ? 'n2' : 'n1';

  const res = await api.request('GET', `/v1/nodes/${node}/instances/${id}/spec`, { token: mine });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, { id, app: 'shop', org: 'acme', env: 'prod', processType: 'web', release: 1, image: IMAGE, digest: DIGEST, bundleVersion: 0, cpu: 0.5, memoryBytes: 64 * 2 ** 20, manifest: MANIFEST });

  assert.equal((await api.request('GET', `/v1/nodes/${node}/instances/${id}/spec`, { token: other })).status, 404);
  assert.equal((await api.request('GET', `/v1/nodes/${otherName}/instances/${id}/spec`, { token: other })).status, 404);
  assert.equal((await api.request('GET', `/v1/nodes/${node}/instances/${id}/spec`, { token })).status, 403);
  assert.equal((await api.request('GET', `/v1/nodes/${node}/instances/ins_0000000000000000/spec`, { token: mine })).status, 404);
});
