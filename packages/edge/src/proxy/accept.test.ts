import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { acceptWithOnread } from './accept.ts';

test('on the pinned Node, accepted connections read into the buffer the edge supplies, not through the connection event', async () => {
  const server = createServer({ allowHalfOpen: true });
  let nodeAccepted = 0;
  server.on('connection', (s: Socket) => {
    nodeAccepted += 1;
    s.destroy();
  });
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const mine = Buffer.alloc(1024);
  const reads: { n: number; intoMine: boolean; text: string }[] = [];
  let accepted: Socket | undefined;
  const installed = acceptWithOnread(server, {
    buffer: () => mine,
    callback(n, buf) {
      reads.push({ n, intoMine: buf === mine, text: Buffer.from(buf.subarray(0, n)).toString() });
      return true;
    },
  }, (s) => {
    accepted = s;
    s.resume();
  });
  assert.equal(installed, true, 'Node internals changed: net.Server _handle.onconnection is gone (see accept.ts)');
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, allowHalfOpen: true });
  await once(client, 'connect');
  client.end('hello edge');
  const deadline = performance.now() + 5000;
  while (accepted === undefined || !accepted.readableEnded) {
    assert.ok(performance.now() < deadline, 'timed out waiting for the accepted socket to end');
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(nodeAccepted, 0);
  assert.equal(accepted.bytesRead, 10);
  assert.equal(accepted.remotePort, client.localPort, 'the socket wraps the accepted connection');
  assert.deepEqual(reads.map((r) => r.intoMine), reads.map(() => true));
  assert.equal(reads.map((r) => r.text).join(''), 'hello edge');
  accepted.end();
  await once(client, 'end');
  client.destroy();
  accepted.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

test('a server whose handle does not look as expected is left to Node: acceptWithOnread says no', () => {
  const server = createServer();
  assert.equal(acceptWithOnread(server, { buffer: () => Buffer.alloc(1), callback: () => true }, () => undefined), false, 'not listening: no handle');
});
