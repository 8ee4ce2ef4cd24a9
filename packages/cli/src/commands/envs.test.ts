// `platform envs create|delete|list|show` and `--env` with a created environment, against the real control plane.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld } from '../test-support/world.ts';

const world = await startWorld('envs');
const IMAGE = `127.0.0.1:5000/app@sha256:${'e'.repeat(64)}`;

test('envs create/list/show/delete: a named environment next to prod and staging, refused while a route is in it', async () => {
  await world.cli(['orgs', 'create', 'envs-org']);
  await world.cli(['apps', 'create', '--org', 'envs-org', 'site']);
  assert.deepEqual(await world.cli(['envs', 'create', '--app', 'site', 'preview-42']), { code: 0, stdout: 'Created environment preview-42 of app site\n', stderr: '' });
  assert.match((await world.cli(['envs', 'list', '--app', 'site'])).stdout, /^ENV +RELEASE +SCALE +SECRETS VERSION +RESTARTING\npreview-42 +- +- +- +-\nprod +- .*\nstaging +- .*\n$/);
  const listed = JSON.parse((await world.cli(['envs', 'list', '--app', 'site', '--json'])).stdout) as { name: string }[];
  assert.deepEqual(listed.map((e) => e.name), ['preview-42', 'prod', 'staging']);
  assert.match((await world.cli(['envs', 'show', '--app', 'site', 'preview-42'])).stdout, /^app: +site\nenv: +preview-42\nrelease: +-\n/);
  assert.equal(JSON.parse((await world.cli(['envs', 'show', '--app', 'site', '--env', 'preview-42', '--json'])).stdout).name, 'preview-42');

  const again = await world.cli(['envs', 'create', '--app', 'site', 'preview-42']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^TRC_ALREADY_EXISTS: environment "site\/preview-42" exists already\n/);
  const bad = await world.cli(['envs', 'create', '--app', 'site', 'Preview_42']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^TRC_CLI_USAGE: the environment name "Preview_42" is not a valid environment name\n/);
  const badFlag = await world.cli(['secrets', 'list', '--app', 'site', '--env', '../prod']);
  assert.equal(badFlag.code, 2, 'a name that could change the path is refused before any request');

  // --env anywhere takes the new environment: a release deployed there, a route on it.
  const release = await world.cli(['deploy', '--app', 'site', '--env', 'preview-42', '--image', IMAGE, '--detach'], { files: { 'platform.toml': 'app = "site"\n[processes.web]\ncmd = ["web"]\ncpu = 0.25\nmemory = "64Mi"\ncount = 0\n' } });
  assert.equal(release.code, 0, release.stderr);
  assert.match(release.stdout, /to site\/preview-42/);
  const route = await world.cli(['routes', 'create', '--app', 'site', '--env', 'preview-42', '--process', 'web', '--port', '8142', 'www']);
  assert.equal(route.code, 0, route.stderr);

  const refused = await world.cli(['envs', 'delete', '--app', 'site', 'preview-42']);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr.split('\n')[0], 'TRC_ENV_IN_USE: environment "site/preview-42" is not empty: route "www" exists');
  assert.match(refused.stderr, /\n {2}routes\.www: route "www" exists \(hint: delete it: platform routes delete --app site --env preview-42 www\)\nHint: /);

  assert.equal((await world.cli(['routes', 'delete', '--app', 'site', '--env', 'preview-42', 'www'])).code, 0);
  assert.deepEqual(await world.cli(['envs', 'delete', '--app', 'site', 'preview-42']), { code: 0, stdout: 'Deleted environment preview-42 of app site\n', stderr: '' });
  const gone = await world.cli(['envs', 'show', '--app', 'site', 'preview-42']);
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr.split('\n')[0], 'TRC_NOT_FOUND: environment "site/preview-42" does not exist');
  assert.deepEqual((JSON.parse((await world.cli(['envs', 'list', '--app', 'site', '--json'])).stdout) as { name: string }[]).map((e) => e.name), ['prod', 'staging']);
});
