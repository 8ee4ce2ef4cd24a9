// Environments over HTTP: POST/GET/DELETE /v1/apps/:app/envs[/:env], and a created environment usable on the
// routes that take :env; the answers follow the OpenAPI response schemas and the error codes of docs/errors.md.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../test-support/api.ts';
import { addNode, IMAGE } from '../test-support/control.ts';

const api = await startTestApi('envs-http');
after(() => api.close());
const op = api.operatorToken;
await addNode(api.t.control, 'n1');
await api.request('POST', '/v1/orgs', { token: op, body: { name: 'acme' } });
const token = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
await api.request('POST', '/v1/apps', { token, body: { org: 'acme', name: 'shop' } });
await api.request('POST', '/v1/apps/shop/releases', { token, body: { image: IMAGE, processes: { web: { cpu: 1, memory: '256Mi', count: 1 } } } });

const names = async (): Promise<string[]> => ((await api.request('GET', '/v1/apps/shop/envs', { token })).body as { name: string }[]).map((e) => e.name);

test('POST /v1/apps/:app/envs creates an environment (201), refuses an existing name (409) and a non-label (400); GET lists them', async () => {
  assert.deepEqual(await names(), ['prod', 'staging']);
  const created = await api.request('POST', '/v1/apps/shop/envs', { token, body: { name: 'preview-42' } });
  assert.equal(created.status, 201, created.text);
  assert.deepEqual(created.body, { name: 'preview-42', release: null, scale: {}, secretsVersion: null, restarts: {}, rollout: null });
  assert.deepEqual(await names(), ['preview-42', 'prod', 'staging']);

  const again = await api.request('POST', '/v1/apps/shop/envs', { token, body: { name: 'preview-42' } });
  assert.deepEqual([again.status, again.body.code], [409, 'TRC_ALREADY_EXISTS']);
  const bad = await api.request('POST', '/v1/apps/shop/envs', { token, body: { name: 'Preview 42' } });
  assert.deepEqual([bad.status, bad.body.code], [400, 'TRC_INVALID_INPUT']);
  const extra = await api.request('POST', '/v1/apps/shop/envs', { token, body: { name: 'qa', region: 'eu' } });
  assert.deepEqual([extra.status, extra.body.code], [400, 'TRC_INVALID_INPUT']);
  assert.deepEqual(api.bugs, []);
});

test('a created environment is accepted by the routes that take :env; an unknown one answers TRC_NOT_FOUND', async () => {
  const deployed = await api.request('POST', '/v1/apps/shop/envs/preview-42/deploys', { token, body: { release: 1 } });
  assert.equal(deployed.status, 201, deployed.text);
  assert.equal(deployed.body.env, 'preview-42');
  assert.equal((await api.request('PUT', '/v1/apps/shop/envs/preview-42/secrets', { token, body: { values: { API_KEY: 'x' } } })).status, 200);
  assert.equal((await api.request('PUT', '/v1/apps/shop/envs/preview-42/routes/www', { token, body: { process: 'web', port: 8042 } })).status, 201);
  const shown = await api.request('GET', '/v1/apps/shop/envs/preview-42', { token });
  assert.deepEqual([shown.status, shown.body.release, shown.body.secretsVersion], [200, 1, 1]);
  const status = await api.request('GET', '/v1/apps/shop/routes/www/status', { token });
  assert.deepEqual([status.status, status.body.env], [200, 'preview-42'], 'a route outside prod/staging is found without ?env');

  const unknown = await api.request('GET', '/v1/apps/shop/envs/qa', { token });
  assert.deepEqual([unknown.status, unknown.body.code], [404, 'TRC_NOT_FOUND']);
});

test('DELETE /v1/apps/:app/envs/:env answers 409 TRC_ENV_IN_USE naming what is left, then 204 once it is empty', async () => {
  const refused = await api.request('DELETE', '/v1/apps/shop/envs/preview-42', { token });
  assert.deepEqual([refused.status, refused.body.code], [409, 'TRC_ENV_IN_USE']);
  assert.ok(typeof refused.body.hint === 'string' && refused.body.hint.length > 0);
  const paths = (refused.body.problems as { path: string }[]).map((p) => p.path);
  assert.ok(paths.some((p) => p.startsWith('instances.')) && paths.includes('routes.www'), paths.join(', '));
  assert.ok(!refused.text.includes('"x"'));

  assert.equal((await api.request('PUT', '/v1/apps/shop/envs/preview-42/processes/web', { token, body: { count: 0 } })).status, 200);
  assert.equal((await api.request('DELETE', '/v1/apps/shop/envs/preview-42/routes/www', { token })).status, 204);
  const deleted = await api.request('DELETE', '/v1/apps/shop/envs/preview-42', { token });
  assert.equal(deleted.status, 204, deleted.text);
  assert.deepEqual(await names(), ['prod', 'staging']);
  const gone = await api.request('GET', '/v1/apps/shop/envs/preview-42', { token });
  assert.deepEqual([gone.status, gone.body.code], [404, 'TRC_NOT_FOUND']);

  const verified = await api.request('POST', '/v1/admin/verify', { token: op });
  assert.deepEqual([verified.status, verified.body.ok], [200, true]);
  assert.deepEqual(api.bugs, []);
});
