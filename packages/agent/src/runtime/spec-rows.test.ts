// Keeps the runtime and cgroup rows of docs/SPECIFICATION.md honest: each names a test that exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const root = new URL('../../../../', import.meta.url);

test('every runtime and cgroup promise in docs/SPECIFICATION.md names a test that exists', () => {
  const spec = readFileSync(new URL('docs/SPECIFICATION.md', root), 'utf8');
  const section = spec.split('\n## ').find((s) => s.startsWith('Node agent'));
  assert.ok(section !== undefined);
  const refs = [...section.matchAll(/`(packages\/agent\/src\/(?:runtime|cgroups)\/[\w./-]+\.test\.ts) › (.+?)` \|$/gm)];
  assert.ok(refs.length >= 20, 'the section lists the runtime promises');
  const conformance = readFileSync(new URL('packages/agent/src/runtime/conformance.ts', root), 'utf8');
  for (const [, file, name] of refs) {
    let source = readFileSync(new URL(file!, root), 'utf8');
    // A driver's test file runs the shared suite, whose tests are declared in conformance.ts.
    if (source.includes('runRuntimeConformance(')) source += conformance;
    const quoted = [`'${name!}'`, `'${name!.replaceAll("'", "\\'")}'`];
    assert.ok(quoted.some((q) => source.includes(`test(${q}`) || source.includes(`it(${q}`)), `${file} has a test named: ${name}`);
  }
});
