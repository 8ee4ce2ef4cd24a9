// The renderer: exact output, the base64 decision, and the round-trip properties with the parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderSecretsFile } from './render.ts';
import { formatSecretsProblem, parseSecretsFile } from './parse.ts';
import { isTrcError } from '../errors/errors.ts';
import { blobBytes, loadVectors } from './test-support/vectors.ts';
import type { SecretEntry } from './format.ts';
import { arbitrarySecrets } from './test-support/arbitrary.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

test('renderSecretsFile writes the header, one KEY=VALUE line per entry in order, and a final newline', () => {
  const out = renderSecretsFile([
    { key: 'B', value: text('plain text with  spaces ') },
    { key: 'A', value: text('line1\nline2\n') },
    { key: 'C', value: new Uint8Array([0xff, 0x00]) },
    { key: 'D', value: text('base64:abc') },
    { key: 'E', value: text('') },
    { key: 'F', value: text('\ufeffbom') },
    { key: 'G', value: text('cr\r') },
  ]);
  assert.equal(out, '# TRC_SECRETS_V1\nB=plain text with  spaces \nA=base64:bGluZTEKbGluZTIK\nC=base64:/wA=\nD=base64:YmFzZTY0OmFiYw==\nE=\nF=\ufeffbom\nG=base64:Y3IN\n');
  assert.equal(renderSecretsFile([]), '# TRC_SECRETS_V1\n');
});

test('renderSecretsFile refuses invalid and duplicate keys, naming the key and never the value', () => {
  for (const [entries, code] of [
    [[{ key: 'lower', value: text('s3cret-value') }], 'TRC_SECRETS_KEY_INVALID'],
    [[{ key: '', value: text('s3cret-value') }], 'TRC_SECRETS_KEY_INVALID'],
    [[{ key: 'A', value: text('x') }, { key: 'A', value: text('s3cret-value') }], 'TRC_SECRETS_KEY_DUPLICATE'],
  ] as const) {
    assert.throws(() => renderSecretsFile(entries), (e: unknown) => isTrcError(e) && e.code === code && !e.message.includes('s3cret') && e.kind === 'user');
  }
});

test('the renderer reproduces every valid shared vector that is in canonical form', () => {
  for (const v of loadVectors().valid) {
    const entries = v.entries.map((e) => ({ key: e.key, value: blobBytes(e.value) }));
    const again = parseSecretsFile(text(renderSecretsFile(entries)), 'r.env');
    assert.ok(again.ok, v.name);
    assert.deepEqual(again.value, entries, v.name);
  }
});

test('property: parse(render(x)) == x for arbitrary keys and byte values', () => {
  fc.assert(fc.property(arbitrarySecrets, (entries: SecretEntry[]) => {
    const r = parseSecretsFile(text(renderSecretsFile(entries)), 'p.env');
    assert.ok(r.ok, r.ok ? '' : r.problems.map(formatSecretsProblem).join('\n'));
    assert.deepEqual(r.value, entries);
  }), { numRuns: 500 });
});

test('property: the rendered file is always valid: header, UTF-8, one line per entry, no CR or NUL', () => {
  fc.assert(fc.property(arbitrarySecrets, (entries: SecretEntry[]) => {
    const out = renderSecretsFile(entries);
    const bytes = text(out);
    assert.equal(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), out);
    assert.ok(!out.includes('\r') && !out.includes('\0'));
    const lines = out.split('\n');
    assert.equal(lines[0], '# TRC_SECRETS_V1');
    assert.equal(lines.at(-1), '');
    assert.equal(lines.length, entries.length + 2);
    lines.slice(1, -1).forEach((line, i) => assert.ok(line.startsWith(`${entries[i]!.key}=`)));
  }), { numRuns: 500 });
});

test('property: parse errors never contain the value', () => {
  const secretValue = fc.string({ minLength: 10, maxLength: 30 }).filter((s) => !s.includes('\n') && /[^ \t]{6}/.test(s)).map((s) => `S3CR3T${s}`);
  const breakage = fc.constantFrom<(k: string, v: string) => string>(
    (k, v) => `${k.toLowerCase()}=${v}`, // bad key
    (_k, v) => v.replace(/=/g, ''), // no =
    (k, v) => `${k}=${v}\0`, // raw NUL
    (k, v) => `${k}=${v}\r`, // raw CR
    (k, v) => `${k}=base64:${v}`, // invalid base64
    (k, v) => `${k}=${v}\n${k}=${v}`, // duplicate key
    (_k, v) => `${v}=x`, // the value where the key goes
  );
  fc.assert(fc.property(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/), secretValue, breakage, (key, value, breakIt) => {
    const file = `# TRC_SECRETS_V1\nOK=1\n${breakIt(key, value)}\n`;
    const r = parseSecretsFile(text(file), 'f.env');
    if (r.ok) return; // e.g. a value that is itself valid base64
    for (const p of r.problems) {
      const shown = `${formatSecretsProblem(p)} ${p.hint ?? ''}`;
      assert.ok(!shown.includes(value) && !shown.includes('S3CR3T'), shown);
    }
  }), { numRuns: 500 });
});
