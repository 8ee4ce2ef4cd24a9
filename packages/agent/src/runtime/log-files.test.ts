// Log rotation by size and tails across the rotated copy, on plain files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rotateIfNeeded, tailLog } from './log-files.ts';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'trc-logs-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a log under the limit is left alone; over it, its newest maxBytes move to .1 and it starts empty', () => withDir(async (dir) => {
  const log = path.join(dir, 'stdout.log');
  assert.equal(await rotateIfNeeded(log, { maxBytes: 10, keep: 2 }), false, 'a missing log is fine');
  await writeFile(log, '0123456789');
  assert.equal(await rotateIfNeeded(log, { maxBytes: 10, keep: 2 }), false);
  await appendFile(log, 'abcdefghij');
  assert.equal(await rotateIfNeeded(log, { maxBytes: 10, keep: 2 }), true);
  assert.equal(await readFile(`${log}.1`, 'utf8'), 'abcdefghij');
  assert.equal((await stat(log)).size, 0);
}));

test('only keep rotated copies are kept, oldest dropped; keep 0 just truncates', () => withDir(async (dir) => {
  const log = path.join(dir, 'stdout.log');
  for (const chunk of ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc']) {
    await appendFile(log, chunk);
    await rotateIfNeeded(log, { maxBytes: 10, keep: 2 });
  }
  assert.equal(await readFile(`${log}.1`, 'utf8'), 'cccccccccc');
  assert.equal(await readFile(`${log}.2`, 'utf8'), 'bbbbbbbbbb');
  assert.ok(!existsSync(`${log}.3`));
  const other = path.join(dir, 'other.log');
  await writeFile(other, 'x'.repeat(20));
  await rotateIfNeeded(other, { maxBytes: 10, keep: 0 });
  assert.equal((await stat(other)).size, 0);
  assert.ok(!existsSync(`${other}.1`));
}));

test('a tail reaches back into the newest rotated copy when the live file is short', () => withDir(async (dir) => {
  const log = path.join(dir, 'stdout.log');
  assert.equal(await tailLog(log, 100), '', 'no log yet is an empty tail');
  await writeFile(`${log}.1`, 'line 1\nline 2\n');
  await writeFile(log, 'line 3\n');
  assert.equal(await tailLog(log, 100), 'line 1\nline 2\nline 3\n');
  assert.equal(await tailLog(log, 10), ' 2\nline 3\n');
  assert.equal(await tailLog(log, 4), 'e 3\n');
}));
