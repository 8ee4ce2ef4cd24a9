// Malformed requests get a 4xx with a code: never a 500, never a crash. Table cases plus a bounded fuzz.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestApi } from '../test-support/api.ts';
import { ROUTES } from './routes.ts';

const api = await startTestApi('malformed');
after(() => api.close());
const op = api.operatorToken;
await api.request('POST', '/v1/orgs', { token: op, body: { name: 'acme' } });
await api.request('POST', '/v1/apps', { token: op, body: { org: 'acme', name: 'shop' } });

function expectCode(res: { status: number; body: any; text: string }, status: number, code: string, label: string): void {
  assert.equal(res.status, status, `${label}: ${res.text}`);
  assert.equal(res.body?.code, code, `${label}: ${res.text}`);
  assert.equal(typeof res.body.message, 'string');
}

const json = { 'content-type': 'application/json' };

test('malformed requests are answered with a 4xx and a stable code', async () => {
  expectCode(await api.request('POST', '/v1/orgs', { token: op, rawBody: '{"name":', headers: json }), 400, 'TRC_INVALID_INPUT', 'bad JSON');
  expectCode(await api.request('POST', '/v1/orgs', { token: op, rawBody: '', headers: json }), 400, 'TRC_INVALID_INPUT', 'empty JSON body');
  expectCode(await api.request('POST', '/v1/orgs', { token: op, rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'TRC_UNSUPPORTED_MEDIA_TYPE', 'form body');
  expectCode(await api.request('POST', '/v1/orgs', { token: op, body: { name: 7 } }), 400, 'TRC_INVALID_INPUT', 'wrong type');
  expectCode(await api.request('POST', '/v1/orgs', { token: op, body: [] }), 400, 'TRC_INVALID_INPUT', 'array body');
  expectCode(await api.request('POST', '/v1/orgs', { token: op, body: null }), 400, 'TRC_INVALID_INPUT', 'null body');
  expectCode(await api.request('POST', '/v1/orgs', { token: op, rawBody: '{"name":"a","__proto__":{"admin":true}}', headers: json }), 400, 'TRC_INVALID_INPUT', 'prototype poisoning');
  expectCode(await api.request('POST', '/v1/orgs', { token: op, rawBody: `${'['.repeat(5000)}${']'.repeat(5000)}`, headers: json }), 400, 'TRC_INVALID_INPUT', 'deep nesting');
  expectCode(await api.request('POST', '/v1/orgs', { token: op, rawBody: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), headers: json }), 400, 'TRC_INVALID_INPUT', 'invalid UTF-8');
  expectCode(await api.request('POST', '/v1/orgs', { token: op, rawBody: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }), headers: json }), 413, 'TRC_PAYLOAD_TOO_LARGE', 'huge body');
  expectCode(await api.request('GET', '/v1/nope', { token: op }), 404, 'TRC_ROUTE_NOT_FOUND', 'unknown route');
  expectCode(await api.request('PATCH', '/v1/apps', { token: op }), 404, 'TRC_ROUTE_NOT_FOUND', 'unknown method');
  expectCode(await api.request('GET', '/v1/apps/Not_A_Name', { token: op }), 400, 'TRC_INVALID_INPUT', 'bad path parameter');
  expectCode(await api.request('GET', `/v1/apps/${'a'.repeat(300)}`, { token: op }), 400, 'TRC_INVALID_INPUT', 'long path parameter');
  expectCode(await api.request('GET', '/v1/apps/shop/envs/qa', { token: op }), 404, 'TRC_NOT_FOUND', 'unknown environment');
  expectCode(await api.request('GET', '/v1/apps/shop/envs/Not_An_Env', { token: op }), 400, 'TRC_INVALID_INPUT', 'environment name that is no DNS label');
  expectCode(await api.request('GET', '/v1/events?after=1&after=2', { token: op }), 400, 'TRC_INVALID_INPUT', 'repeated query parameter');
  expectCode(await api.request('GET', '/v1/events?after=-1', { token: op }), 400, 'TRC_INVALID_INPUT', 'negative seq');
  expectCode(await api.request('DELETE', '/v1/apps/shop', { token: op, body: { force: true } }), 400, 'TRC_INVALID_INPUT', 'body where none is taken');
  for (const header of ['Bearer', 'Bearer ', 'Basic abc', `Bearer ${'x'.repeat(10_000)}`, 'Bearer trc_op_\u00e9']) {
    const res = await fetch(`${api.base}/v1/apps`, { headers: { authorization: header }, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    // A header fetch itself refuses to send is no request at all.
    if (res === undefined) continue;
    const body = (await res.json()) as { code: string };
    assert.equal(res.status, 401, header.slice(0, 20));
    assert.equal(body.code, 'TRC_UNAUTHENTICATED');
  }
  assert.deepEqual(api.bugs, []);
});

test('random bodies, paths and content types on every route never produce a 5xx or stop the server', async () => {
  const arbitraryBody = fc.oneof(
    fc.json({ maxDepth: 4 }),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.record({ name: fc.string(), org: fc.string(), image: fc.string(), values: fc.dictionary(fc.string(), fc.string()), count: fc.integer(), release: fc.double() }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  );
  const segment = fc.oneof(fc.constantFrom('acme', 'shop', 'prod', 'web', '%00', '..', '%2F', 'tok_0000000000000000'), fc.string({ maxLength: 20 }).map(encodeURIComponent));
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...ROUTES), arbitraryBody, fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1'), segment, async (route, body, type, seg) => {
      const path = `/v1${route.url.replace(/:([a-z]+)/g, () => seg)}`;
      const res = await api.request(route.method, path, { token: op, rawBody: route.method === 'GET' ? undefined : body, headers: { 'content-type': type } });
      assert.ok(res.status < 500, `${route.method} ${path}: ${res.status} ${res.text}`);
      if (res.status >= 400) assert.match(res.body?.code ?? '', /^TRC_[A-Z_0-9]+$/, `${route.method} ${path}: ${res.text}`);
    }),
    { numRuns: 300, seed: 42 },
  );
  assert.equal((await api.request('GET', '/v1/openapi.json')).status, 200);
  assert.deepEqual(api.bugs, []);
});
