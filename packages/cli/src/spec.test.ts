// Keeps the CLI section of docs/SPECIFICATION.md honest: every promise names a test that exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const root = new URL('../../../', import.meta.url);

test('every CLI promise in docs/SPECIFICATION.md names a test that exists', () => {
  const section = readFileSync(new URL('docs/SPECIFICATION.md', root), 'utf8').split('\n## ').find((s) => s.startsWith('CLI\n'));
  assert.ok(section !== undefined);
  const refs = [...section.matchAll(/`(packages\/cli\/src\/[\w./-]+\.test\.ts) › (.+?)` \|$/gm)];
  assert.ok(refs.length >= 8, 'the section lists the CLI promises');
  for (const [, file, name] of refs) {
    assert.ok(readFileSync(new URL(file!, root), 'utf8').includes(`test('${name}'`), `${file} has a test named: ${name}`);
  }
});
