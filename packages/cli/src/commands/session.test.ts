// `platform login|logout|whoami` and how every command finds its control plane: flags, TRC_URL/TRC_TOKEN,
// the config file; and the exit codes of auth and network failures. Real platform-control, CLI in process.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { runIn, startWorld } from '../test-support/world.ts';

const world = await startWorld('session');

function shell(name: string): Record<string, string> {
  const dir = join(world.configHome, name);
  mkdirSync(dir, { recursive: true });
  return { HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg') };
}

test('login checks the token, stores URL and token in $XDG_CONFIG_HOME/trc/config.json (0600) without printing the token; logout forgets them', async () => {
  const env = shell('login');
  const login = await runIn(['login', '--url', `${world.base}/`, '--token', world.operatorToken], env);
  assert.equal(login.code, 0, login.stderr);
  const path = join(env.XDG_CONFIG_HOME!, 'trc', 'config.json');
  assert.equal(login.stdout, `Logged in to ${world.base} as the operator (saved in ${path})\n`);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(env.XDG_CONFIG_HOME!, 'trc')).mode & 0o777, 0o700);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { url: world.base, token: world.operatorToken });
  const who = await runIn(['whoami'], env);
  assert.equal(who.stdout, `url:   ${world.base}\ntoken: operator\n`);
  for (const r of [login, who]) assert.ok(!`${r.stdout}${r.stderr}`.includes(world.operatorToken));
  // Without XDG_CONFIG_HOME, ~/.config.
  const home = { HOME: env.HOME! };
  assert.equal((await runIn(['login', '--url', world.base, '--token', world.operatorToken], home)).code, 0);
  assert.ok(existsSync(join(env.HOME!, '.config', 'trc', 'config.json')));
  const out = await runIn(['logout'], env);
  assert.equal(out.stdout, `Logged out (removed ${path})\n`);
  assert.ok(!existsSync(path));
  assert.equal((await runIn(['logout'], env)).stdout, `Not logged in (no ${path})\n`);
});

test('a bad token is refused at login (exit 3, nothing stored); no URL or token at all exits 3 with TRC_CLI_NOT_LOGGED_IN', async () => {
  const env = shell('bad');
  const bad = await runIn(['login', '--url', world.base, '--token', 'trc_not_a_real_token'], env);
  assert.equal(bad.code, 3);
  assert.equal(bad.stderr, 'TRC_UNAUTHENTICATED: the API token is not valid (unknown or revoked)\nHint: ask for a new token (platform tokens create)\n');
  assert.ok(!existsSync(join(env.XDG_CONFIG_HOME!, 'trc', 'config.json')));
  const none = await runIn(['apps', 'list'], env);
  assert.equal(none.code, 3);
  assert.equal(none.stderr, 'TRC_CLI_NOT_LOGGED_IN: no control plane URL is configured\nHint: run `platform login --url URL --token TOKEN`, or set TRC_URL and TRC_TOKEN\n');
  const missing = await runIn(['login', '--url', world.base], env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^TRC_CLI_USAGE: login needs a token\nHint: give --token-stdin/);
});

test('login takes the token from standard input or TRC_TOKEN, so it never shows in the process list', async () => {
  const env = shell('stdin');
  const piped = await runIn(['login', '--url', world.base, '--token-stdin'], env, `${world.operatorToken}\n`);
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(!`${piped.stdout}${piped.stderr}`.includes(world.operatorToken));
  assert.equal((JSON.parse((await runIn(['whoami', '--json'], env)).stdout) as { kind: string }).kind, 'operator');
  const fromEnv = await runIn(['login', '--url', world.base], { ...shell('env'), TRC_TOKEN: world.operatorToken });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
});

test('--url/--token override TRC_URL/TRC_TOKEN, which override the config file', async () => {
  const env = shell('precedence');
  await world.cli(['orgs', 'create', 'precedence']);
  const orgToken = (JSON.parse((await world.cli(['tokens', 'create', '--org', 'precedence', 'cli', '--json'])).stdout) as { token: string }).token;
  assert.equal((await runIn(['login', '--url', world.base, '--token', orgToken], env)).code, 0);
  const fromFile = JSON.parse((await runIn(['whoami', '--json'], env)).stdout) as { kind: string };
  assert.equal(fromFile.kind, 'org');
  const fromEnv = JSON.parse((await runIn(['whoami', '--json'], { ...env, TRC_TOKEN: world.operatorToken })).stdout) as { kind: string };
  assert.equal(fromEnv.kind, 'operator');
  const fromFlag = JSON.parse((await runIn(['whoami', '--json', '--token', orgToken], { ...env, TRC_TOKEN: world.operatorToken })).stdout) as { kind: string; org: string };
  assert.deepEqual(fromFlag, { url: world.base, kind: 'org', org: 'precedence' });
  const wrongUrl = await runIn(['whoami', '--url', 'http://127.0.0.1:1'], env);
  assert.equal(wrongUrl.code, 69);
  writeFileSync(join(env.XDG_CONFIG_HOME!, 'trc', 'config.json'), '{"url": 3}');
  const corrupt = await runIn(['whoami'], env);
  assert.equal(corrupt.code, 1);
  assert.match(corrupt.stderr, /^TRC_CLI_CONFIG_INVALID: .*config\.json is not a TRC CLI config/);
  assert.ok(!corrupt.stderr.includes(orgToken));
});

let server: Server | undefined;
after(() => server?.close());

test('a control plane that cannot be reached exits 69 with TRC_CLI_UNREACHABLE and a hint; a URL that is not TRC exits 1 with TRC_CLI_BAD_RESPONSE', async () => {
  const closed = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
  const url = `http://127.0.0.1:${closed}`;
  const down = await runIn(['apps', 'list'], { HOME: '/nonexistent', TRC_URL: url, TRC_TOKEN: 'x' });
  assert.equal(down.code, 69);
  assert.equal(down.stderr, `TRC_CLI_UNREACHABLE: cannot reach the control plane at ${url} (ECONNREFUSED)\nHint: is the control plane running at ${url}? Check --url, TRC_URL or \`platform login\`\n`);
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const other = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const html = await runIn(['apps', 'list'], { HOME: '/nonexistent', TRC_URL: other, TRC_TOKEN: 'x' });
  assert.equal(html.code, 1);
  assert.match(html.stderr, /^TRC_CLI_BAD_RESPONSE: http:\/\/127\.0\.0\.1:\d+ answered HTTP 200, but not with the JSON of a TRC control plane\nHint: /);
  const notUrl = await runIn(['apps', 'list'], { HOME: '/nonexistent', TRC_URL: 'ftp://x', TRC_TOKEN: 'x' });
  assert.equal(notUrl.code, 2);
});
