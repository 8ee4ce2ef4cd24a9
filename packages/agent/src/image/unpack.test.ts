// Layer unpacking on real files in a temp dir: whiteouts, links, ownership, and every refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { refusal, testDir } from '../test-support/refusal.ts';
import { MALICIOUS_LAYERS, tarOf, type EntrySpec } from '../test-support/image-builder.ts';
import { unpackImage, type LayerToUnpack } from './unpack.ts';

const root = process.getuid?.() === 0;

function workdir(t: { after: (fn: () => void) => void }): string {
  return testDir(t, 'trc-unpack-');
}

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** Writes each layer as a blob file (gzip unless told otherwise) and describes it for unpackImage. */
function layers(dir: string, specs: readonly (readonly EntrySpec[])[], gzip = true): LayerToUnpack[] {
  return specs.map((entries, i) => {
    const tar = tarOf(entries);
    const bytes = gzip ? gzipSync(tar) : tar;
    const file = join(dir, `layer-${i}`);
    writeFileSync(file, bytes);
    return { file, digest: sha256(bytes), diffId: sha256(tar) };
  });
}

const refused = refusal('expected the unpack to be refused');

test('layers unpack in order with whiteouts and opaque directories hiding only lower layers', async (t) => {
  const dir = workdir(t);
  const rootfs = join(dir, 'rootfs');
  await unpackImage(layers(dir, [
    [
      { type: 'dir', path: 'etc/' },
      { type: 'file', path: 'etc/keep', content: 'keep' },
      { type: 'file', path: 'etc/gone', content: 'gone' },
      { type: 'dir', path: 'var/cache/' },
      { type: 'file', path: 'var/cache/old', content: 'old' },
      { type: 'file', path: './replaced', content: 'v1' },
    ],
    [
      { type: 'file', path: 'etc/.wh.gone' },
      { type: 'file', path: 'var/cache/new', content: 'new' },
      { type: 'file', path: 'var/cache/.wh..wh..opq' },
      { type: 'file', path: 'replaced', content: 'v2' },
      { type: 'file', path: 'etc/.wh.never-existed' },
    ],
  ]), rootfs);
  assert.equal(readFileSync(join(rootfs, 'etc/keep'), 'utf8'), 'keep');
  assert.equal(existsSync(join(rootfs, 'etc/gone')), false);
  assert.equal(existsSync(join(rootfs, 'etc/.wh.gone')), false);
  assert.equal(existsSync(join(rootfs, 'var/cache/old')), false, 'the opaque whiteout empties the lower layer directory');
  assert.equal(readFileSync(join(rootfs, 'var/cache/new'), 'utf8'), 'new', 'entries of the same layer survive its opaque whiteout');
  assert.equal(existsSync(join(rootfs, 'var/cache/.wh..wh..opq')), false);
  assert.equal(readFileSync(join(rootfs, 'replaced'), 'utf8'), 'v2');
});

test('symlinks are created as written, hard links stay inside the root, and a later layer may replace a symlink', async (t) => {
  const dir = workdir(t);
  const rootfs = join(dir, 'rootfs');
  await unpackImage(layers(dir, [
    [
      { type: 'file', path: 'bin/busybox', content: '#!fake', mode: 0o755 },
      { type: 'symlink', path: 'bin/sh', linkpath: 'busybox' },
      { type: 'symlink', path: 'etc-link', linkpath: '/etc' },
      { type: 'hardlink', path: 'bin/ash', linkpath: 'bin/busybox' },
      { type: 'hardlink', path: 'bin/ash2', linkpath: './bin/busybox' },
    ],
    [{ type: 'file', path: 'etc-link', content: 'now a file' }],
  ]), rootfs);
  assert.equal(readlinkSync(join(rootfs, 'bin/sh')), 'busybox');
  assert.equal(statSync(join(rootfs, 'bin/ash')).ino, statSync(join(rootfs, 'bin/busybox')).ino);
  assert.equal(statSync(join(rootfs, 'bin/ash2')).nlink, 3);
  assert.equal(statSync(join(rootfs, 'bin/busybox')).mode & 0o777, 0o755);
  assert.ok(lstatSync(join(rootfs, 'etc-link')).isFile(), 'the symlink was replaced, not followed to /etc');
  assert.equal(readFileSync(join(rootfs, 'etc-link'), 'utf8'), 'now a file');
});

test('uncompressed tar layers unpack too, and ownership and setuid are kept when running as root', async (t) => {
  const dir = workdir(t);
  const rootfs = join(dir, 'rootfs');
  await unpackImage(layers(dir, [[
    { type: 'dir', path: 'home/app', uid: 1000, gid: 1000, mode: 0o750 },
    { type: 'file', path: 'home/app/data', content: 'x', uid: 1000, gid: 1001, mode: 0o640 },
    { type: 'file', path: 'bin/su', content: 'x', mode: 0o4755 },
  ]], false), rootfs);
  const st = statSync(join(rootfs, 'home/app/data'));
  assert.equal(st.mode & 0o777, 0o640);
  if (root) {
    assert.deepEqual([st.uid, st.gid], [1000, 1001]);
    assert.equal(statSync(join(rootfs, 'home/app')).uid, 1000);
    assert.equal(statSync(join(rootfs, 'bin/su')).mode & 0o7777, 0o4755);
  }
  const stripped = join(dir, 'stripped');
  await unpackImage(layers(join(dir), [[{ type: 'file', path: 'bin/su', content: 'x', mode: 0o4755, uid: 1000 }]]), stripped, { preserveOwnership: false });
  assert.equal(statSync(join(stripped, 'bin/su')).mode & 0o7777, 0o755, 'without ownership the setuid bit is dropped');
  assert.equal(statSync(join(stripped, 'bin/su')).uid, process.getuid?.());
});


test('malicious layers are refused with a code naming the layer and entry, nothing lands outside, and the rootfs is removed', async (t) => {
  for (const m of MALICIOUS_LAYERS) {
    const dir = workdir(t);
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret'), 'secret');
    const rootfs = join(dir, 'rootfs');
    const benign: EntrySpec[] = [{ type: 'file', path: 'bin/ok', content: 'ok' }];
    const stack = layers(dir, [benign, m.entries]);
    const e = await refused(unpackImage(stack, rootfs));
    assert.equal(e.code, m.code, m.name);
    assert.equal(e.kind, 'user');
    assert.ok(e.message.includes(stack[1]!.digest), `${m.name}: the message names the layer digest: ${e.message}`);
    assert.ok(e.message.includes(`"${m.path}"`), `${m.name}: the message names the entry path: ${e.message}`);
    assert.deepEqual(e.details, { layer: stack[1]!.digest, path: m.path });
    assert.equal(existsSync(rootfs), false, `${m.name}: the rootfs is removed`);
    if (m.outside !== undefined) assert.equal(existsSync(join(dir, m.outside)), false, `${m.name}: nothing was written outside`);
    assert.equal(readFileSync(join(outside, 'secret'), 'utf8'), 'secret');
    assert.equal(existsSync('/abs-escaped'), false);
  }
});

test('zstd layers, diff_id mismatches, unreadable tars, oversized and unwritable layers are refused', async (t) => {
  const dir = workdir(t);
  const zstd = join(dir, 'zstd');
  writeFileSync(zstd, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
  const e = await refused(unpackImage([{ file: zstd, digest: sha256(readFileSync(zstd)) }], join(dir, 'r1')));
  assert.equal(e.code, 'TRC_IMAGE_LAYER_UNSUPPORTED');
  assert.match(e.message, /zstd/);
  const [layer] = layers(dir, [[{ type: 'file', path: 'a', content: 'a' }]]);
  const wrong = await refused(unpackImage([{ ...layer!, diffId: sha256(Buffer.from('other')) }], join(dir, 'r2')));
  assert.equal(wrong.code, 'TRC_IMAGE_DIGEST_MISMATCH');
  assert.equal(existsSync(join(dir, 'r2')), false);
  const garbage = join(dir, 'garbage');
  writeFileSync(garbage, gzipSync(Buffer.from('this is not a tar archive at all, just text that goes on and on'.repeat(20))));
  const bad = await refused(unpackImage([{ file: garbage, digest: sha256(readFileSync(garbage)) }], join(dir, 'r3')));
  assert.equal(bad.code, 'TRC_IMAGE_LAYER_INVALID');
  const big = layers(dir, [[{ type: 'file', path: 'big', content: Buffer.alloc(64 * 1024) }]]);
  const bomb = await refused(unpackImage(big, join(dir, 'r5'), { maxUncompressedBytes: 32 * 1024 }));
  assert.equal(bomb.code, 'TRC_IMAGE_TOO_LARGE');
  assert.equal(existsSync(join(dir, 'r5')), false);
  const longName = `deep/${'n'.repeat(300)}`;
  const tooLong = await refused(unpackImage(layers(dir, [[{ type: 'file', path: longName, content: 'x' }]]), join(dir, 'r6')));
  assert.equal(tooLong.code, 'TRC_IMAGE_LAYER_INVALID', 'a name the file system cannot hold is a layer problem, not a bug');
  assert.ok(tooLong.message.includes(longName) && tooLong.message.includes('ENAMETOOLONG'), tooLong.message);
  const longOk = `${'d'.repeat(90)}/${'f'.repeat(120)}`;
  await unpackImage(layers(dir, [[{ type: 'file', path: longOk, content: 'pax' }]]), join(dir, 'r7'));
  assert.equal(readFileSync(join(dir, 'r7', longOk), 'utf8'), 'pax', 'pax extended headers carry long paths');
  const rootfs = join(dir, 'r4');
  await unpackImage(layers(dir, [[{ type: 'file', path: 'a', content: 'a' }]]), rootfs);
  assert.equal((await refused(unpackImage([], rootfs))).code, 'TRC_IMAGE_ROOTFS_NOT_EMPTY');
});
