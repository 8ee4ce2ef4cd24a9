// The platform master key file: 32 random bytes, base64 on one line, mode 0600, created at first start.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TrcError } from '@trc/core';
import type { Random } from '../commands/tokens.ts';

export function loadOrCreateMasterKey(path: string, random: Random): { key: Uint8Array; created: boolean } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw invalid(path, 'cannot be read', error);
    const key = random(32);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // 'wx': never overwrite a key another process created meanwhile; losing the key loses every secret.
    writeFileSync(path, `${Buffer.from(key).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return { key, created: true };
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64') !== text.trim()) throw invalid(path, 'is not 32 bytes of base64');
  return { key, created: false };
}

function invalid(path: string, why: string, cause?: unknown): TrcError {
  return new TrcError('TRC_MASTER_KEY_INVALID', `the master key file ${path} ${why}`, { hint: 'restore the key file, or point --master-key at it', cause });
}
