// Walks the whole route table with one org's token against another org's resources: every route refuses,
// reveals nothing, and changes nothing; the owner's own token passes the same calls (so refusals are real).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../test-support/api.ts';
import { addNode, IMAGE } from '../test-support/control.ts';
import { ROUTES } from './routes.ts';
import type { RouteDef } from './route.ts';

const api = await startTestApi('cross-org');
after(() => api.close());
const op = api.operatorToken;

async function setUpOrg(org: string): Promise<{ token: string; spareTokenId: string; address: string }> {
  await api.request('POST', '/v1/orgs', { token: op, body: { name: org } });
  const token = (await api.request('POST', `/v1/orgs/${org}/tokens`, { token: op, body: { name: 'main' } })).body.token as string;
  const spareTokenId = (await api.request('POST', `/v1/orgs/${org}/tokens`, { token: op, body: { name: 'spare' } })).body.id as string;
  await api.request('POST', '/v1/apps', { token, body: { org, name: `${org}-app` } });
  await api.request('POST', `/v1/apps/${org}-app/releases`, { token, body: { image: IMAGE, processes: { web: { cpu: 1, memory: '256Mi', count: 1 }, db: { cpu: 1, memory: '256Mi', count: 0 } } } });
  await api.request('POST', `/v1/apps/${org}-app/envs/prod/deploys`, { token, body: { release: 1 } });
  await api.request('PUT', `/v1/apps/${org}-app/envs/prod/secrets`, { token, body: { values: { API_KEY: `${org}-secret-value` } } });
  await api.request('PUT', `/v1/apps/${org}-app/envs/prod/routes/db`, { token, body: { process: 'web', port: org === 'acme' ? 5432 : 5433 } });
  const address = (await api.request('POST', `/v1/apps/${org}-app/envs/prod/ipv4`, { token })).body.address as string;
  await api.request('POST', `/v1/apps/${org}-app/envs/prod/volumes`, { token, body: { name: 'spare', processType: 'db', size: '1Gi' } });
  // An empty environment, so the owner's positive control on DELETE /apps/:app/envs/:env can succeed.
  await api.request('POST', `/v1/apps/${org}-app/envs`, { token, body: { name: 'spare-env' } });
  return { token, spareTokenId, address };
}

await addNode(api.t.control, 'node-1');
await api.request('PUT', '/v1/ipv4-pool', { token: op, body: { addresses: ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'] } });
const acme = await setUpOrg('acme');
const globex = await setUpOrg('globex');
const join = (await api.request('POST', '/v1/join-tokens', { token: op, body: { name: 'j' } })).body.token as string;
await api.request('POST', '/v1/nodes', { token: join, body: { name: 'node-g', cores: 4, memoryBytes: 8 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } });

const globexInstance = [...(await api.t.control.read()).instances.values()].find((i) => i.org === 'globex')!.id;
const victim: Record<string, string> = { org: 'globex', app: 'globex-app', env: 'prod', process: 'web', token: globex.spareTokenId, node: 'node-g', instance: globexInstance, route: 'www', address: globex.address, volume: 'spare' };

function pathFor(route: RouteDef, env?: string): string {
  // prod holds every resource the other routes reach; deleting an environment needs an empty one.
  const envName = env ?? (route.method === 'DELETE' && route.url === '/apps/:app/envs/:env' ? 'spare-env' : victim.env!);
  return `/v1${route.url.replace(/:([a-z]+)/g, (_, name: string) => (name === 'env' ? envName : victim[name]!))}`;
}

function bodyFor(route: RouteDef): unknown {
  return route.example === undefined ? undefined : JSON.parse(JSON.stringify(route.example).replaceAll('{org}', 'globex'));
}

function namesVictim(route: RouteDef): boolean {
  return /:(org|app|token|node|instance)\b/.test(route.url) || JSON.stringify(route.example ?? null).includes('{org}');
}

/** Routes whose owner call needs more than this test runs, each with where the owner's success is shown. */
const OWNER_CHECK_ELSEWHERE: Readonly<Record<string, string>> = {
  'GET /apps/:app/instances/:instance/logs': 'proxied to the node agent, which this test does not run: packages/agent/src/agent/progress-logs.e2e.test.ts',
};

async function globexState(): Promise<string> {
  const s = await api.t.control.read();
  const mine = <T extends { org?: string }>(m: Map<string, T>): T[] => [...m.values()].filter((v) => v.org === 'globex');
  return JSON.stringify([s.orgs.get('globex'), s.apps.get('globex-app'), mine(s.tokens), mine(s.instances), mine(s.routes), mine(s.ipv4), mine(s.volumes), s.nodes.get('node-g')]);
}

// Runs before the walk below, which ends by deleting the app.
test('every route that takes :env answers TRC_NOT_FOUND for an environment the app does not have, and appends nothing', async () => {
  let checked = 0;
  for (const route of ROUTES.filter((r) => r.url.includes(':env'))) {
    const label = `${route.method} ${route.url}`;
    const headBefore = await api.t.store.headSeq();
    const res = await api.request(route.method, pathFor(route, 'no-such-env'), { token: globex.token, body: bodyFor(route) });
    assert.equal(res.status, 404, `${label}: ${res.status} ${res.text}`);
    assert.equal(res.body.code, 'TRC_NOT_FOUND', label);
    assert.equal(await api.t.store.headSeq(), headBefore, `${label} appended`);
    checked += 1;
  }
  assert.ok(checked >= 15, `only ${checked} routes take :env`);
});

test("every route refuses one org's token on another org's resources, and changes nothing", async () => {
  // Deleting comes last so the owner's positive control can still reach the app on every other route.
  const rank = (r: RouteDef): number => (r.method !== 'DELETE' ? 0 : r.url === '/apps/:app' ? 2 : 1);
  const routes = [...ROUTES].sort((a, b) => rank(a) - rank(b));
  let victimRoutes = 0;
  let ownerChecks = 0;
  for (const route of routes) {
    const label = `${route.method} ${route.url}`;
    const before = await globexState();
    const headBefore = await api.t.store.headSeq();
    const res = await api.request(route.method, pathFor(route), { token: acme.token, body: bodyFor(route) });
    assert.ok(res.status < 500, `${label}: ${res.status} ${res.text}`);
    assert.ok(!res.text.includes('globex-secret-value'), `${label} leaks a secret`);
    if (namesVictim(route)) {
      victimRoutes += 1;
      assert.ok(res.status === 403 || res.status === 404, `${label} answered ${res.status} ${res.text}`);
      assert.ok(res.body.code === 'TRC_FORBIDDEN' || res.body.code === 'TRC_NOT_FOUND', `${label}: ${res.body.code}`);
    } else {
      assert.ok(!res.text.includes('globex'), `${label} reveals the other org: ${res.text.slice(0, 300)}`);
    }
    assert.equal(await globexState(), before, `${label} changed the other org`);
    const appended = await api.t.store.read({ afterSeq: headBefore });
    assert.deepEqual(appended.filter((e) => JSON.stringify(e.payload).includes('globex')), [], `${label} appended to the other org`);

    // Positive control: the owner may make the same call (for routes org tokens may use at all).
    if (namesVictim(route) && route.tokens.includes('org') && !(label in OWNER_CHECK_ELSEWHERE)) {
      const own = await api.request(route.method, pathFor(route), { token: globex.token, body: bodyFor(route) });
      assert.ok(own.status >= 200 && own.status < 300, `${label} as the owner: ${own.status} ${own.text}`);
      ownerChecks += 1;
    }
  }
  assert.ok(victimRoutes >= 15, `only ${victimRoutes} routes name another org's resources`);
  assert.ok(ownerChecks >= 12);
  assert.deepEqual(api.bugs, []);
});

test('node and join tokens reach no org resource: every user route answers them 403', async () => {
  const nodeToken = (await api.request('POST', '/v1/nodes', { token: join, body: { name: 'node-h', cores: 4, memoryBytes: 8 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } })).body.token as string;
  let checked = 0;
  for (const route of ROUTES) {
    for (const [kind, token] of [['node', nodeToken], ['join', join]] as const) {
      if (route.tokens.includes(kind)) continue;
      const before = await api.t.store.headSeq();
      const res = await api.request(route.method, pathFor(route), { token, body: bodyFor(route) });
      assert.equal(res.status, 403, `${kind} token on ${route.method} ${route.url}: ${res.text}`);
      assert.equal(res.body.code, 'TRC_FORBIDDEN');
      assert.equal(await api.t.store.headSeq(), before);
      checked += 1;
    }
  }
  assert.ok(checked > 2 * 30);
});
