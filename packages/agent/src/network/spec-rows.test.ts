// Keeps the networking and secrets-delivery rows of docs/SPECIFICATION.md honest: each names a test that exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const root = new URL('../../../../', import.meta.url);

test('every networking and secrets-delivery promise in docs/SPECIFICATION.md names a test that exists', () => {
  const spec = readFileSync(new URL('docs/SPECIFICATION.md', root), 'utf8');
  const section = spec.split('\n## ').find((s) => s.startsWith('Node agent'));
  assert.ok(section !== undefined);
  const refs = [...section.matchAll(/`(packages\/agent\/src\/(?:network|secrets)\/[\w./-]+\.test\.ts) › (.+?)` \|$/gm)];
  assert.ok(refs.length >= 15, 'the section lists the networking and secrets promises');
  for (const [, file, name] of refs) {
    const source = readFileSync(new URL(file!, root), 'utf8');
    assert.ok(source.includes(`test('${name!}'`), `${file} has a test named: ${name}`);
  }
});
