// Pull progress and the node admin registration: the node running an instance reports its pull, the app's org
// reads it, nobody else does; the admin token a node registers is never echoed; logs without an agent say why.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../test-support/api.ts';
import { IMAGE } from '../test-support/control.ts';

const api = await startTestApi('instance-progress');
after(() => api.close());
const op = api.operatorToken;

const MANIFEST = `app = "shop"\n[processes.web]\ncmd = ["httpd", "-f"]\nmemory = "64Mi"\ncpu = 0.5\n`;
const PROGRESS = { phase: 'downloading', image: IMAGE, layers: 5, layersDone: 3, bytesDone: 12_000_000, bytesTotal: 20_000_000, cached: false };

async function setUp(): Promise<{ n1: string; n2: string; acme: string; globex: string; id: string; node: string }> {
  const join = (await api.request('POST', '/v1/join-tokens', { token: op, body: { name: 'rack' } })).body.token as string;
  const n1 = (await api.request('POST', '/v1/nodes', { token: join, body: { name: 'n1', cores: 4, memoryBytes: 8 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } })).body.token as string;
  const n2 = (await api.request('POST', '/v1/nodes', { token: join, body: { name: 'n2', cores: 1, memoryBytes: 2 ** 30, reservedMemoryBytes: 2 ** 29 } })).body.token as string;
  const tokens: string[] = [];
  for (const org of ['acme', 'globex']) {
    await api.request('POST', '/v1/orgs', { token: op, body: { name: org } });
    tokens.push((await api.request('POST', `/v1/orgs/${org}/tokens`, { token: op, body: { name: 'dev' } })).body.token as string);
  }
  const [acme, globex] = tokens as [string, string];
  await api.request('POST', '/v1/apps', { token: acme, body: { org: 'acme', name: 'shop' } });
  assert.equal((await api.request('POST', '/v1/apps/shop/releases', { token: acme, body: { image: IMAGE, manifest: MANIFEST } })).status, 201);
  assert.equal((await api.request('POST', '/v1/apps/shop/envs/prod/deploys', { token: acme, body: { release: 1 } })).status, 201);
  const [placed] = (await api.request('GET', '/v1/apps/shop/instances', { token: acme })).body as { id: string; node: string }[];
  return { n1, n2, acme, globex, id: placed!.id, node: placed!.node };
}

const world = await setUp();

test('the node running an instance reports its pull progress; the app\'s org reads it, another org or node cannot, and nothing is logged as an event', async () => {
  const { id, node, acme, globex } = world;
  const [mine, other] = node === 'n1' ? [world.n1, world.n2] : [world.n2, world.n1];
  assert.deepEqual((await api.request('GET', `/v1/apps/shop/instances/${id}/progress`, { token: acme })).body, { instance: id, progress: null });
  const head = await api.t.store.headSeq();
  const res = await api.request('PUT', `/v1/nodes/${node}/instances/${id}/progress`, { token: mine, body: PROGRESS });
  assert.equal(res.status, 200, res.text);
  assert.equal(await api.t.store.headSeq(), head, 'progress is memory, not log');
  const read = await api.request('GET', `/v1/apps/shop/instances/${id}/progress`, { token: acme });
  assert.equal(read.status, 200, read.text);
  assert.deepEqual({ ...read.body.progress, reportedAt: undefined }, { ...PROGRESS, instance: id, node, reportedAt: undefined });
  assert.equal((await api.request('GET', `/v1/apps/shop/instances/${id}/progress`, { token: globex })).body.code, 'TRC_NOT_FOUND');
  assert.equal((await api.request('PUT', `/v1/nodes/${node}/instances/${id}/progress`, { token: other, body: PROGRESS })).status, 404);
  assert.equal((await api.request('PUT', `/v1/nodes/${node}/instances/${id}/progress`, { token: acme, body: PROGRESS })).status, 403);
  assert.equal((await api.request('PUT', `/v1/nodes/${node}/instances/${id}/progress`, { token: mine, body: { ...PROGRESS, phase: 'guessing' } })).status, 400);
  assert.deepEqual(api.bugs, []);
});

test('the end of a pull is one durable ImagePulled event (image, bytes, duration, cached) the app\'s org sees; a repeated "pulled" adds none', async () => {
  const { id, node, acme, globex } = world;
  const mine = node === 'n1' ? world.n1 : world.n2;
  const pulled = { ...PROGRESS, phase: 'pulled', layersDone: 5, bytesDone: 20_000_000, durationMs: 2300 };
  assert.equal((await api.request('PUT', `/v1/nodes/${node}/instances/${id}/progress`, { token: mine, body: pulled })).status, 200);
  assert.equal((await api.request('PUT', `/v1/nodes/${node}/instances/${id}/progress`, { token: mine, body: pulled })).status, 200);
  const events = (await api.request('GET', '/v1/events?type=ImagePulled', { token: acme })).body as { payload: Record<string, unknown> }[];
  assert.deepEqual(events.map((e) => e.payload), [{ instanceId: id, app: 'shop', org: 'acme', node, image: IMAGE, layers: 5, bytes: 20_000_000, durationMs: 2300, cached: false }]);
  assert.deepEqual((await api.request('GET', '/v1/events?type=ImagePulled', { token: globex })).body, []);
  assert.equal((await api.request('POST', '/v1/admin/verify', { token: op })).body.ok, true);
  assert.deepEqual(api.bugs, []);
});

test('a node registers its admin endpoint; the token is never echoed, and without a reachable agent the logs route says so with a hint', async () => {
  const { id, node, acme, globex } = world;
  const mine = node === 'n1' ? world.n1 : world.n2;
  const unregistered = await api.request('GET', `/v1/apps/shop/instances/${id}/logs?tail=5`, { token: acme });
  assert.equal(unregistered.status, 409, unregistered.text);
  assert.equal(unregistered.body.code, 'TRC_INSTANCE_LOGS_UNAVAILABLE');
  assert.match(unregistered.body.hint, /node/);
  const secret = 'trc_admin_never_shown_anywhere_0123456789';
  // Port 9 on loopback: nothing listens, so the connection is refused at once.
  const reg = await api.request('PUT', `/v1/nodes/${node}/admin`, { token: mine, body: { url: 'http://127.0.0.1:9', token: secret } });
  assert.equal(reg.status, 200, reg.text);
  assert.ok(!reg.text.includes(secret));
  assert.equal((await api.request('PUT', `/v1/nodes/${node}/admin`, { token: mine, body: { url: 'file:///etc/passwd', token: secret } })).status, 400);
  const down = await api.request('GET', `/v1/apps/shop/instances/${id}/logs?stream=stderr`, { token: acme });
  assert.equal(down.body.code, 'TRC_INSTANCE_LOGS_UNAVAILABLE', down.text);
  assert.ok(!down.text.includes(secret));
  assert.equal((await api.request('GET', `/v1/apps/shop/instances/${id}/logs`, { token: globex })).body.code, 'TRC_NOT_FOUND');
  assert.equal((await api.request('GET', `/v1/apps/shop/instances/${id}/logs?tail=20000`, { token: acme })).status, 400);
  const events = await api.t.store.read({ afterSeq: 0 });
  assert.ok(!JSON.stringify(events).includes(secret), 'the admin token is in no event');
  assert.deepEqual(api.bugs, []);
});
