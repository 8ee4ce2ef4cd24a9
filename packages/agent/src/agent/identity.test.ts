// The node identity file: 0600, round-trips, refuses a corrupt file with a stable code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IDENTITY_FILE, loadIdentity, saveIdentity } from './identity.ts';

test('the node identity is stored 0600 in the state directory and read back; a corrupt file is TRC_AGENT_STATE_INVALID', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trc-identity-'));
  try {
    assert.equal(await loadIdentity(dir), undefined);
    await saveIdentity(dir, { name: 'n1', token: 'trc_node_x', control: 'http://127.0.0.1:1' });
    assert.equal(statSync(path.join(dir, IDENTITY_FILE)).mode & 0o777, 0o600);
    assert.deepEqual(await loadIdentity(dir), { name: 'n1', token: 'trc_node_x', control: 'http://127.0.0.1:1' });
    writeFileSync(path.join(dir, IDENTITY_FILE), '{"name": 1}');
    await assert.rejects(loadIdentity(dir), { code: 'TRC_AGENT_STATE_INVALID' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
