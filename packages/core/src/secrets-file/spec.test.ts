// Keeps the TRC_SECRETS_V1 section of docs/SPECIFICATION.md honest: every promise names a test that exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const root = new URL('../../../../', import.meta.url);

test('every TRC_SECRETS_V1 promise in docs/SPECIFICATION.md names a test that exists', () => {
  const section = readFileSync(new URL('docs/SPECIFICATION.md', root), 'utf8').split('\n## ').find((s) => s.startsWith('Secrets file `TRC_SECRETS_V1`'));
  assert.ok(section !== undefined);
  const refs = [...section.matchAll(/`(packages\/core\/src\/secrets-file\/[\w.-]+\.test\.ts) › (.+?)` \|$/gm)];
  assert.ok(refs.length >= 20, 'the section lists the secrets-file promises');
  for (const [, file, name] of refs) {
    const source = readFileSync(new URL(file!, root), 'utf8');
    // The shell tests are declared once per shell, as `${sh.name}: ...`.
    const perShell = /^(dash|bash|busybox): (.*)$/.exec(name!);
    const declared = perShell === null ? source.includes(`test('${name}'`) : source.includes(`test(\`\${sh.name}: ${perShell[2]}\``);
    assert.ok(declared, `${file} has a test named: ${name}`);
  }
});
