// The TRC_SECRETS_V1 parser against the shared vectors, and its reporting rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSecretsProblem, parseSecretsFile, parseSecretsFileOrThrow, type SecretsFileProblem } from './parse.ts';
import { blobBytes, loadVectors } from './test-support/vectors.ts';
import { formatError, isTrcError } from '../errors/errors.ts';
import { ERROR_CODES } from '../errors/codes.ts';

const vectors = loadVectors();

test('every valid shared vector parses to its entries, in file order', () => {
  for (const v of [...vectors.valid, ...vectors.unexportable.map((u) => ({ ...u, entries: undefined }))]) {
    const r = parseSecretsFile(blobBytes(v.file), 'v.env');
    assert.ok(r.ok, `${v.name}: ${r.ok ? '' : r.problems.map(formatSecretsProblem).join('\n')}`);
    if (v.entries !== undefined) assert.deepEqual(r.value.map((e) => ({ key: e.key, value: e.value })), v.entries.map((e) => ({ key: e.key, value: blobBytes(e.value) })), v.name);
  }
});

test('every invalid shared vector reports exactly its problems, each with file and line', () => {
  for (const v of vectors.invalid) {
    const r = parseSecretsFile(blobBytes(v.file), 'v.env');
    assert.equal(r.ok, false, v.name);
    if (r.ok) continue;
    const problems = r.problems as readonly SecretsFileProblem[];
    assert.deepEqual(problems.map((p) => ({ line: p.line, code: p.code })), v.problems, v.name);
    for (const p of problems) {
      assert.ok(p.code in ERROR_CODES, p.code);
      assert.equal(p.path, `v.env:${p.line}`);
      assert.match(formatSecretsProblem(p), new RegExp(`^v\\.env:${p.line}: ${p.code} \\S`));
    }
  }
});

test('a problem never quotes the value or the offending line', () => {
  const secret = 'hunter2-Sup3r-S3cret';
  const file = [
    '# TRC_SECRETS_V1',
    `a=${secret}`,
    `${secret}`,
    `A=${secret}\0`,
    `A=${secret}`,
    `B=base64:${secret}`,
    `C=${secret}\r`,
    `${secret}=x`,
  ].join('\n');
  const r = parseSecretsFile(new TextEncoder().encode(file), 'app.env');
  assert.equal(r.ok, false);
  try {
    parseSecretsFileOrThrow(new TextEncoder().encode(file), 'app.env');
    assert.fail('must throw');
  } catch (e) {
    assert.ok(isTrcError(e));
    assert.equal(e.code, 'TRC_SECRETS_FILE_INVALID');
    assert.equal(e.problems.length, 7);
    const text = `${formatError(e)}\n${JSON.stringify(e.toJSON())}\n${e.problems.map(formatSecretsProblem).join('\n')}`;
    assert.ok(!text.includes('hunter2'), text);
    assert.ok(!text.includes('S3cret'), text);
  }
});

test('parsed values are copies, independent of the input buffer', () => {
  const bytes = new TextEncoder().encode('# TRC_SECRETS_V1\nA=xyz\n');
  const entries = parseSecretsFileOrThrow(bytes, 'a.env');
  bytes.fill(0);
  assert.deepEqual(entries[0]!.value, new TextEncoder().encode('xyz'));
});
