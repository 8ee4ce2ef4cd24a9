// Node capabilities: a node reports its own, the operator lists them, nobody else may do either, and a body
// outside the schema is refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../test-support/api.ts';

const api = await startTestApi('node-capabilities');
after(() => api.close());
const op = api.operatorToken;

test('a node reports its runtime capabilities and the operator reads them; other nodes and org tokens cannot', async () => {
  const join = (await api.request('POST', '/v1/join-tokens', { token: op, body: { name: 'rack' } })).body.token as string;
  const n1 = (await api.request('POST', '/v1/nodes', { token: join, body: { name: 'n1', cores: 2, memoryBytes: 2 ** 32, reservedMemoryBytes: 2 ** 30 } })).body.token as string;
  const n2 = (await api.request('POST', '/v1/nodes', { token: join, body: { name: 'n2', cores: 2, memoryBytes: 2 ** 32, reservedMemoryBytes: 2 ** 30 } })).body.token as string;
  await api.request('POST', '/v1/orgs', { token: op, body: { name: 'acme' } });
  const org = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
  const caps = { runtimes: ['runc'], network: 'routed', cgroup: 'v2', secrets: 'tmpfs' };

  assert.deepEqual((await api.request('GET', '/v1/node-capabilities', { token: op })).body, {});
  const res = await api.request('PUT', '/v1/nodes/n1/capabilities', { token: n1, body: caps });
  assert.equal(res.status, 200, res.text);
  assert.equal((await api.request('PUT', '/v1/nodes/n1/capabilities', { token: n2, body: caps })).status, 404);
  assert.equal((await api.request('PUT', '/v1/nodes/n1/capabilities', { token: n1, body: { ...caps, cgroup: 'v3' } })).status, 400);
  assert.equal((await api.request('PUT', '/v1/nodes/n1/capabilities', { token: n1, body: { ...caps, extra: 1 } })).status, 400);
  assert.equal((await api.request('GET', '/v1/node-capabilities', { token: org })).status, 403);
  const listed = (await api.request('GET', '/v1/node-capabilities', { token: op })).body as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(listed), ['n1']);
  assert.deepEqual({ ...listed.n1, reportedAt: undefined }, { ...caps, reportedAt: undefined });
});
