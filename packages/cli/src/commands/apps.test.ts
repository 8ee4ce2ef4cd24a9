// Orgs, tokens, apps, environments, deploy, releases, scale and instances against the real control plane.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld } from '../test-support/world.ts';
import { startNodeStandIn } from '../test-support/node-stand-in.ts';

const world = await startWorld('apps');
const DIGEST = `sha256:${'d'.repeat(64)}`;
const IMAGE = `127.0.0.1:5000/app@${DIGEST}`;
const manifest = (app: string, count: number): string => `app = "${app}"\n[processes.web]\ncmd = ["web"]\ncpu = 0.25\nmemory = "64Mi"\ncount = ${count}\n`;

async function joinToken(): Promise<string> {
  return (JSON.parse((await world.cli(['nodes', 'join-token', 'rack', '--json'])).stdout) as { token: string }).token;
}

test('orgs create/list/show and tokens create/list/revoke: tables by default, --json shapes, a token printed only at creation', async () => {
  assert.deepEqual(await world.cli(['orgs', 'create', 'acme']), { code: 0, stdout: 'Created org acme\n', stderr: '' });
  const list = await world.cli(['orgs', 'list']);
  assert.match(list.stdout, /^NAME {2}CREATED\nacme {2}\d{4}-\d\d-\d\dT/);
  const shown = JSON.parse((await world.cli(['orgs', 'show', 'acme', '--json'])).stdout) as { name: string; quotas: unknown };
  assert.deepEqual(shown.quotas, { memoryBytes: null, instances: null, publicRoutes: null, ipv4Addresses: null });
  assert.match((await world.cli(['orgs', 'show', 'acme'])).stdout, /^name: +acme\ncreated: .*\nmemory: +unlimited\ninstances: +unlimited\n/);

  const created = await world.cli(['tokens', 'create', '--org', 'acme', 'ci']);
  assert.equal(created.code, 0);
  const m = /^Created org token (tok_[0-9a-f]{16}) \(ci\) for org acme\ntoken: (\S+)\n$/.exec(created.stdout);
  assert.ok(m !== null, created.stdout);
  assert.equal(created.stderr, 'The token is shown only now: store it safely.\n');
  const [, id, token] = m;
  const listed = await world.cli(['tokens', 'list', '--org', 'acme']);
  assert.match(listed.stdout, new RegExp(`^ID +KIND +NAME +CREATED\n${id} +org +ci +`));
  // The org token sees its own org without --org, and never a token value in lists.
  const own = JSON.parse((await world.cli(['tokens', 'list', '--json'], { token })).stdout) as { id: string; kind: string; name: string }[];
  assert.deepEqual(own.map((t) => [t.id, t.kind, t.name]), [[id, 'org', 'ci']]);
  for (const r of [listed]) assert.ok(!r.stdout.includes(token!));
  const joins = await world.cli(['tokens', 'create', '--join', 'rack-9', '--json']);
  assert.equal((JSON.parse(joins.stdout) as { kind: string }).kind, 'join');
  assert.equal(JSON.parse((await world.cli(['tokens', 'list', '--join', '--json'])).stdout).length, 1);
  assert.equal((await world.cli(['tokens', 'list', '--join', '--org', 'acme'])).code, 2);
  const forbidden = await world.cli(['tokens', 'list', '--join'], { token });
  assert.equal(forbidden.code, 3);
  assert.match(forbidden.stderr, /^TRC_FORBIDDEN: this token may not call GET \/v1\/join-tokens/);
  assert.deepEqual(await world.cli(['tokens', 'revoke', '--org', 'acme', id!]), { code: 0, stdout: `Revoked token ${id}\n`, stderr: '' });
  assert.equal((await world.cli(['orgs', 'list'], { token })).code, 3);
});

test('apps create/list/show/delete and envs list/show; a missing app is TRC_NOT_FOUND from the server, with its hint, exit 1', async () => {
  await world.cli(['orgs', 'create', 'apps-org']);
  assert.equal((await world.cli(['apps', 'create', 'noorg'])).code, 2, 'the operator sees several orgs: --org is needed');
  assert.equal((await world.cli(['apps', 'create', '--org', 'apps-org', 'blog'])).stdout, 'Created app blog in org apps-org, with environments prod and staging\n');
  assert.match((await world.cli(['apps', 'list'])).stdout, /^NAME +ORG +PROD RELEASE +STAGING RELEASE +CREATED\nblog +apps-org +- +- +\d{4}/m);
  const app = JSON.parse((await world.cli(['apps', 'show', 'blog', '--json'])).stdout) as { name: string; org: string; envs: Record<string, unknown> };
  assert.deepEqual([app.name, app.org, Object.keys(app.envs)], ['blog', 'apps-org', ['prod', 'staging']]);
  assert.match((await world.cli(['envs', 'list', '--app', 'blog'])).stdout, /^ENV +RELEASE +SCALE +SECRETS VERSION +RESTARTING\nprod +- +- +- +-\nstaging /);
  const staging = JSON.parse((await world.cli(['envs', 'show', '--app', 'blog', '--env', 'staging', '--json'])).stdout) as Record<string, unknown>;
  assert.deepEqual([staging.name, staging.release, staging.scale, staging.secretsVersion, staging.restarts], ['staging', null, {}, null, {}]);
  assert.equal((await world.cli(['envs', 'show', '--app', 'blog', '--env', 'dev'])).code, 1, 'any name is sent; the server says it does not exist');
  assert.equal((await world.cli(['envs', 'show', '--app', 'blog', '--env', 'Dev_1'])).code, 2);
  assert.equal((await world.cli(['envs', 'show'])).stderr.split('\n')[0], 'TRC_CLI_USAGE: --app is required');
  assert.equal((await world.cli(['apps', 'delete', 'blog'])).stdout, 'Deleted app blog\n');
  const gone = await world.cli(['apps', 'show', 'blog']);
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr, 'TRC_NOT_FOUND: app "blog" does not exist\nHint: check the name with the matching list command\n');
});

test('deploy prints the release, its digest and placements, follows until healthy; releases list, scale and instances list show the result', async () => {
  await world.cli(['orgs', 'create', 'deploy-org']);
  await world.cli(['apps', 'create', '--org', 'deploy-org', 'web1']);
  const stand = await startNodeStandIn(world.base, await joinToken(), { name: 'deploy-node' });
  world.stopFirst(() => stand.stop());
  const files = { 'platform.toml': manifest('web1', 2) };
  const r = await world.cli(['deploy', '--app', 'web1', '--image', IMAGE, '--timeout', '30'], { files });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], `Release 1 of web1: ${IMAGE}`);
  assert.equal(lines[1], `digest: ${DIGEST}`);
  assert.match(lines[2]!, /^Deploy dep_[0-9a-f]+ to web1\/prod: 2 instance\(s\) placed$/);
  assert.match(lines[3]!, /^INSTANCE +PROCESS +NODE$/);
  assert.match(lines[4]!, /^ins_[0-9a-f]{16} +web +deploy-node$/);
  assert.match(lines.at(-2)!, /^Deploy dep_[0-9a-f]+: every instance of web1\/prod runs release 1 and is healthy$/);
  assert.match(r.stderr, /InstanceStateReported instanceId=ins_[0-9a-f]{16} app=web1 org=deploy-org node=deploy-node state=healthy/);

  assert.match((await world.cli(['releases', 'list', '--app', 'web1'])).stdout, new RegExp(`^VERSION +DIGEST +PROCESSES +IMAGE +CREATED\n1 +${DIGEST} +web=2x\\(0\\.25cpu,64Mi\\) +`));
  const scaled = await world.cli(['scale', '--app', 'web1', 'web=3']);
  assert.equal(scaled.code, 0, scaled.stderr);
  assert.match(scaled.stdout, /^app: +web1\nenv: +prod\nrelease: +1\nscale: +web=3\n/);
  const instances = JSON.parse((await world.cli(['instances', 'list', '--app', 'web1', '--json'])).stdout) as { desired: string; digest: string }[];
  assert.equal(instances.filter((i) => i.desired === 'running').length, 3);
  assert.ok(instances.every((i) => i.digest === DIGEST));
  assert.match((await world.cli(['instances', 'list', '--app', 'web1'])).stdout, /^ID +ENV +PROCESS +RELEASE +NODE +DESIRED +ACTUAL +SECRETS +DIGEST\n/);
  assert.equal((await world.cli(['scale', '--app', 'web1', 'web=lots'])).code, 2);
  assert.equal((await world.cli(['scale', '--app', 'web1'])).code, 2);

  const detached = await world.cli(['deploy', '--app', 'web1', '--image', IMAGE, '--detach', '--json'], { files });
  assert.equal(detached.code, 0, detached.stderr);
  const doc = JSON.parse(detached.stdout) as { release: number; digest: string; status: string; placements: unknown[] };
  assert.deepEqual([doc.release, doc.digest, doc.status], [2, DIGEST, 'started']);
});

test('instances list marks draining instances in its table (a scale-down drains serving instances)', async () => {
  await world.cli(['apps', 'create', '--org', 'deploy-org', 'web2']);
  const r = await world.cli(['deploy', '--app', 'web2', '--image', IMAGE, '--timeout', '30'], { files: { 'platform.toml': manifest('web2', 2) } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await world.cli(['scale', '--app', 'web2', 'web=1'])).code, 0);
  const rows = (await world.cli(['instances', 'list', '--app', 'web2'])).stdout.split('\n').filter((l) => l.startsWith('ins_'));
  assert.equal(rows.filter((l) => / healthy \(draining\) /.test(l)).length, 1, rows.join('\n'));
});

test('a deploy whose instance reports unhealthy exits 1 with TRC_CLI_DEPLOY_FAILED; one never reported healthy exits 1 with TRC_CLI_TIMEOUT; a missing manifest exits 66', async () => {
  // Each case on its own control plane, so its instances can only land on the node that misbehaves.
  for (const [report, app] of [['unhealthy', 'sick'], [null, 'slow']] as const) {
    const w = await startWorld(`deploy-${app}`);
    await w.cli(['orgs', 'create', 'fail-org']);
    await w.cli(['apps', 'create', '--org', 'fail-org', app]);
    const join = (JSON.parse((await w.cli(['nodes', 'join-token', 'rack', '--json'])).stdout) as { token: string }).token;
    const stand = await startNodeStandIn(w.base, join, { name: `${app}-node`, report });
    w.stopFirst(() => stand.stop());
    const r = await w.cli(['deploy', '--app', app, '--image', IMAGE, '--timeout', report === null ? '1' : '30'], { files: { 'platform.toml': manifest(app, 1) } });
    assert.equal(r.code, 1, r.stderr);
    if (report === null) assert.match(r.stderr, /\nTRC_CLI_TIMEOUT: deploy dep_[0-9a-f]+ was not healthy within 1 s\nHint: /);
    else assert.match(r.stderr, /\nTRC_CLI_DEPLOY_FAILED: deploy dep_[0-9a-f]+ of release 1 to sick\/prod failed: .*\nHint: /);
  }
  const noFile = await world.cli(['deploy', '--app', 'slow', '--image', IMAGE]);
  assert.equal(noFile.code, 66);
  assert.equal(noFile.stderr, 'TRC_CLI_INPUT_UNREADABLE: platform.toml does not exist\nHint: check the path; use - to read standard input\n');
});
