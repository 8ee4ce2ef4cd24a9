import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { waitForFiles } from './wait-files.ts';

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

test('waitForFiles answers once the file appears, and undefined when the time is up or it is cancelled', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trc-wait-'));
  try {
    const wait = waitForFiles(dir, ['pid'], async () => read(path.join(dir, 'pid')), 10_000);
    writeFileSync(path.join(dir, 'other'), 'x');
    writeFileSync(path.join(dir, 'pid'), '42');
    assert.equal(await wait.done, '42');
    assert.equal(await waitForFiles(dir, ['none'], async () => read(path.join(dir, 'none')), 30).done, undefined);
    const cancelled = waitForFiles(dir, ['none'], async () => read(path.join(dir, 'none')), 10_000);
    cancelled.cancel();
    assert.equal(await cancelled.done, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('waitForFiles rejects with the error its check throws', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trc-wait-'));
  try {
    await assert.rejects(waitForFiles(dir, ['x'], async () => {
      throw new Error('broken check');
    }, 10_000).done, /broken check/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
