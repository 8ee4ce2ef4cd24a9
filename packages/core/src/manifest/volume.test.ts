// Volumes: size as a binary quantity, a safe mount path, a target process type, backups on by default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMountPath, normalisePath, parseVolume } from './volume.ts';

const at = 'volumes.data';

test('a volume reads size into bytes and backs up by default', () => {
  assert.deepEqual(parseVolume({ size: '10Gi', mount: '/var/lib/data', process: 'db' }, at, 'data'), {
    value: { name: 'data', sizeBytes: 10 * 2 ** 30, mount: '/var/lib/data', process: 'db', backupEnabled: true },
    problems: [],
  });
  assert.equal(parseVolume({ size: '1Gi', mount: '/data', process: 'db', backup_enabled: false }, at, 'data').value?.backupEnabled, false);
});

test('mount paths must be absolute, normalised, not "/" and not under or above /proc, /sys, /dev, /run/secrets', () => {
  for (const good of ['/data', '/var/lib/postgresql', '/run/app', '/srv/dev', '/devices', '/proc-data']) assert.equal(checkMountPath(good, 'm'), undefined, good);
  const table: [string, RegExp, string][] = [
    ['data', /not absolute/, 'did you mean "/data"?'],
    ['/data/', /not normalised/, 'did you mean "/data"?'],
    ['//data', /not normalised/, 'did you mean "/data"?'],
    ['/data/./x', /not normalised/, 'did you mean "/data/x"?'],
    ['/data/../proc', /not normalised/, 'did you mean "/proc"?'],
    ['/..', /not normalised/, 'mount the volume on a directory such as "/data"'],
    ['/', /cannot be mounted on "\/"/, 'mount it on a directory such as "/data"'],
    ['/proc', /is under \/proc/, 'mount it elsewhere, such as "/data"; /proc, /sys, /dev, /run/secrets are reserved'],
    ['/sys/fs', /is under \/sys/, 'mount it elsewhere, such as "/data"; /proc, /sys, /dev, /run/secrets are reserved'],
    ['/dev/shm', /is under \/dev/, 'mount it elsewhere, such as "/data"; /proc, /sys, /dev, /run/secrets are reserved'],
    ['/run/secrets/x', /is under \/run\/secrets/, 'mount it elsewhere, such as "/data"; /proc, /sys, /dev, /run/secrets are reserved'],
    ['/run', /would hide \/run\/secrets/, 'mount it elsewhere, such as "/data"; /proc, /sys, /dev, /run/secrets are reserved'],
    ['/da\nta', /control characters/, 'use a plain absolute path such as "/data"'],
  ];
  for (const [mount, message, hint] of table) {
    const p = checkMountPath(mount, `${at}.mount`);
    assert.equal(p?.code, 'TRC_VOLUME_INVALID_MOUNT_PATH', mount);
    assert.equal(p?.path, `${at}.mount`);
    assert.match(p?.message ?? '', message, mount);
    assert.equal(p?.hint, hint, mount);
  }
  assert.equal(normalisePath('/a//b/./c/../d/'), '/a/b/d');
});

test('volume size uses binary quantities in whole Mi from 16Mi to 16Ti', () => {
  const problems = (size: unknown) => parseVolume({ size, mount: '/data', process: 'db' }, at, 'data').problems.map((p) => [p.path, p.code, p.hint]);
  assert.deepEqual(problems('10GB'), [[`${at}.size`, 'TRC_MANIFEST_INVALID_QUANTITY', 'did you mean "10Gi"?']]);
  assert.deepEqual(problems('8Mi'), [[`${at}.size`, 'TRC_MANIFEST_INVALID_QUANTITY', 'use from "16Mi" to "16777216Mi"']]);
  assert.deepEqual(problems('17Ti').map((p) => p[1]), ['TRC_MANIFEST_INVALID_QUANTITY']);
  assert.deepEqual(problems(undefined).map((p) => p[1]), ['TRC_MANIFEST_MISSING_FIELD']);
});

test('a volume reports a bad name, unknown fields, missing mount and process and a non-boolean backup_enabled together', () => {
  const r = parseVolume({ size: '1Gi', backup: true, backup_enabled: 'yes' }, 'volumes.Data', 'Data');
  assert.deepEqual(r.problems.map((p) => [p.path, p.code]), [
    ['volumes.Data', 'TRC_MANIFEST_INVALID_NAME'],
    ['volumes.Data.backup', 'TRC_MANIFEST_UNKNOWN_FIELD'],
    ['volumes.Data.mount', 'TRC_MANIFEST_MISSING_FIELD'],
    ['volumes.Data.process', 'TRC_MANIFEST_MISSING_FIELD'],
    ['volumes.Data.backup_enabled', 'TRC_MANIFEST_WRONG_TYPE'],
  ]);
  assert.equal(r.problems[1]!.hint, 'did you mean "backup_enabled"?');
});
