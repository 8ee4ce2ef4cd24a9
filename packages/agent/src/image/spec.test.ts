// Keeps the image rows of docs/SPECIFICATION.md honest: every one names a test that exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

test('every image promise in docs/SPECIFICATION.md names a test that exists', () => {
  const spec = readFileSync(new URL('../../../../docs/SPECIFICATION.md', import.meta.url), 'utf8');
  const section = spec.split('\n## ').find((s) => s.startsWith('Node agent'));
  assert.ok(section !== undefined);
  const refs = [...section.matchAll(/`(packages\/agent\/src\/image\/[\w.-]+\.test\.ts) › (.+?)` \|$/gm)];
  assert.ok(refs.length >= 20, 'the section lists the image promises');
  for (const [, file, name] of refs) {
    const source = readFileSync(new URL(`../../../../${file}`, import.meta.url), 'utf8');
    assert.ok(source.includes(`test('${name}'`), `${file} has a test named: ${name}`);
  }
});
