// The specification check that a full test run applies to docs/SPECIFICATION.md.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkSpecification, specificationReferences } from './specification.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const here = path.join(ROOT, 'scripts/specification.test.ts');
const conformance = path.join(ROOT, 'packages/control/src/store/conformance.ts');

const work = mkdtempSync(path.join(tmpdir(), 'trc-spec-'));
after(() => rmSync(work, { recursive: true, force: true }));
let written = 0;

function spec(rows: string[]): string {
  const file = path.join(work, `SPECIFICATION-${written++}.md`);
  writeFileSync(file, ['| promise | enforced by |', '|---|---|', ...rows].join('\n'));
  return file;
}

test('a reference matches a test that passed in the named file or in a module that file imports', () => {
  const passed = new Map([
    ['suite › a test', new Set([here])],
    ['EventStore conformance: SQLite › reopen', new Set([conformance])],
  ]);
  const ok = spec([
    '| p | `scripts/specification.test.ts › suite › a test` |',
    '| q | `packages/control/src/store/sqlite/sqlite.test.ts › EventStore conformance: SQLite › reopen` |',
  ]);
  assert.deepEqual(checkSpecification(passed, ok), []);
  const bad = spec([
    '| p | `scripts/specification.test.ts › suite › missing` |',
    '| q | `scripts/nope.test.ts › x` |',
    '| r | `packages/core/src/errors/codes.test.ts › suite › a test` |',
  ]);
  assert.deepEqual(checkSpecification(passed, bad), [
    'line 3: no test named "suite › missing" passed in this run',
    'line 4: scripts/nope.test.ts does not exist',
    'line 5: "suite › a test" passed, but not in packages/core/src/errors/codes.test.ts',
  ]);
  assert.deepEqual(checkSpecification(new Map(), spec([])), ['names no test at all']);
});

test('references are read from every table row, several per row', () => {
  assert.deepEqual(specificationReferences('| a | `x.test.ts › one` and `y.test.ts › two › three` |\nnot a row `z.test.ts › no`'), [
    { line: 1, file: 'x.test.ts', name: 'one' },
    { line: 1, file: 'y.test.ts', name: 'two › three' },
  ]);
});
