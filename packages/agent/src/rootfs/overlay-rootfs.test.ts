// Instance roots on the real host (root, overlayfs): one unpack per image, writes kept per instance,
// the host mount gone once started or released, and the shared trees reused by a restarted agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tarOf } from '../test-support/image-builder.ts';
import { unpackImage } from '../image/unpack.ts';
import { DEFAULT_MOUNT_TOOLS, mountPoints, unmountUnder } from './mounts.ts';
import { SPARE_IMAGES, type OverlayRootfs } from './overlay-rootfs.ts';
import type { ImageTree } from './rootfs.ts';
import { selectRootfsProvider } from './select-rootfs.ts';

const skip = process.getuid?.() === 0 && readFileSync('/proc/filesystems', 'utf8').includes('\toverlay') ? false : 'needs root and overlayfs';

/** A real one-layer image (a tar blob unpacked by the agent's unpacker), counting its unpacks. */
function image(dir: string, key: string): ImageTree & { unpacks: number } {
  const blob = path.join(dir, `layer-${key.slice(-4)}.tar`);
  writeFileSync(blob, tarOf([{ type: 'dir', path: 'etc' }, { type: 'file', path: 'etc/motd', content: 'image\n' }, { type: 'dir', path: 'tmp', mode: 0o1777 }]));
  const tree = {
    key,
    unpacks: 0,
    unpack: async (into: string) => {
      tree.unpacks++;
      await unpackImage([{ file: blob, digest: key }], into);
    },
  };
  return tree;
}

const KEY = `sha256:${'a'.repeat(64)}`;
const mounted = async (p: string): Promise<boolean> => (await mountPoints(DEFAULT_MOUNT_TOOLS.mountinfo)).includes(p);

test('overlay roots: the second instance of a cached image unpacks nothing, writes stay in the instance, started and release unmount', { skip }, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'trc-rootfs-'));
  t.after(async () => {
    await unmountUnder(DEFAULT_MOUNT_TOOLS, work);
    rmSync(work, { recursive: true, force: true });
  });
  const dir = path.join(work, 'rootfs');
  const provider = await selectRootfsProvider({ dir });
  assert.equal(provider.kind, 'overlay');
  const img = image(work, KEY);
  const [a, b] = await Promise.all([provider.prepare('a', img), provider.prepare('b', img)]);
  assert.equal(img.unpacks, 1);
  assert.ok(await mounted(a));
  assert.equal(readFileSync(path.join(a, 'etc/motd'), 'utf8'), 'image\n');

  writeFileSync(path.join(a, 'etc/motd'), 'changed by a\n');
  writeFileSync(path.join(a, 'new-file'), 'a\n');
  rmSync(path.join(b, 'etc/motd'));
  const lower = (provider as OverlayRootfs).imageDir(KEY);
  assert.equal(readFileSync(path.join(lower, 'etc/motd'), 'utf8'), 'image\n');
  assert.equal(existsSync(path.join(lower, 'new-file')), false);
  assert.equal(existsSync(path.join(b, 'new-file')), false);
  assert.equal(existsSync(path.join(b, 'etc/motd')), false);

  // A fresh prepare of an id throws away what an earlier attempt wrote.
  await provider.prepare('a', img);
  assert.equal(readFileSync(path.join(a, 'etc/motd'), 'utf8'), 'image\n');

  await provider.started('a');
  assert.equal(await mounted(a), false);
  await provider.release('a');
  assert.equal(existsSync(a), false);

  // A restarted agent: the tree on disk is reused, and a root the old agent mounted is released.
  const again = await selectRootfsProvider({ dir });
  await again.prepare('c', img);
  assert.equal(img.unpacks, 1);
  await again.release('b');
  await again.release('c');
  assert.equal(await mounted(b), false);
  assert.deepEqual(readdirSync(dir).filter((n) => !n.startsWith('.')), []);
  assert.deepEqual(readdirSync(path.join(dir, '.layers')), []);
  assert.equal(readFileSync(path.join(lower, 'etc/motd'), 'utf8'), 'image\n');
});

test('overlay roots: a partial tree left by a crash is unpacked again, a failed unpack leaves no tree', { skip }, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'trc-rootfs-'));
  t.after(async () => {
    await unmountUnder(DEFAULT_MOUNT_TOOLS, work);
    rmSync(work, { recursive: true, force: true });
  });
  const dir = path.join(work, 'rootfs');
  const provider = await selectRootfsProvider({ dir });
  const key = `sha256:${'b'.repeat(64)}`;
  const partial = path.join(dir, '.images', `.partial-sha256-${'b'.repeat(64)}`);
  mkdirSync(partial, { recursive: true });
  writeFileSync(path.join(partial, 'junk'), 'x');
  const broken: ImageTree = { key, unpack: async () => Promise.reject(new Error('registry blob unreadable')) };
  await assert.rejects(provider.prepare('x', broken), /unreadable/);
  assert.equal(existsSync((provider as OverlayRootfs).imageDir(key)), false);
  const img = image(work, key);
  const root = await provider.prepare('x', img);
  assert.equal(existsSync(path.join(root, 'junk')), false);
  assert.equal(readFileSync(path.join(root, 'etc/motd'), 'utf8'), 'image\n');
  await provider.release('x');
});

test('without overlayfs the roots fall back to one unpack per instance, and the log says so once', { skip }, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'trc-rootfs-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const fakeProc = path.join(work, 'proc');
  mkdirSync(fakeProc);
  writeFileSync(path.join(fakeProc, 'filesystems'), 'nodev\ttmpfs\n\text4\n');
  const lines: string[] = [];
  const provider = await selectRootfsProvider({ dir: path.join(work, 'rootfs'), procRoot: fakeProc, log: (l) => lines.push(l) });
  assert.equal(provider.kind, 'unpack');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /overlayfs not usable .*no overlay filesystem.*one full unpack per instance/);
  const img = image(work, KEY);
  const a = await provider.prepare('a', img);
  await provider.prepare('b', img);
  assert.equal(img.unpacks, 2);
  writeFileSync(path.join(a, 'etc/motd'), 'a\n');
  assert.equal(readFileSync(path.join(provider.pathOf('b'), 'etc/motd'), 'utf8'), 'image\n');
  await provider.release('a');
  assert.equal(existsSync(a), false);
});

test('spare roots: a started instance has one of its image mounted ahead, the next start of that image takes it (fresh, renamed into place), at most SPARE_IMAGES images keep one, close() unmounts them', { skip }, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'trc-rootfs-'));
  let provider: OverlayRootfs | undefined;
  t.after(async () => {
    // A spare still being mounted when an assertion failed is waited for and dropped first.
    await provider?.close();
    await unmountUnder(DEFAULT_MOUNT_TOOLS, work);
    rmSync(work, { recursive: true, force: true });
  });
  const dir = path.join(work, 'rootfs');
  provider = (await selectRootfsProvider({ dir })) as OverlayRootfs;
  const spareMounts = async (): Promise<string[]> => (await mountPoints(DEFAULT_MOUNT_TOOLS.mountinfo)).filter((m) => m.startsWith(path.join(dir, '.spare') + path.sep));
  // Bounded: the spare is mounted off the start path, just after it.
  const settle = async (count: number): Promise<void> => {
    for (let i = 0; i < 200 && (await spareMounts()).length !== count; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await spareMounts()).length, count);
  };
  const img = image(work, KEY);
  const a = await provider.prepare('a', img);
  writeFileSync(path.join(a, 'written-by-a'), 'a\n');
  assert.deepEqual(await spareMounts(), [], 'no spare is made while a start runs');
  await provider.started('a');
  await settle(1);
  const [spare] = await spareMounts();
  const b = await provider.prepare('b', img);
  assert.equal(b, provider.pathOf('b'));
  assert.ok(await mounted(b), 'the spare, renamed into place, is b\'s root');
  assert.equal(await mounted(spare!), false);
  assert.equal(readFileSync(path.join(b, 'etc/motd'), 'utf8'), 'image\n');
  assert.equal(existsSync(path.join(b, 'written-by-a')), false, 'a spare is fresh');
  await provider.started('b');
  await settle(1);

  // Three images started in turn: the one started longest ago loses its spare.
  const keys = [`sha256:${'c'.repeat(64)}`, `sha256:${'d'.repeat(64)}`];
  for (const [i, key] of keys.entries()) {
    await provider.prepare(`x${i}`, image(work, key));
    await provider.started(`x${i}`);
  }
  await settle(SPARE_IMAGES);
  await provider.close();
  assert.deepEqual(await spareMounts(), []);
  for (const id of ['a', 'b', 'x0', 'x1']) await provider.release(id);
  assert.deepEqual(readdirSync(path.join(dir, '.layers')), []);
});
