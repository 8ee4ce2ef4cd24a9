// The OpenAPI document's response schemas describe what the server really answers: each main read is
// fetched from a live API and checked against the schema the served document gives for it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../test-support/api.ts';
import { IMAGE } from '../test-support/control.ts';

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; additionalProperties?: Schema | boolean; items?: Schema; enum?: unknown[]; anyOf?: Schema[]; pattern?: string };

/** The subset of JSON Schema responses.ts uses; returns every violation with its path. */
function violations(value: unknown, schema: Schema, path = '$'): string[] {
  if (schema.anyOf !== undefined) return schema.anyOf.some((s) => violations(value, s, path).length === 0) ? [] : [`${path}: matches no alternative`];
  const types = schema.type === undefined ? undefined : Array.isArray(schema.type) ? schema.type : [schema.type];
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' && Number.isInteger(value) ? 'integer' : typeof value;
  if (types !== undefined && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return [`${path}: is ${actual}, not ${types.join('|')}`];
  if (schema.enum !== undefined && !schema.enum.includes(value)) return [`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  if (schema.pattern !== undefined && typeof value === 'string' && !new RegExp(schema.pattern).test(value)) return [`${path}: does not match ${schema.pattern}`];
  const out: string[] = [];
  if (actual === 'array' && schema.items !== undefined) (value as unknown[]).forEach((v, i) => out.push(...violations(v, schema.items!, `${path}[${i}]`)));
  if (actual === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in o)) out.push(`${path}.${k}: is missing`);
    for (const [k, v] of Object.entries(o)) {
      const s = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (s !== undefined) out.push(...violations(v, s, `${path}.${k}`));
    }
  }
  return out;
}

const api = await startTestApi('responses');
after(() => api.close());
const op = api.operatorToken;

test('the main read endpoints answer what their OpenAPI response schemas say', async () => {
  const join = (await api.request('POST', '/v1/join-tokens', { token: op, body: { name: 'rack' } })).body.token as string;
  await api.request('POST', '/v1/nodes', { token: join, body: { name: 'n1', cores: 16, memoryBytes: 64 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } });
  await api.request('POST', '/v1/orgs', { token: op, body: { name: 'acme' } });
  const token = (await api.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
  await api.request('POST', '/v1/apps', { token, body: { org: 'acme', name: 'shop' } });
  await api.request('PUT', '/v1/apps/shop/envs/prod/secrets', { token, body: { values: { K: 'v' } } });
  const doc = (await api.request('GET', '/v1/openapi.json', { token: op })).body as { paths: Record<string, Record<string, { responses: { '2XX': { content?: { 'application/json': { schema: Schema } } } } }>> };
  const schemaOf = (method: string, path: string): Schema => {
    const schema = doc.paths[path]?.[method]?.responses['2XX'].content?.['application/json'].schema;
    assert.ok(schema !== undefined, `${method} ${path} has no response schema`);
    return schema;
  };
  const check = async (method: string, docPath: string, url: string, body?: unknown): Promise<void> => {
    const res = await api.request(method.toUpperCase(), url, { token: docPath === '/v1/admin/verify' ? op : token, ...(body === undefined ? {} : { body }) });
    assert.ok(res.status < 300, `${method} ${url}: ${res.text}`);
    assert.deepEqual(violations(res.body, schemaOf(method, docPath)), [], `${method} ${url}`);
  };
  await check('post', '/v1/apps/{app}/releases', '/v1/apps/shop/releases', { image: IMAGE, processes: { web: { cpu: 1, memory: '512Mi', count: 2 } } });
  await check('post', '/v1/apps/{app}/envs/{env}/deploys', '/v1/apps/shop/envs/prod/deploys', { release: 1 });
  await check('get', '/v1/apps', '/v1/apps');
  await check('get', '/v1/apps/{app}', '/v1/apps/shop');
  await check('get', '/v1/apps/{app}/envs/{env}', '/v1/apps/shop/envs/prod');
  await check('get', '/v1/apps/{app}/releases', '/v1/apps/shop/releases');
  await check('get', '/v1/apps/{app}/instances', '/v1/apps/shop/instances');
  await check('get', '/v1/apps/{app}/envs/{env}/deploys', '/v1/apps/shop/envs/prod/deploys');
  await check('post', '/v1/admin/verify', '/v1/admin/verify');
  // The checker is not vacuous: a wrong body is caught.
  assert.notDeepEqual(violations([{ name: 1 }], schemaOf('get', '/v1/apps')), []);
  assert.notDeepEqual(violations({ ok: true, seq: 1, events: 1, differences: [{ projection: 'x', key: null, field: '', kind: 'other' }] }, schemaOf('post', '/v1/admin/verify')), []);
});
