// Operator commands against the real control plane: nodes, quotas, settings, admin verify, and volumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { runIn, startWorld } from '../test-support/world.ts';
import { startNodeStandIn } from '../test-support/node-stand-in.ts';

const world = await startWorld('cluster');

test('nodes join-token (shown once) and nodes list; an org token may not list nodes (exit 3)', async () => {
  const created = await world.cli(['nodes', 'join-token', 'rack-1']);
  const m = /^Created join token tok_[0-9a-f]{16} \(rack-1\)\ntoken: (\S+)\n$/.exec(created.stdout);
  assert.ok(m !== null, created.stdout);
  const node = await startNodeStandIn(world.base, m[1]!, { name: 'n1' });
  world.stopFirst(() => node.stop());
  assert.match((await world.cli(['nodes', 'list'])).stdout, /^NAME +STATUS +CORES +MEMORY +RESERVED +REGISTERED\nn1 +up +16 +64Gi +1Gi +\d{4}-/);
  const json = JSON.parse((await world.cli(['nodes', 'list', '--json'])).stdout) as { name: string; status: string }[];
  assert.deepEqual(json.map((n) => [n.name, n.status]), [['n1', 'up']]);
  await world.cli(['orgs', 'create', 'nodeless']);
  const token = (JSON.parse((await world.cli(['tokens', 'create', '--org', 'nodeless', 'x', '--json'])).stdout) as { token: string }).token;
  const refused = await world.cli(['nodes', 'list'], { token });
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /^TRC_FORBIDDEN: /);
});

test('quotas show/set: a limit left out stays, none is unlimited; --json prints the API shape', async () => {
  await world.cli(['orgs', 'create', 'quota']);
  const set = await world.cli(['quotas', 'set', '--org', 'quota', '--memory', '8Gi', '--instances', '20']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, 'memory:         8Gi\ninstances:      20\npublic routes:  unlimited\nipv4 addresses: unlimited\n');
  const again = JSON.parse((await world.cli(['quotas', 'set', '--org', 'quota', '--ipv4', '1', '--instances', 'none', '--json'])).stdout);
  assert.deepEqual(again, { memoryBytes: 8 * 2 ** 30, instances: null, publicRoutes: null, ipv4Addresses: 1 });
  assert.deepEqual(JSON.parse((await world.cli(['quotas', 'show', '--org', 'quota', '--json'])).stdout), again);
  assert.equal((await world.cli(['quotas', 'set', '--org', 'quota'])).code, 2);
  assert.equal((await world.cli(['quotas', 'set', '--org', 'quota', '--instances', 'many'])).code, 2);
  const bad = await world.cli(['quotas', 'set', '--org', 'quota', '--memory', '8 gigs']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^TRC_INVALID_INPUT: /);
});

test('settings show/set keep the setting left out; admin verify prints OK and exits 0', async () => {
  const shown = JSON.parse((await world.cli(['settings', 'show', '--json'])).stdout) as { cpuOvercommit: number; memorySafetyBufferBytes: number };
  const set = await world.cli(['settings', 'set', '--cpu-overcommit', '8']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, `cpu overcommit:       8\nmemory safety buffer: ${shown.memorySafetyBufferBytes / 2 ** 20}Mi\n`);
  const json = JSON.parse((await world.cli(['settings', 'set', '--memory-safety-buffer', '512Mi', '--json'])).stdout) as Record<string, number>;
  assert.deepEqual(json, { cpuOvercommit: 8, memorySafetyBufferBytes: 512 * 2 ** 20 });
  assert.equal((await world.cli(['settings', 'set'])).code, 2);
  const verify = await world.cli(['admin', 'verify']);
  assert.equal(verify.code, 0);
  assert.match(verify.stdout, /^OK: the live state matches a replay of \d+ events \(up to seq \d+\)\n$/);
  assert.equal((JSON.parse((await world.cli(['admin', 'verify', '--json'])).stdout) as { ok: boolean }).ok, true);
});

test('volumes create/list/delete for a deployed process type', async () => {
  await world.cli(['orgs', 'create', 'vols']);
  await world.cli(['apps', 'create', '--org', 'vols', 'db']);
  const files = { 'platform.toml': 'app = "db"\n[processes.pg]\ncmd = ["pg"]\nmemory = "64Mi"\ncount = 1\n' };
  assert.equal((await world.cli(['deploy', '--app', 'db', '--image', `127.0.0.1:5000/db@sha256:${'e'.repeat(64)}`, '--detach'], { files })).code, 0);
  const created = await world.cli(['volumes', 'create', '--app', 'db', '--process', 'pg', '--size', '1Gi', 'data']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'Created volume data (1Gi) for db/prod pg on node n1\n');
  assert.match((await world.cli(['volumes', 'list', '--app', 'db'])).stdout, /^NAME +ENV +PROCESS +SIZE +NODE +BACKUP\ndata +prod +pg +1Gi +n1 +yes\n$/);
  const json = JSON.parse((await world.cli(['volumes', 'list', '--app', 'db', '--json'])).stdout) as { id: string; sizeBytes: number }[];
  assert.deepEqual(json.map((v) => [v.id, v.sizeBytes]), [['db/prod/data', 2 ** 30]]);
  assert.equal((await world.cli(['volumes', 'create', '--app', 'db', 'nosize', '--process', 'pg'])).code, 2);
  const del = await world.cli(['volumes', 'delete', '--app', 'db', 'data']);
  assert.deepEqual(del, { code: 0, stdout: 'Deleted volume data of db/prod\n', stderr: '' });
  assert.equal((await world.cli(['volumes', 'list', '--app', 'db'])).stdout, 'NAME  ENV  PROCESS  SIZE  NODE  BACKUP\n(none)\n');
});

test('admin verify on drift prints every difference and exits 1 with TRC_CLI_DRIFT (a stand-in control plane answers drift)', async () => {
  // STAND-IN: the real control plane answers drift only after a bug of its own, which no API call can cause;
  // this loopback server answers POST /v1/admin/verify exactly as packages/control/src/api/verify.test.ts shows.
  const body = JSON.stringify({
    code: 'TRC_PROJECTION_DRIFT', message: 'the projection does not match the replayed log at seq 7: 1 difference', hint: 'a bug in the control plane: report it',
    problems: [{ path: 'orgs.acme', code: 'TRC_PROJECTION_DRIFT', message: 'differs at quotas.memoryBytes' }],
  });
  const server = createServer((req, res) => res.writeHead(req.url === '/v1/admin/verify' ? 500 : 404, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const env = { HOME: '/nonexistent', TRC_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}`, TRC_TOKEN: 'x' };
    const text = await runIn(['admin', 'verify'], env);
    assert.equal(text.code, 1);
    assert.equal(text.stdout, '');
    assert.equal(text.stderr, 'TRC_CLI_DRIFT: the projection does not match the replayed log at seq 7: 1 difference\n  orgs.acme: differs at quotas.memoryBytes\nHint: the live state is not what the log says: stop writers and investigate before trusting it\n');
    const json = await runIn(['admin', 'verify', '--json'], env);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout), { ok: false, message: 'the projection does not match the replayed log at seq 7: 1 difference', differences: [{ path: 'orgs.acme', message: 'differs at quotas.memoryBytes' }] });
  } finally {
    server.close();
  }
});
