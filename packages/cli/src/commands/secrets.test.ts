// `platform secrets set|unset|list|render` against the real control plane: values reach the bundle and are
// never printed back (set, list, errors, --json), except by render, which prints exactly TRC_SECRETS_V1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, type CliResult } from '../test-support/world.ts';

const world = await startWorld('secrets');
await world.cli(['orgs', 'create', 'sec']);
await world.cli(['apps', 'create', '--org', 'sec', 'vault']);

const VALUE = 's3cr3t-v4lue-never-printed';
const OTHER = 'an0ther-s3cr3t=with=equals';
const scope = ['--app', 'vault', '--env', 'prod'];

function assertNoValue(r: CliResult, ...values: string[]): void {
  for (const v of values) assert.ok(!r.stdout.includes(v) && !r.stderr.includes(v), `a secret value was printed: ${r.stdout}${r.stderr}`);
}

test('secrets set KEY=VALUE and --from-file (a file or stdin) merge into the bundle; set, list and --json never print a value', async () => {
  const set = await world.cli(['secrets', 'set', ...scope, `API_KEY=${VALUE}`, `OTHER=${OTHER}`]);
  assert.deepEqual(set, { code: 0, stdout: 'Set API_KEY, OTHER in vault/prod: secrets version 1 (2 secret(s)); running instances restart one at a time\n', stderr: '' });
  const fromFile = await world.cli(['secrets', 'set', ...scope, '--from-file', 'prod.env'], { files: { 'prod.env': `# TRC_SECRETS_V1\nCERT=base64:${Buffer.from(`line1\n${VALUE}\n`).toString('base64')}\n` } });
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const fromStdin = await world.cli(['secrets', 'set', ...scope, '--from-file', '-'], { stdin: `# TRC_SECRETS_V1\nTOKEN=${OTHER}\n` });
  assert.match(fromStdin.stdout, /^Set TOKEN in vault\/prod: secrets version 3 \(4 secret\(s\)\)/);
  const list = await world.cli(['secrets', 'list', ...scope]);
  assert.equal(list.stdout, 'vault/prod: secrets version 3\nNAME\nAPI_KEY\nCERT\nOTHER\nTOKEN\n');
  const json = await world.cli(['secrets', 'list', ...scope, '--json']);
  assert.deepEqual(JSON.parse(json.stdout), { version: 3, names: ['API_KEY', 'CERT', 'OTHER', 'TOKEN'] });
  for (const r of [set, fromFile, fromStdin, list, json]) assertNoValue(r, VALUE, OTHER);
});

test('secrets render prints exactly the TRC_SECRETS_V1 bytes; unset removes keys', async () => {
  await world.cli(['apps', 'create', '--org', 'sec', 'render']);
  const s = ['--app', 'render', '--env', 'staging'];
  await world.cli(['secrets', 'set', ...s, `B=${VALUE}`, 'A=two\nlines', 'C=']);
  const rendered = await world.cli(['secrets', 'render', ...s]);
  assert.equal(rendered.code, 0);
  assert.equal(rendered.stdout, `# TRC_SECRETS_V1\nA=base64:${Buffer.from('two\nlines').toString('base64')}\nB=${VALUE}\nC=\n`);
  const unset = await world.cli(['secrets', 'unset', ...s, 'A', 'C']);
  assert.equal(unset.stdout, 'Removed A, C from render/staging: secrets version 2 (1 secret(s) left)\n');
  assert.equal((await world.cli(['secrets', 'render', ...s])).stdout, `# TRC_SECRETS_V1\nB=${VALUE}\n`);
  const missing = await world.cli(['secrets', 'unset', ...s, 'NOPE']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^TRC_NOT_FOUND: secret "NOPE" is not set in render\/staging\nHint: /);
});

test('a key starting with a digit is refused by the control plane: the CLI shows its code, message and hint, exits 1, and prints no value', async () => {
  const r = await world.cli(['secrets', 'set', ...scope, `1API_KEY=${VALUE}`]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, [
    'TRC_SECRET_KEY_INVALID: values.1API_KEY: secret key "1API_KEY" starts with a digit, so no shell can name it as a variable',
    '  values.1API_KEY: secret key "1API_KEY" starts with a digit, so no shell can name it as a variable (hint: rename it, e.g. _1API_KEY or S1API_KEY)',
    'Hint: rename it, e.g. _1API_KEY or S1API_KEY',
    '',
  ].join('\n'));
  assertNoValue(r, VALUE);
  const list = JSON.parse((await world.cli(['secrets', 'list', ...scope, '--json'])).stdout) as { names: string[] };
  assert.ok(!list.names.includes('1API_KEY'));
});

test('bad secrets input is a usage error naming no value: no KEY=VALUE, an argument without =, both arguments and --from-file; an invalid file names its problems only', async () => {
  const none = await world.cli(['secrets', 'set', ...scope]);
  const noEq = await world.cli(['secrets', 'set', ...scope, 'A=1', VALUE]);
  const both = await world.cli(['secrets', 'set', ...scope, 'A=1', '--from-file', '-'], { stdin: `# TRC_SECRETS_V1\nA=${VALUE}\n` });
  assert.deepEqual([none.code, noEq.code, both.code], [2, 2, 2]);
  assert.match(noEq.stderr, /^TRC_CLI_USAGE: argument 2 is not KEY=VALUE\n/);
  const invalid = await world.cli(['secrets', 'set', ...scope, '--from-file', '-'], { stdin: `# TRC_SECRETS_V1\nlower=${VALUE}\n` });
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /^TRC_SECRETS_FILE_INVALID: /);
  for (const r of [none, noEq, both, invalid]) assertNoValue(r, VALUE);
});
