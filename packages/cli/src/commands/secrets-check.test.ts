// `platform secrets check FILE`, run through bin/platform.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlatform } from '../test-support/run-platform.ts';

const dir = mkdtempSync(join(tmpdir(), 'trc-secrets-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const SECRET = 'pa55-w0rd-do-not-print';

test('a valid file exits 0 with the number of keys; --json prints {valid, keys} and never values', async () => {
  const path = file('ok.env', `# TRC_SECRETS_V1\n# comment\nDATABASE_URL=${SECRET}\nCERT=base64:bGluZTEKbGluZTIK\n`);
  const [text, json, one] = await Promise.all([
    runPlatform(['secrets', 'check', path]),
    runPlatform(['secrets', 'check', '--json', path]),
    runPlatform(['secrets', 'check', file('one.env', '# TRC_SECRETS_V1\nA=1')]),
  ]);
  assert.equal(text.code, 0);
  assert.equal(text.stdout, `${path}: valid TRC_SECRETS_V1 file, 2 keys\n`);
  assert.equal(text.stderr, '');
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), { valid: true, keys: ['DATABASE_URL', 'CERT'] });
  assert.equal(one.stdout.endsWith(': valid TRC_SECRETS_V1 file, 1 key\n'), true);
  for (const r of [text, json]) assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
});

test('an invalid file exits 1 with every problem on stderr as FILE:LINE: CODE message, and no value', async () => {
  const path = file('bad.env', `# TRC_SECRETS_V1\nlower=${SECRET}\n${SECRET}\nA=${SECRET}\nA=${SECRET}\nB=base64:${SECRET}\nC=${SECRET}\r\n`);
  const [text, json] = await Promise.all([runPlatform(['secrets', 'check', path]), runPlatform(['secrets', 'check', path, '--json'])]);
  assert.equal(text.code, 1);
  assert.equal(text.stdout, '');
  const lines = text.stderr.trimEnd().split('\n');
  assert.deepEqual(lines.slice(0, 5).map((l) => /^(.*:\d+: TRC_[A-Z0-9_]+) \S/.exec(l)?.[1]), [
    `${path}:2: TRC_SECRETS_FILE_KEY`,
    `${path}:3: TRC_SECRETS_FILE_SYNTAX`,
    `${path}:5: TRC_SECRETS_FILE_DUPLICATE_KEY`,
    `${path}:6: TRC_SECRETS_FILE_BASE64`,
    `${path}:7: TRC_SECRETS_FILE_RAW_VALUE`,
  ]);
  assert.equal(lines[5], `TRC_SECRETS_FILE_INVALID: ${path} is not a valid TRC_SECRETS_V1 file (5 problems)`);
  assert.match(lines[6]!, /^Hint: /);
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout) as { valid: boolean; keys: string[]; problems: { line: number; code: string }[] };
  assert.equal(doc.valid, false);
  assert.deepEqual(doc.keys, []);
  assert.deepEqual(doc.problems.map((p) => p.line), [2, 3, 5, 6, 7]);
  for (const r of [text, json]) assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), 'a value was printed');
});

test('a missing file or a directory exits 66; - reads standard input', async () => {
  const [missing, directory, stdin] = await Promise.all([
    runPlatform(['secrets', 'check', join(dir, 'nope.env')]),
    runPlatform(['secrets', 'check', dir]),
    runPlatform(['secrets', 'check', '-'], { stdin: '# TRC_SECRETS_V1\nA=1\nB=2\nC=3\n' }),
  ]);
  assert.equal(missing.code, 66);
  assert.equal(missing.stderr, `TRC_CLI_INPUT_UNREADABLE: ${join(dir, 'nope.env')} does not exist\nHint: check the path; use - to read standard input\n`);
  assert.equal(directory.code, 66);
  assert.match(directory.stderr, /^TRC_CLI_INPUT_UNREADABLE: .* is a directory\n/);
  assert.equal(stdin.code, 0);
  assert.equal(stdin.stdout, '<stdin>: valid TRC_SECRETS_V1 file, 3 keys\n');
});
