// AES-256-GCM sealing of secret bundles and the master key file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../test-support/control.ts';
import { AesGcmSealer } from './sealer.ts';
import { loadOrCreateMasterKey } from './master-key.ts';

const random = seededRandom('sealer');

test('a sealed bundle opens only with the same master key and the same (app, env, version)', () => {
  const key = random(32);
  const sealer = new AesGcmSealer(key, random);
  const sealed = sealer.seal({ A: 'one', B: 'two\nlines' }, 'shop\0prod\x001');
  assert.ok(!JSON.stringify(sealed).includes('one'));
  assert.deepEqual(sealer.open(sealed, 'shop\0prod\x001'), { A: 'one', B: 'two\nlines' });
  assert.throws(() => sealer.open(sealed, 'shop\0staging\x001'), { code: 'TRC_MASTER_KEY_INVALID' });
  assert.throws(() => new AesGcmSealer(random(32), random).open(sealed, 'shop\0prod\x001'), { code: 'TRC_MASTER_KEY_INVALID' });
  const tampered = { ...sealed, ciphertext: Buffer.from(Buffer.from(sealed.ciphertext, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64') };
  assert.throws(() => sealer.open(tampered, 'shop\0prod\x001'), { code: 'TRC_MASTER_KEY_INVALID' });
  assert.throws(() => new AesGcmSealer(new Uint8Array(16), random), { code: 'TRC_MASTER_KEY_INVALID' });
});

test('the master key file is created once with mode 0600 and read back; a damaged file is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trc-key-'));
  try {
    const path = join(dir, 'keys', 'master.key');
    const first = loadOrCreateMasterKey(path, random);
    assert.equal(first.created, true);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const again = loadOrCreateMasterKey(path, random);
    assert.equal(again.created, false);
    assert.deepEqual(Buffer.from(again.key), Buffer.from(first.key));
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, 10));
    assert.throws(() => loadOrCreateMasterKey(path, random), { code: 'TRC_MASTER_KEY_INVALID' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
