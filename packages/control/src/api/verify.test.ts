// POST /v1/admin/verify over HTTP: 200 with the replay's extent when the projection matches the log, and
// TRC_PROJECTION_DRIFT with one problem per drifted projection/key when it does not.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../test-support/api.ts';

const api = await startTestApi('verify-http');
after(() => api.close());
const op = api.operatorToken;
await api.request('POST', '/v1/orgs', { token: op, body: { name: 'acme' } });

test('admin verify answers ok with seq and events, and drift as TRC_PROJECTION_DRIFT naming projection and key, operator only', async () => {
  const ok = await api.request('POST', '/v1/admin/verify', { token: op });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(Object.keys(ok.body).sort(), ['differences', 'events', 'ok', 'seq']);
  assert.equal(ok.body.ok, true);
  assert.deepEqual(ok.body.differences, []);
  const org = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
  assert.equal((await api.request('POST', '/v1/admin/verify', { token: org })).status, 403);

  (await api.t.control.read()).orgs.get('acme')!.quotas = { memoryBytes: 1, instances: null, publicRoutes: null, ipv4Addresses: null };
  const drift = await api.request('POST', '/v1/admin/verify', { token: op });
  assert.equal(drift.status, 500, drift.text);
  assert.equal(drift.body.code, 'TRC_PROJECTION_DRIFT');
  assert.match(drift.body.message, /does not match the replayed log at seq \d+: 1 difference/);
  assert.deepEqual(drift.body.problems, [{ path: 'orgs.acme', code: 'TRC_PROJECTION_DRIFT', message: 'differs at quotas.memoryBytes' }]);
  assert.equal(api.bugs.length, 1, 'drift is a bug, logged');
});
