// Keeps docs/errors.md and the code registry in sync, and checks the shape of every code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from './codes.ts';
import { TrcError, formatError } from './errors.ts';

const docPath = new URL('../../../../docs/errors.md', import.meta.url);

function documentedCodes(): Map<string, { kind: string; status: number }> {
  const rows = new Map<string, { kind: string; status: number }>();
  for (const line of readFileSync(docPath, 'utf8').split('\n')) {
    const m = /^\| `(TRC_[A-Z0-9_]+)` \| (user|bug) \| (\d{3}) \|/.exec(line);
    if (m === null) continue;
    assert.ok(!rows.has(m[1]!), `docs/errors.md lists ${m[1]} twice`);
    rows.set(m[1]!, { kind: m[2]!, status: Number(m[3]) });
  }
  return rows;
}

test('docs/errors.md lists exactly the codes in the registry, with the same kind and status', () => {
  const documented = documentedCodes();
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.deepEqual(documented.get(code), { kind: info.kind, status: info.status }, `${code} in docs/errors.md`);
  }
  for (const code of documented.keys()) {
    assert.ok(code in ERROR_CODES, `docs/errors.md lists ${code}, which no code file defines`);
  }
});

test('every code is TRC_UPPER_SNAKE, user errors are 4xx and bugs are 5xx', () => {
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^TRC_[A-Z0-9]+(_[A-Z0-9]+)*$/);
    assert.ok(info.summary.length > 0);
    if (info.kind === 'user') assert.ok(info.status >= 400 && info.status < 500, `${code} is a user error`);
    else assert.ok(info.status >= 500, `${code} is a bug`);
  }
});

test('a TrcError carries code, message and hint, and formats them for a terminal', () => {
  const e = new TrcError('TRC_INVALID_INPUT', 'bad', { hint: 'fix it', problems: [{ path: 'a.b', code: 'TRC_INVALID_INPUT', message: 'is wrong' }] });
  assert.equal(e.kind, 'user');
  assert.equal(e.status, 400);
  assert.deepEqual(e.toJSON(), { code: 'TRC_INVALID_INPUT', message: 'bad', hint: 'fix it', problems: [{ path: 'a.b', code: 'TRC_INVALID_INPUT', message: 'is wrong' }] });
  assert.equal(formatError(e), 'TRC_INVALID_INPUT: bad\n  a.b: is wrong\nHint: fix it');
});
