// Keeps the edge section of docs/SPECIFICATION.md honest: every promise names a test that exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const root = new URL('../../../', import.meta.url);

/** Test names declared in a file, as patterns: `${x}` in a template name stands for any text. */
function declaredNames(source: string): RegExp[] {
  const out: RegExp[] = [];
  for (const m of source.matchAll(/\btest\((['`])((?:\\.|(?!\1).)*)\1/g)) {
    const raw = m[2]!.replace(/\\(.)/g, '$1');
    const parts = raw.split(/\$\{[^}]*\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    out.push(new RegExp(`^${parts.join('.+')}$`));
  }
  return out;
}

test('every edge promise in docs/SPECIFICATION.md names a test that exists', () => {
  const section = readFileSync(new URL('docs/SPECIFICATION.md', root), 'utf8').split('\n## ').find((s) => s.startsWith('Edge proxy'));
  assert.ok(section !== undefined);
  const refs = [...section.matchAll(/`(packages\/edge\/src\/(?!interop\/)[\w./-]+\.test\.ts) › (.+?)` \|$/gm)];
  assert.ok(refs.length >= 30, 'the section lists the edge promises');
  for (const [, file, name] of refs) {
    const names = declaredNames(readFileSync(new URL(file!, root), 'utf8'));
    assert.ok(names.some((n) => n.test(name!)), `${file} has a test named: ${name}`);
  }
});
