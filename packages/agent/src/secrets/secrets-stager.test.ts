// SecretsStager on a real tmpfs the test mounts (root): mode and owner, refusal off tmpfs, removal, and the
// staged bytes equal to the rendered bundle. Values are compared by hash so none is ever printed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSecretsFile, renderSecretsFile, SECRETS_FILE_PATH, type SecretEntry } from '@trc/core';
import { EXPORT_SCRIPT_PATH, SecretsStager } from './secrets-stager.ts';
import { RAMFS_MAGIC, TMPFS_MAGIC } from './tmpfs.ts';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root (mounts a tmpfs, chowns files)';
const work = mkdtempSync(path.join(tmpdir(), 'trc-secrets-stage-'));
const mnt = path.join(work, 'tmpfs');
let mounted = false;

const enc = new TextEncoder();
const bundle: SecretEntry[] = [
  { key: 'DATABASE_URL', value: enc.encode('postgres://app:s3cr3t@db/app') },
  { key: 'TLS_KEY', value: enc.encode('-----BEGIN KEY-----\nline two\n') },
  { key: 'BINARY', value: new Uint8Array([0, 255, 10, 13, 1]) },
  { key: 'LOOKS_ENCODED', value: enc.encode('base64:Zm9v') },
];
const sha = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');
const entriesHash = (entries: readonly SecretEntry[]): string => sha(entries.map((e) => `${e.key}:${sha(e.value)}`).join(','));

before(() => {
  if (!isRoot) return;
  mkdirSync(mnt);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mnt], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  mounted = true;
});

after(() => {
  if (mounted) spawnSync('umount', [mnt]);
  rmSync(work, { recursive: true, force: true });
});

test('a staged file reads back as the rendered bundle byte for byte, owned by root with mode 0400, in a directory with read-only mounts for the runtime', { skip }, async () => {
  const stager = new SecretsStager({ root: mnt });
  const staged = await stager.stage('web-1', bundle);
  const onDisk = readFileSync(staged.file);
  assert.equal(sha(onDisk), sha(renderSecretsFile(bundle)), 'file bytes equal the rendered bundle');
  const parsed = parseSecretsFile(onDisk, 'staged');
  assert.ok(parsed.ok);
  assert.equal(entriesHash(parsed.value), entriesHash(bundle), 'the file parses back to the bundle');
  const st = statSync(staged.file);
  assert.deepEqual({ mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }, { mode: 0o400, uid: 0, gid: 0 });
  assert.equal(staged.file, path.join(mnt, 'web-1', 'platform.env'));
  const dir = statSync(staged.directory.source);
  assert.deepEqual({ mode: dir.mode & 0o7777, uid: dir.uid, gid: dir.gid }, { mode: 0o755, uid: 0, gid: 0 });
  assert.deepEqual(staged.directory, { source: path.join(mnt, 'web-1'), destination: '/run/secrets', readOnly: true, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] });
  assert.equal(SECRETS_FILE_PATH, '/run/secrets/platform.env');
  assert.deepEqual(staged.exportScript, { source: stager.exportScript, destination: EXPORT_SCRIPT_PATH, readOnly: true, options: ['bind', 'ro', 'nosuid', 'nodev'] });
  assert.ok((statSync(stager.exportScript).mode & 0o111) !== 0, 'the export script is executable');
  await stager.remove('web-1');
  assert.equal(existsSync(staged.directory.source), false, 'the directory goes with the file');
});

test('prepare() makes the empty directory a runtime mounts first; a file staged afterwards shows through the read-only mount', { skip }, async () => {
  const stager = new SecretsStager({ root: mnt });
  const mounts = await stager.prepare('web-8');
  assert.deepEqual(mounts, stager.mounts('web-8'));
  assert.deepEqual(readdirSync(mounts.directory.source), []);
  const view = path.join(work, 'view');
  mkdirSync(view);
  assert.equal(spawnSync('mount', ['--bind', '-o', 'ro', mounts.directory.source, view]).status, 0);
  try {
    const staged = await stager.stage('web-8', bundle);
    assert.equal(sha(readFileSync(path.join(view, 'platform.env'))), sha(readFileSync(staged.file)));
  } finally {
    spawnSync('umount', [view]);
  }
  await stager.remove('web-8');
});

test('prepare() zeroes and removes what a crashed start left, and the file of an earlier agent beside the directories goes with remove()', { skip }, async () => {
  const stager = new SecretsStager({ root: mnt });
  const left = await stager.stage('web-9', bundle);
  const witness = path.join(mnt, 'witness-9');
  linkSync(left.file, witness);
  await stager.prepare('web-9');
  assert.deepEqual(readdirSync(stager.directoryOf('web-9')), [], 'the directory is empty again');
  assert.ok(readFileSync(witness).every((b) => b === 0), 'the old content was overwritten with zeros');
  rmSync(witness);
  await stager.remove('web-9');
  const legacy = path.join(mnt, 'web-10.env');
  writeFileSync(legacy, renderSecretsFile(bundle), { mode: 0o400 });
  linkSync(legacy, witness);
  await stager.remove('web-10');
  assert.equal(existsSync(legacy), false);
  assert.ok(readFileSync(witness).every((b) => b === 0));
  rmSync(witness);
});

test('with the group opt-in the file is 0440 with the gid of the image group; an unknown group is refused', { skip }, async () => {
  const rootfs = path.join(work, 'rootfs');
  mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1234:\n');
  const stager = new SecretsStager({ root: mnt });
  const staged = await stager.stage('web-2', bundle, { kind: 'group', group: 'app', rootfs });
  const st = statSync(staged.file);
  assert.deepEqual({ mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }, { mode: 0o440, uid: 0, gid: 1234 });
  assert.deepEqual({ mode: staged.mode, uid: staged.uid, gid: staged.gid }, { mode: 0o440, uid: 0, gid: 1234 });
  await stager.remove('web-2');
  await assert.rejects(stager.stage('web-3', bundle, { kind: 'group', group: 'nobody-here', rootfs }), { code: 'TRC_SECRETS_STAGE_GROUP_UNKNOWN' });
  assert.ok(!existsSync(stager.pathOf('web-3')), 'nothing is written');
});

test('a directory not on tmpfs or ramfs, or missing, is refused and nothing is written', { skip }, async () => {
  // The checkout lives on a disk; if this host keeps it on tmpfs the first half has nothing to show.
  const scratch = new URL('../../../../.tmp/', import.meta.url).pathname;
  mkdirSync(scratch, { recursive: true });
  const onDisk = mkdtempSync(path.join(scratch, 'secrets-stage-'));
  try {
    const type = statfsSync(onDisk).type;
    if (type !== TMPFS_MAGIC && type !== RAMFS_MAGIC) {
      await assert.rejects(new SecretsStager({ root: onDisk }).stage('web-4', bundle), { code: 'TRC_SECRETS_STAGE_NOT_TMPFS' });
      assert.ok(!existsSync(path.join(onDisk, 'web-4')));
    }
  } finally {
    rmSync(onDisk, { recursive: true, force: true });
  }
  await assert.rejects(new SecretsStager({ root: path.join(work, 'missing') }).stage('web-4', bundle), { code: 'TRC_SECRETS_STAGE_NOT_TMPFS' });
});

test('remove zeroes then deletes the file and is idempotent; staging over an existing file or a planted link is refused', { skip }, async () => {
  const stager = new SecretsStager({ root: mnt });
  const staged = await stager.stage('web-5', bundle);
  await assert.rejects(stager.stage('web-5', bundle), { code: 'TRC_SECRETS_STAGE_EXISTS' });
  // A second name for the same inode shows what remove() leaves in the file's pages.
  const witness = path.join(mnt, 'witness');
  linkSync(staged.file, witness);
  await stager.remove('web-5');
  assert.ok(!existsSync(staged.file));
  const left = readFileSync(witness);
  assert.ok(left.length > 0 && left.every((b) => b === 0), 'the content was overwritten with zeros');
  rmSync(witness);
  await stager.remove('web-5');
  const target = path.join(mnt, 'target');
  writeFileSync(target, 'untouched');
  mkdirSync(stager.directoryOf('web-6'));
  symlinkSync(target, stager.pathOf('web-6'));
  await assert.rejects(stager.stage('web-6', bundle), { code: 'TRC_SECRETS_STAGE_EXISTS' });
  assert.equal(readFileSync(target, 'utf8'), 'untouched');
  await stager.remove('web-6');
  assert.ok(!existsSync(stager.directoryOf('web-6')));
  assert.equal(readFileSync(target, 'utf8'), 'untouched', 'remove() deletes a planted link without writing through it');
  // A link planted for the directory itself: staging refuses it, removing deletes the link only.
  const elsewhere = path.join(mnt, 'elsewhere');
  mkdirSync(elsewhere);
  symlinkSync(elsewhere, stager.directoryOf('web-11'));
  await assert.rejects(stager.stage('web-11', bundle), { code: 'TRC_SECRETS_STAGE_EXISTS' });
  assert.deepEqual(readdirSync(elsewhere), []);
  await stager.remove('web-11');
  assert.ok(!existsSync(stager.directoryOf('web-11')) && existsSync(elsewhere));
  rmSync(elsewhere, { recursive: true });
  rmSync(target);
});

test('an invalid bundle or instance id is refused without writing a file or quoting a value', { skip }, async () => {
  const stager = new SecretsStager({ root: mnt });
  const secret = 'do-not-print-me';
  await assert.rejects(stager.stage('web-7', [{ key: 'lower', value: enc.encode(secret) }]), (e: Error & { code?: string }) => e.code === 'TRC_SECRETS_KEY_INVALID' && !e.message.includes(secret));
  assert.ok(!existsSync(stager.pathOf('web-7')));
  await assert.rejects(stager.stage('../escape', bundle), { code: 'TRC_RUNTIME_INSTANCE_ID_INVALID' });
});
