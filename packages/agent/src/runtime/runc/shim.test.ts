// The shim's identity in shim.pid: the pid with its start time, so a pid the kernel gave to another process
// is never taken for the shim; a pid alone (an earlier agent's shim) is checked by its argv marker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { shimAlive, shimIdentity } from './shim.ts';

test('a shim is alive while its pid has the recorded start time; another start time or an ended process is not it', async () => {
  const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
  try {
    const identity = await shimIdentity('/proc', child.pid!);
    assert.match(identity, new RegExp(`^${child.pid} \\d+$`));
    assert.equal(await shimAlive('/proc', identity, 'ins_x'), true);
    const [pid, started] = identity.split(' ');
    assert.equal(await shimAlive('/proc', `${pid} ${Number(started) + 1}`, 'ins_x'), false, 'the same pid started at another time is a reused pid');
    assert.equal(await shimAlive('/proc', `${pid}`, 'ins_x'), false, 'a pid alone needs the trc-shim marker in its argv');
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  assert.equal(await shimAlive('/proc', await shimIdentity('/proc', child.pid!), 'ins_x'), false);
});

test('a pid alone is an earlier agent\'s shim when its argv holds trc-shim and the instance id', async () => {
  const child = spawn('/bin/sh', ['-c', 'sleep 30; exit 0', 'trc-shim', 'ins_y'], { stdio: 'ignore' });
  try {
    assert.equal(await shimAlive('/proc', String(child.pid), 'ins_y'), true);
    assert.equal(await shimAlive('/proc', String(child.pid), 'ins_z'), false);
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
});
