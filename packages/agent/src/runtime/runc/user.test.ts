// Image user resolution against /etc/passwd and /etc/group text, and reading them safely from a rootfs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isTrcError } from '@trc/core';
import { ImageUsers, readImageUserFiles, resolveUser } from './user.ts';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\n# comment\nweb:x:1000:1000::/home/web:/bin/sh\nbroken line\n';
const GROUP = 'root:x:0:\nweb:x:1000:\nstaff:x:50:web,other\nother:x:60:\n';

test('empty user is root', () => {
  assert.deepEqual(resolveUser(undefined, '', ''), { uid: 0, gid: 0, additionalGids: [] });
  assert.deepEqual(resolveUser('', PASSWD, GROUP), { uid: 0, gid: 0, additionalGids: [] });
});

test('a name resolves to its uid, primary gid and the groups listing it as a member', () => {
  assert.deepEqual(resolveUser('web', PASSWD, GROUP), { uid: 1000, gid: 1000, additionalGids: [50] });
});

test('numeric ids need no passwd entry; a known uid gets its primary gid', () => {
  assert.deepEqual(resolveUser('4242', '', ''), { uid: 4242, gid: 0, additionalGids: [] });
  assert.deepEqual(resolveUser('4242:77', '', ''), { uid: 4242, gid: 77, additionalGids: [] });
  assert.deepEqual(resolveUser('1000', PASSWD, GROUP), { uid: 1000, gid: 1000, additionalGids: [50] });
});

test('user:group with a group name or number sets the gid and no additional groups', () => {
  assert.deepEqual(resolveUser('web:other', PASSWD, GROUP), { uid: 1000, gid: 60, additionalGids: [] });
  assert.deepEqual(resolveUser('web:5', PASSWD, GROUP), { uid: 1000, gid: 5, additionalGids: [] });
});

test('an unknown user or group name is TRC_RUNTIME_USER_UNKNOWN', () => {
  assert.throws(() => resolveUser('nobody', PASSWD, GROUP), (e: unknown) => isTrcError(e) && e.code === 'TRC_RUNTIME_USER_UNKNOWN' && e.message.includes('nobody'));
  assert.throws(() => resolveUser('web:nogroup', PASSWD, GROUP), (e: unknown) => isTrcError(e) && e.code === 'TRC_RUNTIME_USER_UNKNOWN');
});

test('the rootfs files are read, but a symlinked /etc/passwd or /etc is treated as absent (it could leave the image)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'trc-user-'));
  try {
    const plain = path.join(dir, 'plain');
    await mkdir(path.join(plain, 'etc'), { recursive: true });
    await writeFile(path.join(plain, 'etc/passwd'), PASSWD);
    assert.deepEqual(await readImageUserFiles(plain), { passwd: PASSWD, group: '' });
    const linked = path.join(dir, 'linked');
    await mkdir(path.join(linked, 'etc'), { recursive: true });
    await symlink('/etc/passwd', path.join(linked, 'etc/passwd'));
    assert.deepEqual(await readImageUserFiles(linked), { passwd: '', group: '' });
    const linkedEtc = path.join(dir, 'linked-etc');
    await mkdir(linkedEtc);
    await symlink('/etc', path.join(linkedEtc, 'etc'));
    assert.deepEqual(await readImageUserFiles(linkedEtc), { passwd: '', group: '' });
    assert.deepEqual(await readImageUserFiles(path.join(dir, 'missing')), { passwd: '', group: '' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ImageUsers: no User is root without reading anything; a shared tree is read once, an instance root every time', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trc-users-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'etc'));
  const passwd = (uid: number): void => writeFileSync(path.join(dir, 'etc/passwd'), `app:x:${uid}:${uid}::/:/bin/sh\n`);
  passwd(1000);
  const users = new ImageUsers();
  assert.deepEqual(await users.resolve({ rootfs: '/nonexistent', image: {} }), { uid: 0, gid: 0, additionalGids: [] });
  assert.equal((await users.resolve({ rootfs: '/unused', userFiles: dir, image: { user: 'app' } })).uid, 1000);
  passwd(2000);
  assert.equal((await users.resolve({ rootfs: '/unused', userFiles: dir, image: { user: 'app' } })).uid, 1000, 'a shared tree never changes: read once');
  assert.equal((await users.resolve({ rootfs: dir, image: { user: 'app' } })).uid, 2000, 'an instance root is read every time');
});
