// bin/platform-secrets-export (the POSIX-shell guest utility) against the TypeScript codec: the shared
// vectors and a property, in dash, bash and busybox sh, each with only its own `od` on PATH.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { renderSecretsFile } from './render.ts';
import { parseSecretsFile, type SecretsFileProblem } from './parse.ts';
import type { SecretEntry } from './format.ts';
import { blobBytes, loadVectors } from './test-support/vectors.ts';
import { arbitrarySecretsWith } from './test-support/arbitrary.ts';

const SCRIPT = new URL('../../../../bin/platform-secrets-export', import.meta.url).pathname;
const vectors = loadVectors();
const work = mkdtempSync(join(tmpdir(), 'trc-secrets-export-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Shell {
  readonly name: string;
  /** argv prefix that runs a script file or, with -c, a command string. */
  readonly argv: readonly string[];
  /** A PATH holding nothing but this shell's `od`: the script may need nothing else. */
  readonly path: string;
}

function shell(name: string, argv: string[], od: string): Shell {
  const bin = join(work, `${name}-bin`);
  mkdirSync(bin);
  symlinkSync(od, join(bin, 'od'));
  return { name, argv, path: bin };
}

mkdirSync(join(work, 'empty-bin'));
const shells: Shell[] = [
  shell('dash', ['/usr/bin/dash'], '/usr/bin/od'),
  shell('bash', ['/bin/bash'], '/usr/bin/od'),
  shell('busybox', ['/bin/busybox', 'sh'], '/bin/busybox'),
];

let fileCounter = 0;
function writeSecretsFile(bytes: Uint8Array): string {
  const path = join(work, `f${fileCounter++}.env`);
  writeFileSync(path, bytes);
  return path;
}

function runScript(sh: Shell, args: string[], path = sh.path): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(sh.argv[0]!, [...sh.argv.slice(1), SCRIPT, ...args], { env: { PATH: path }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('latin1') };
}

/** The exact bytes the script must print: KEY='value' with ' as '\''. */
function expectedOutput(entries: readonly SecretEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const { key, value } of entries) {
    const quoted = Buffer.from(value).toString('latin1').replaceAll("'", "'\\''");
    parts.push(Buffer.from(`${key}='${quoted}'\n`, 'latin1'));
  }
  return Buffer.concat(parts);
}

// In the shell under test: export the file's secrets with the documented idiom, then have a child process
// of the same shell write each variable it inherited to a file, so bytes are compared after a real export.
const DRIVER = `set -a
eval "$($SH "$SCRIPT" "$F")"
set +a
for k in $KEYS; do $SH -c 'eval "printf %s \\"\\\${$1}\\""' child "$k" > "$OUT/$k" || exit 98; done`;

function exportAndDump(sh: Shell, file: string, keys: readonly string[]): Map<string, Buffer> {
  const out = mkdtempSync(join(work, 'dump-'));
  const r = spawnSync(sh.argv[0]!, [...sh.argv.slice(1), '-c', DRIVER], {
    env: { PATH: sh.path, SH: sh.argv.join(' '), SCRIPT, F: file, KEYS: keys.join(' '), OUT: out },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `${sh.name}: driver failed: ${r.stderr.toString('latin1')}`);
  const values = new Map(keys.map((k) => [k, readFileSync(join(out, k))]));
  rmSync(out, { recursive: true, force: true });
  return values;
}

function assertExports(sh: Shell, file: string, entries: readonly SecretEntry[], label: string): void {
  const direct = runScript(sh, [file]);
  assert.equal(direct.status, 0, `${sh.name} ${label}: ${direct.stderr}`);
  assert.equal(direct.stderr, '', `${sh.name} ${label}`);
  assert.deepEqual(direct.stdout, expectedOutput(entries), `${sh.name} ${label}: stdout`);
  const dumped = exportAndDump(sh, file, entries.map((e) => e.key));
  for (const { key, value } of entries) assert.deepEqual(new Uint8Array(dumped.get(key)!), value, `${sh.name} ${label}: ${key}`);
}

for (const sh of shells) {
  test(`${sh.name}: every valid shared vector is exported byte for byte`, () => {
    for (const v of vectors.valid) {
      const entries = v.entries.map((e) => ({ key: e.key, value: blobBytes(e.value) }));
      assertExports(sh, writeSecretsFile(blobBytes(v.file)), entries, v.name);
    }
  });

  test(`${sh.name}: every invalid shared vector exits 1 naming each problem's line and code, printing nothing`, () => {
    for (const v of vectors.invalid) {
      const file = writeSecretsFile(blobBytes(v.file));
      const r = runScript(sh, [file]);
      assert.equal(r.status, 1, `${sh.name} ${v.name}: ${r.stderr}`);
      assert.equal(r.stdout.length, 0, `${sh.name} ${v.name}`);
      const reported = r.stderr.split('\n').flatMap((line) => {
        if (!line.startsWith(`${file}:`)) return [];
        const m = /^:(\d+): (TRC_[A-Z0-9_]+) /.exec(line.slice(file.length));
        assert.ok(m, line);
        return [{ line: Number(m[1]), code: m[2]! }];
      });
      assert.deepEqual(reported, v.problems, `${sh.name} ${v.name}: ${r.stderr}`);
      assert.match(r.stderr, /TRC_SECRETS_FILE_INVALID: /);
    }
  });

  test(`${sh.name}: a key starting with a digit or a value with NUL exits 3 naming the key, printing nothing`, () => {
    for (const v of vectors.unexportable) {
      const r = runScript(sh, [writeSecretsFile(blobBytes(v.file))]);
      assert.equal(r.status, 3, `${sh.name} ${v.name}: ${r.stderr}`);
      assert.equal(r.stdout.length, 0);
      const named = [...r.stderr.matchAll(/TRC_SECRETS_EXPORT_UNREPRESENTABLE: ([A-Z0-9_]+) /g)].map((m) => m[1]);
      assert.deepEqual(named, v.keys, `${sh.name} ${v.name}`);
    }
  });

  test(`${sh.name}: usage errors, unreadable files and a missing od exit 2`, () => {
    const two = runScript(sh, ['a', 'b']);
    assert.equal(two.status, 2);
    assert.match(two.stderr, /^TRC_SECRETS_EXPORT_USAGE: /);
    const missing = runScript(sh, [join(work, 'missing.env')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^TRC_SECRETS_EXPORT_USAGE: cannot read /);
    assert.equal(runScript(sh, [work]).status, 2);
    assert.equal(missing.stdout.length + two.stdout.length, 0);
    if (sh.name !== 'busybox') {
      // busybox sh runs its own od applet whatever PATH says; the others need od on PATH.
      const noOd = runScript(sh, [writeSecretsFile(new TextEncoder().encode('# TRC_SECRETS_V1\n'))], join(work, 'empty-bin'));
      assert.equal(noOd.status, 2);
      assert.match(noOd.stderr, /^TRC_SECRETS_EXPORT_USAGE: platform-secrets-export needs od/);
    }
  });

  test(`${sh.name}: property: any secrets the TypeScript renderer writes are exported exactly`, () => {
    // Keys get a prefix so that no random key is one of the shell's own variables (PATH, IFS, PPID...).
    const keys = fc.stringMatching(/^[A-Z0-9_]{0,6}$/).map((k) => `S_${k}`);
    const noNul = (v: Uint8Array): boolean => !v.includes(0);
    fc.assert(fc.property(arbitrarySecretsWith(keys, undefined, 6).filter((es) => es.every((e) => noNul(e.value))), (entries) => {
      assertExports(sh, writeSecretsFile(new TextEncoder().encode(renderSecretsFile(entries))), entries, 'property');
    }), { numRuns: 25 });
  });

  test(`${sh.name}: property: on random, mostly broken files the script and the TypeScript parser agree`, () => {
    const fragment = fc.constantFrom('A', 'Z', '1', '_', 'a', '=', '==', 'base64:', 'YQ==', 'YR==', 'Y', '+/', '-', ' ', '#', "'", '\r', '\0', '\u00e9', '\u00ff', '\ufeff', '\\', '%');
    const raw = fc.constantFrom(new Uint8Array([0xff]), new Uint8Array([0xc0, 0xaf]), new Uint8Array([0xed, 0xa0, 0x80]), new Uint8Array([0xe2, 0x82]));
    const piece = fc.oneof({ weight: 6, arbitrary: fragment.map((f) => new TextEncoder().encode(f)) }, { weight: 1, arbitrary: raw });
    const line = fc.array(piece, { maxLength: 6 }).map((ps) => Buffer.concat(ps));
    const header = fc.constantFrom('# TRC_SECRETS_V1', '# TRC_SECRETS_V1', '# TRC_SECRETS_V1', '# TRC_SECRETS_V1 ', 'A=1').map((h) => Buffer.from(h));
    const file = fc.tuple(header, fc.array(line, { maxLength: 6 }), fc.boolean()).map(([h, ls, finalNewline]) => {
      const body = Buffer.concat([h, ...ls.flatMap((l) => [Buffer.from('\n'), l])]);
      return new Uint8Array(finalNewline ? Buffer.concat([body, Buffer.from('\n')]) : body);
    });
    fc.assert(fc.property(file, (bytes) => {
      const path = writeSecretsFile(bytes);
      const parsed = parseSecretsFile(bytes, path);
      const r = runScript(sh, [path]);
      if (!parsed.ok) {
        assert.equal(r.status, 1, r.stderr);
        assert.equal(r.stdout.length, 0);
        const reported = [...r.stderr.matchAll(/^.*:(\d+): (TRC_SECRETS_FILE_[A-Z0-9_]+) /gm)].map((m) => ({ line: Number(m[1]), code: m[2] }));
        assert.deepEqual(reported, (parsed.problems as readonly SecretsFileProblem[]).map((p) => ({ line: p.line, code: p.code })), r.stderr);
        return;
      }
      const unexportable = parsed.value.filter((e) => /^[0-9]/.test(e.key) || e.value.includes(0)).map((e) => e.key);
      if (unexportable.length > 0) {
        assert.equal(r.status, 3, r.stderr);
        assert.deepEqual([...r.stderr.matchAll(/TRC_SECRETS_EXPORT_UNREPRESENTABLE: ([A-Z0-9_]+) /g)].map((m) => m[1]), unexportable);
        return;
      }
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout, expectedOutput(parsed.value));
    }), { numRuns: 100 });
  });
}
