// HttpControlPlane's state reports against a loopback stand-in of the control plane: the instance's address
// goes with them, since the edge table lists a healthy instance as a backend only by that address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpControlPlane } from './control-client.ts';

async function capture(run: (base: string) => Promise<void>): Promise<{ url: string; body: unknown }[]> {
  const seen: { url: string; body: unknown }[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', body: JSON.parse(text) as unknown });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  return seen;
}

test('a state report carries the instance address (IP:port) when the agent knows it, and none otherwise', async () => {
  const seen = await capture(async (base) => {
    const control = new HttpControlPlane({ base, node: 'n1', token: 'trc_node_x' });
    control.setAddressOf((id) => (id === 'ins_a' ? '10.88.0.2:8080' : undefined));
    await control.reportState('ins_a', 'healthy', 'http GET /: 200');
    await control.reportState('ins_b', 'starting');
  });
  assert.deepEqual(seen, [
    { url: '/v1/nodes/n1/instances/ins_a/state', body: { state: 'healthy', detail: 'http GET /: 200', address: '10.88.0.2:8080' } },
    { url: '/v1/nodes/n1/instances/ins_b/state', body: { state: 'starting' } },
  ]);
});
