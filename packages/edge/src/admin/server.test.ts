import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAdminServer } from './server.ts';
import { freeAddress, startServer } from '../testing/loopback.ts';
import { formatSocketAddress } from '../config/address.ts';

test('the admin endpoint serves /status as JSON and /metrics as text, answers 404 elsewhere, and reports a taken address', async () => {
  const address = await freeAddress();
  const server = await startAdminServer(address, { status: () => ({ routes: [] }), metricsText: () => '# metrics\n' });
  try {
    const base = `http://${formatSocketAddress(address)}`;
    const status = await fetch(`${base}/status`);
    assert.equal(status.headers.get('content-type'), 'application/json');
    assert.deepEqual(await status.json(), { routes: [] });
    assert.equal(await (await fetch(`${base}/metrics`)).text(), '# metrics\n');
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/status`, { method: 'POST' })).status, 405);
  } finally {
    server.closeAllConnections();
    server.close();
  }
  const taken = await startServer('127.0.0.1', () => undefined);
  await assert.rejects(startAdminServer(taken.address, { status: () => ({}), metricsText: () => '' }), (e: Error & { code?: string }) => e.code === 'TRC_EDGE_LISTEN_FAILED' && /already in use/.test(e.message));
  await taken.close();
});
