// The HTTP API end to end on 127.0.0.1 with the real SQLite store: auth, resources, secrets, OpenAPI.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseSecretsFile } from '@trc/core/secrets-file/index';
import { startTestApi } from '../test-support/api.ts';
import { addNode, IMAGE } from '../test-support/control.ts';
import { ROUTES } from './routes.ts';

const api = await startTestApi('api');
after(() => api.close());
const op = api.operatorToken;
await addNode(api.t.control, 'node-0');

test('the operator token is created once, at first start, and only its hash is stored', async () => {
  assert.match(op, /^trc_op_[A-Za-z0-9_-]{43}$/);
  const { bootstrap } = await import('../commands/orgs.ts');
  assert.equal(await bootstrap(api.t.control), undefined);
  const log = JSON.stringify(await api.t.store.read());
  assert.ok(!log.includes(op));
});

test('requests without a valid token get 401 TRC_UNAUTHENTICATED; the wrong kind of token gets 403', async () => {
  for (const token of [undefined, 'nope', `${op}x`]) {
    const res = await api.request('GET', '/v1/apps', token === undefined ? {} : { token });
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'TRC_UNAUTHENTICATED');
    assert.ok(res.body.hint);
  }
  await api.request('POST', '/v1/orgs', { token: op, body: { name: 'acme' } });
  const orgToken = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'ci' } })).body.token as string;
  const res = await api.request('POST', '/v1/orgs', { token: orgToken, body: { name: 'evil' } });
  assert.equal(res.status, 403);
  assert.equal(res.body.code, 'TRC_FORBIDDEN');
});

test('an app goes from creation to a deployed release with secrets, rendered exactly as TRC_SECRETS_V1', async () => {
  const token = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
  assert.equal((await api.request('POST', '/v1/apps', { token, body: { org: 'acme', name: 'shop' } })).status, 201);
  const release = await api.request('POST', '/v1/apps/shop/releases', { token, body: { image: IMAGE, processes: { web: { cpu: 1, memory: '512Mi', count: 2 } } } });
  assert.equal(release.status, 201, release.text);
  assert.equal((await api.request('POST', '/v1/apps/shop/envs/prod/deploys', { token, body: { release: 1 } })).status, 201);
  const set = await api.request('PUT', '/v1/apps/shop/envs/prod/secrets', { token, body: { values: { DATABASE_URL: 'postgres://u:pw@db/x', MULTI: 'a\nb' } } });
  assert.deepEqual(set.body, { version: 1, names: ['DATABASE_URL', 'MULTI'] });
  const listed = await api.request('GET', '/v1/apps/shop/envs/prod/secrets', { token });
  assert.deepEqual(listed.body, { version: 1, names: ['DATABASE_URL', 'MULTI'] });
  assert.ok(!listed.text.includes('pw@db'));
  const deploys = await api.request('GET', '/v1/apps/shop/envs/prod/deploys', { token });
  assert.deepEqual(deploys.body.map((d: { release: number }) => d.release), [1]);
  const env = await api.request('GET', '/v1/apps/shop/envs/prod', { token });
  assert.deepEqual(Object.keys(env.body.restarts), ['web']);
  const rendered = await api.request('GET', '/v1/apps/shop/envs/prod/secrets/render', { token });
  assert.equal(rendered.text, `# TRC_SECRETS_V1\nDATABASE_URL=postgres://u:pw@db/x\nMULTI=base64:${Buffer.from('a\nb').toString('base64')}\n`);
  const parsed = parseSecretsFile(Buffer.from(rendered.text), 'render');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.map((e) => [e.key, Buffer.from(e.value).toString()]), [['DATABASE_URL', 'postgres://u:pw@db/x'], ['MULTI', 'a\nb']]);
  const bad = await api.request('PUT', '/v1/apps/shop/envs/prod/secrets', { token, body: { values: { '9LIVES': 'x' } } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'TRC_SECRET_KEY_INVALID');
  assert.match(bad.body.hint, /rename/);
});

test('unknown fields and wrong types are rejected with every problem listed by path', async () => {
  const res = await api.request('POST', '/v1/apps', { token: op, body: { org: 5, name: 'ok', colour: 'red', extra: 1 } });
  assert.equal(res.status, 400);
  assert.equal(res.body.code, 'TRC_INVALID_INPUT');
  assert.deepEqual(res.body.problems.map((p: { path: string }) => p.path).sort(), ['colour', 'extra', 'org']);
  const nested = await api.request('POST', '/v1/apps/shop/releases', { token: op, body: { image: IMAGE, processes: { web: { cpu: 1, memory: '1Gi', count: 1, cmd: 'x' } } } });
  assert.deepEqual(nested.body.problems.map((p: { path: string }) => p.path), ['processes.web.cmd']);
  const query = await api.request('GET', '/v1/apps?colour=red', { token: op });
  assert.equal(query.status, 400);
  assert.equal(query.body.code, 'TRC_INVALID_INPUT');
});

test('nodes register with a join token, get a node token, and heartbeat with their capacity; a revoked join token stops working', async () => {
  const join = (await api.request('POST', '/v1/join-tokens', { token: op, body: { name: 'rack-1' } })).body.token as string;
  const reg = await api.request('POST', '/v1/nodes', { token: join, body: { name: 'node-1', cores: 8, memoryBytes: 32 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } });
  assert.equal(reg.status, 201, reg.text);
  const nodeToken = reg.body.token as string;
  assert.equal((await api.request('GET', '/v1/apps', { token: join })).status, 403);
  const hb = await api.request('POST', '/v1/nodes/node-1/heartbeat', { token: nodeToken, body: { cores: 16, memoryBytes: 32 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } });
  assert.equal(hb.status, 200, hb.text);
  assert.equal(hb.body.cores, 16);
  const joins = await api.request('GET', '/v1/join-tokens', { token: op });
  assert.deepEqual(joins.body.map((t: { name: string }) => t.name), ['rack-1']);
  assert.ok(!joins.text.includes(join));
  assert.equal((await api.request('DELETE', `/v1/join-tokens/${joins.body[0].id}`, { token: op })).status, 204);
  const refused = await api.request('POST', '/v1/nodes', { token: join, body: { name: 'node-2', cores: 8, memoryBytes: 32 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } });
  assert.equal(refused.status, 401);
  const nodes = await api.request('GET', '/v1/nodes', { token: op });
  assert.deepEqual(nodes.body.map((n: { name: string; status: string }) => [n.name, n.status]), [['node-0', 'up'], ['node-1', 'up']]);
});

test('events are listed with filters, and an org sees only its own', async () => {
  const all = await api.request('GET', '/v1/events?type=AppCreated,DeployStarted', { token: op });
  assert.deepEqual(all.body.map((e: { type: string }) => e.type), ['AppCreated', 'DeployStarted']);
  for (const e of all.body) assert.deepEqual(Object.keys(e).sort(), ['actor', 'aggregateId', 'aggregateVersion', 'payload', 'seq', 'time', 'type']);
  const after = await api.request('GET', `/v1/events?after=${all.body[0].seq}&limit=2`, { token: op });
  assert.equal(after.body.length, 2);
  assert.ok(after.body[0].seq > all.body[0].seq);
  const token = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'reader' } })).body.token as string;
  const mine = await api.request('GET', '/v1/events', { token });
  assert.ok(mine.body.length > 0);
  for (const e of mine.body) assert.equal(e.payload.org, 'acme');
  assert.ok(!JSON.stringify((await api.request('GET', '/v1/events?type=ApiTokenCreated', { token: op })).body).includes('sha256'));
});

test('following events streams the catch-up and then live appends as NDJSON', async () => {
  const controller = new AbortController();
  const res = await fetch(`${api.base}/v1/events?follow=1&type=OrgCreated`, { headers: { authorization: `Bearer ${op}` }, signal: controller.signal });
  assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
  const reader = res.body!.getReader();
  const seen: string[] = [];
  let buffer = '';
  await api.request('POST', '/v1/orgs', { token: op, body: { name: 'live-org' } });
  for (let i = 0; i < 50 && !seen.includes('live-org'); i++) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += Buffer.from(value).toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) seen.push((JSON.parse(line) as { payload: { org: string } }).payload.org);
  }
  controller.abort();
  assert.deepEqual(seen, ['acme', 'live-org']);
});

test('the OpenAPI document lists every route with its schema, and admin verify passes', async () => {
  const doc = await api.request('GET', '/v1/openapi.json');
  assert.equal(doc.status, 200);
  assert.equal(doc.body.openapi, '3.1.0');
  for (const r of ROUTES) {
    const op = doc.body.paths[`/v1${r.url.replace(/:([a-z]+)/g, '{$1}')}`]?.[r.method.toLowerCase()];
    assert.ok(op, `${r.method} ${r.url} is documented`);
    if (r.body !== undefined) assert.equal(op.requestBody.content['application/json'].schema.additionalProperties, false);
  }
  const verify = await api.request('POST', '/v1/admin/verify', { token: op });
  assert.equal(verify.status, 200, verify.text);
  assert.equal(verify.body.ok, true);
  assert.deepEqual(api.bugs, []);
});
