// `platform deploy` shows each instance's image pull while it follows the deploy, against the real control
// plane. The node is the TEST-ONLY STAND-IN (../test-support/node-stand-in.ts): it reports pull progress over
// the real node API (PUT /v1/nodes/:node/instances/:id/progress) and then healthy, without pulling anything.
// The real agent's reports of a real pull are shown by packages/agent/src/agent/progress-logs.e2e.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../cli.ts';
import { COMMANDS, NOUNS } from '../registry.ts';
import { startNodeStandIn } from '../test-support/node-stand-in.ts';
import { captureIo, startWorld } from '../test-support/world.ts';
import { describePull, shortImage } from './pull-progress.ts';

const DIGEST = `sha256:ab12${'c'.repeat(60)}`;
const IMAGE = `127.0.0.1:5000/shop@${DIGEST}`;
const MIB = 2 ** 20;
const STEPS = [
  { phase: 'resolving', image: IMAGE, layers: 0, layersDone: 0, bytesDone: 0, bytesTotal: 0, cached: false },
  { phase: 'downloading', image: IMAGE, layers: 5, layersDone: 3, bytesDone: Math.round(12.3 * MIB), bytesTotal: Math.round(20.1 * MIB), cached: false },
  { phase: 'pulled', image: IMAGE, layers: 5, layersDone: 5, bytesDone: Math.round(20.1 * MIB), bytesTotal: Math.round(20.1 * MIB), cached: false, durationMs: 2300 },
];
const MANIFEST = 'app = "NAME"\n[processes.web]\ncmd = ["web"]\ncpu = 0.25\nmemory = "64Mi"\n';

const world = await startWorld('deploy-progress');
await world.cli(['orgs', 'create', 'acme']);
const join = JSON.parse((await world.cli(['nodes', 'join-token', 'rack-1', '--json'])).stdout) as { token: string };
// The downloading step lasts over two polls of the CLI (500 ms each), so a follower cannot miss it.
const node = await startNodeStandIn(world.base, join.token, { pullSteps: STEPS, pullStepMs: 1200 });
world.stopFirst(() => node.stop());
const org = (JSON.parse((await world.cli(['tokens', 'create', '--org', 'acme', 'ci', '--json'])).stdout) as { token: string }).token;

test('pull progress lines read "web.1 pulling IMAGE 3/5 layers 12.3/20.1 MiB" and end "pulled 20.1 MiB in 2.3s" or "pulled (cached)"', () => {
  assert.equal(shortImage(IMAGE), '127.0.0.1:5000/shop@sha256:ab12…');
  assert.equal(describePull('web.1', STEPS[1] as Parameters<typeof describePull>[1]), 'web.1 pulling 127.0.0.1:5000/shop@sha256:ab12… 3/5 layers 12.3/20.1 MiB');
  assert.equal(describePull('web.1', STEPS[2] as Parameters<typeof describePull>[1]), 'web.1 pulled 20.1 MiB in 2.3s');
  assert.equal(describePull('web.2', { ...STEPS[2], cached: true } as Parameters<typeof describePull>[1]), 'web.2 pulled (cached)');
});

test('a followed deploy prints each instance\'s pull as plain lines when standard error is not a terminal', async () => {
  assert.equal((await world.cli(['apps', 'create', '--org', 'acme', 'plain'], { token: org })).code, 0);
  const res = await world.cli(['deploy', '--app', 'plain', '--image', IMAGE, '--manifest', 'p.toml', '--timeout', '60'], { token: org, files: { 'p.toml': MANIFEST.replace('NAME', 'plain') } });
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stderr.split('\n').filter((l) => / (resolving|pulling|pulled) /.test(l));
  assert.ok(lines.includes('  web.1 pulling 127.0.0.1:5000/shop@sha256:ab12… 3/5 layers 12.3/20.1 MiB'), res.stderr);
  assert.equal(lines.at(-1), '  web.1 pulled 20.1 MiB in 2.3s');
  assert.equal(lines.filter((l) => l.includes('pulled')).length, 1, 'the final line once');
  assert.doesNotMatch(res.stderr, /\x1b\[/, 'no terminal control sequences in plain output');
  assert.match(res.stdout, /is healthy\n$/);
});

test('on a terminal the progress line of each instance is redrawn in place', async () => {
  assert.equal((await world.cli(['apps', 'create', '--org', 'acme', 'tty'], { token: org })).code, 0);
  const { io, result } = captureIo({ HOME: world.configHome, XDG_CONFIG_HOME: world.configHome, TRC_URL: world.base, TRC_TOKEN: org }, '', { 't.toml': MANIFEST.replace('NAME', 'tty') });
  const code = await runCli(['deploy', '--app', 'tty', '--image', IMAGE, '--manifest', 't.toml', '--timeout', '60'], { nouns: NOUNS, commands: COMMANDS, version: '0.0.0-test' }, { ...io, stderrIsTTY: true });
  const { stderr } = result();
  assert.equal(code, 0, stderr);
  assert.match(stderr, /\x1b\[1A\r\x1b\[2K {2}web\.1 pulling 127\.0\.0\.1:5000\/shop@sha256:ab12… 3\/5 layers 12\.3\/20\.1 MiB\n/, 'the pulling line overwrites the resolving one above it');
  assert.match(stderr, /\r\x1b\[2K {2}web\.1 pulled 20\.1 MiB in 2\.3s\n/);
});
