// Test helpers for refusals: the TrcError a promise rejects with, and a temp dir removed when its test ends.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTrcError, type TrcError } from '@trc/core';

/** A `refused(promise)` that returns the TrcError it rejects with, failing with `unrefusedMessage` if it resolves. */
export function refusal(unrefusedMessage: string): (promise: Promise<unknown>) => Promise<TrcError> {
  return async (promise) => {
    try {
      await promise;
    } catch (e) {
      assert.ok(isTrcError(e), `expected a TrcError, got ${String(e)}`);
      return e;
    }
    assert.fail(unrefusedMessage);
  };
}

/** A fresh temp dir, removed after the test `t` ends. */
export function testDir(t: { after: (fn: () => void) => void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
