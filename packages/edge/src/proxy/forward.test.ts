import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { once } from 'node:events';
import type { DecodedProxyV2Header } from '@trc/core/proxy-v2/header';
import { connectTo, echoServer, freeAddress, proxyAwareServer, readAll, roundTrip, routeSpec, startServer, testEdge, waitFor, type Host } from '../testing/loopback.ts';

for (const host of ['127.0.0.1', '::1'] as const satisfies readonly Host[]) {
  test(`with proxy_protocol "off" the byte stream is forwarded untouched (${host})`, async () => {
    const backend = await echoServer(host);
    await using t = testEdge();
    const listen = await freeAddress(host);
    await t.edge.applyRoutes({ routes: [routeSpec('plain', listen, [backend.address])] });
    const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    assert.deepEqual(await roundTrip(listen, payload), payload);
    await backend.close();
  });

  test(`with proxy_protocol "v2" the backend first receives one PROXY header with the client's real address, in a single write before any payload (${host})`, async () => {
    const seen: { header: DecodedProxyV2Header; payload: Buffer }[] = [];
    const backend = await proxyAwareServer(host, (s, header) => {
      void readAll(s).then((payload) => {
        seen.push({ header, payload });
        s.end('ok');
      });
    });
    await using t = testEdge();
    const listen = await freeAddress(host);
    await t.edge.applyRoutes({ routes: [routeSpec('pp', listen, [backend.address], { proxyProtocol: 'v2' })] });
    // Record every write to sockets connected to the backend port: the header must be one write of its own.
    const writes: Buffer[] = [];
    const original = Socket.prototype.write;
    Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
      if (this.remotePort === backend.address.port) writes.push(Buffer.from(chunk as Uint8Array));
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof original;
    let client: Socket;
    let clientPort: number | undefined;
    try {
      client = await connectTo(listen, { allowHalfOpen: true });
      clientPort = client.localPort;
      const answer = readAll(client);
      client.end('hello');
      assert.equal((await answer).toString(), 'ok');
    } finally {
      Socket.prototype.write = original;
    }
    assert.equal(seen.length, 1);
    const { header, payload } = seen[0]!;
    assert.equal(payload.toString(), 'hello');
    assert.equal(header.command, 'PROXY');
    assert.equal(header.transport, 'tcp');
    if (header.transport !== 'tcp') return;
    assert.equal(header.family, host === '::1' ? 'ipv6' : 'ipv4');
    assert.deepEqual(header.source, { address: host, port: clientPort });
    assert.deepEqual(header.destination, { address: host, port: listen.port });
    assert.equal(writes[0]!.length, host === '::1' ? 52 : 28, 'the first write is exactly the header');
    assert.equal(Buffer.concat(writes.slice(1)).toString(), 'hello');
    await backend.close();
  });
}

test('an IPv4 client of a dual-stack [::] listener is announced as TCP4, not as an IPv4-mapped IPv6 address', async () => {
  let header: DecodedProxyV2Header | undefined;
  const backend = await proxyAwareServer('127.0.0.1', (s, h) => {
    header = h;
    s.end();
  });
  await using t = testEdge();
  const port = (await freeAddress('::1')).port;
  const r = await t.edge.applyRoutes({ routes: [routeSpec('dual', { host: '::', port, family: 6 }, [backend.address], { proxyProtocol: 'v2' })] });
  assert.deepEqual(r.errors, []);
  const client = await connectTo({ host: '127.0.0.1', port, family: 4 }, { allowHalfOpen: true });
  const clientPort = client.localPort;
  const done = readAll(client);
  client.end();
  await done;
  assert.ok(header !== undefined && header.transport === 'tcp');
  assert.equal(header.family, 'ipv4');
  assert.deepEqual(header.source, { address: '127.0.0.1', port: clientPort });
  assert.deepEqual(header.destination, { address: '127.0.0.1', port });
  await backend.close();
});

test('a failed connect is retried on another backend before any client byte is sent, and the early bytes arrive intact', async () => {
  const live = await echoServer();
  const dead = await freeAddress();
  await using t = testEdge();
  const listen = await freeAddress();
  // Two backends and power of two choices: with both idle the first sampled one wins; try seeds until the dead one is first.
  await t.edge.applyRoutes({ routes: [routeSpec('retry', listen, [dead, live.address])] });
  const payloads = Array.from({ length: 8 }, (_, i) => `early-bytes-${i}`);
  for (const p of payloads) assert.equal((await roundTrip(listen, p)).toString(), p);
  const failures = t.edge.metrics.get('trc_edge_backend_connect_failures_total', { route: 'retry', backend: `127.0.0.1:${dead.port}` });
  assert.ok(failures >= 1, `the dead backend was tried (${failures} failures) and every connection still succeeded`);
  assert.equal(t.edge.metrics.get('trc_edge_route_connections_rejected_total', { route: 'retry', reason: 'no_backend' }), 0);
  await live.close();
});

test('half-close is propagated both ways: the backend answers after the client closed its side, and vice versa', async () => {
  const backend = await startServer('127.0.0.1', (s) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => {
      // The client's side is closed; ours stays open for the answer.
      s.write('you said: ');
      setTimeout(() => s.end(Buffer.concat(chunks)), 20);
    });
  });
  // This one half-closes first; the client can still send, and the backend receives it.
  const received: Buffer[] = [];
  const server2 = await startServer('127.0.0.1', (s) => {
    s.on('data', (c: Buffer) => received.push(c));
    s.end('bye');
  });
  await using t = testEdge();
  const a = await freeAddress();
  const b = await freeAddress();
  await t.edge.applyRoutes({ routes: [routeSpec('a', a, [backend.address]), routeSpec('b', b, [server2.address])] });
  assert.equal((await roundTrip(a, 'ping')).toString(), 'you said: ping');

  const client = await connectTo(b, { allowHalfOpen: true });
  const got = readAll(client);
  assert.equal((await got).toString(), 'bye');
  client.end('still here');
  await once(client, 'close');
  await waitFor('the late client bytes at the backend', () => Buffer.concat(received).toString() === 'still here');
  await backend.close();
  await server2.close();
});

test('byte counters include open connections when read, and the rest once they close', async () => {
  const backend = await echoServer();
  await using t = testEdge();
  const listen = await freeAddress();
  await t.edge.applyRoutes({ routes: [routeSpec('bytes', listen, [backend.address])] });
  const labels = { route: 'bytes', backend: `127.0.0.1:${backend.address.port}` };
  const client = await connectTo(listen);
  client.write('hello');
  await once(client, 'data');
  assert.equal(t.edge.metrics.get('trc_edge_backend_bytes_in_total', labels), 5);
  assert.equal(t.edge.metrics.get('trc_edge_backend_bytes_out_total', labels), 5);
  client.end('abc');
  await once(client, 'close');
  await waitFor('the connection to close at the edge', () => t.edge.status().routes[0]!.backends[0]!.active_connections === 0);
  assert.equal(t.edge.metrics.get('trc_edge_backend_bytes_in_total', labels), 8);
  assert.equal(t.edge.metrics.get('trc_edge_backend_bytes_out_total', labels), 8);
  await backend.close();
});

test('an established connection holds no timer of its own (idle timeouts are one sweep per route)', async () => {
  const backend = await echoServer();
  await using t = testEdge();
  const listen = await freeAddress();
  await t.edge.applyRoutes({ routes: [routeSpec('timers', listen, [backend.address])] });
  const open = async (): Promise<Socket> => {
    const c = await connectTo(listen);
    c.write('x');
    await once(c, 'data');
    return c;
  };
  // The first connection starts the route's sweep; the next ones must add no live timer. Socket timeouts
  // are unref'd timers that process.getActiveResourcesInfo() does not list, so both kinds are watched here.
  const clients = [await open()];
  const live = new Set<unknown>();
  let socketTimeouts = 0;
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
  const realSocketTimeout = Socket.prototype.setTimeout;
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = realSet((...a: unknown[]) => {
      live.delete(timer);
      fn(...a);
    }, ms, ...args);
    live.add(timer);
    return timer;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((timer?: NodeJS.Timeout) => {
    live.delete(timer);
    realClear(timer);
  }) as typeof clearTimeout;
  Socket.prototype.setTimeout = function (this: Socket, ms: number, ...rest: unknown[]) {
    if (ms > 0) socketTimeouts++;
    return (realSocketTimeout as (...a: unknown[]) => Socket).call(this, ms, ...rest);
  } as typeof realSocketTimeout;
  try {
    for (let i = 0; i < 20; i++) clients.push(await open());
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
    Socket.prototype.setTimeout = realSocketTimeout;
  }
  assert.equal(live.size, 0, 'timers left running by 20 established connections');
  assert.equal(socketTimeouts, 0, 'socket timeouts set by 20 established connections');
  for (const c of clients) c.destroy();
  await backend.close();
});
