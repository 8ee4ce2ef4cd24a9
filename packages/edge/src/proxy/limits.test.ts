import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { HOLD_LIMIT_BYTES } from './forward.ts';
import { connectTo, echoServer, freeAddress, roundTrip, routeSpec, startServer, testEdge, waitFor } from '../testing/loopback.ts';

const CHUNK = Buffer.alloc(64 * 1024, 7);
const MAX_TOTAL = 512 * 1024 * 1024;

/** Writes until `MAX_TOTAL` or until the socket stays blocked; returns a live view of the bytes accepted. */
function flood(s: Socket): { accepted: number; blocked: boolean } {
  const state = { accepted: 0, blocked: false };
  const pump = (): void => {
    state.blocked = false;
    while (state.accepted < MAX_TOTAL && !s.destroyed) {
      state.accepted += CHUNK.length;
      if (!s.write(CHUNK)) {
        state.blocked = true;
        s.once('drain', pump);
        return;
      }
    }
  };
  s.on('error', () => undefined);
  pump();
  return state;
}

/** Waits until the writer has been blocked with no progress over several polls (bounded). */
async function waitStalled(state: { accepted: number; blocked: boolean }): Promise<void> {
  let last = -1;
  let still = 0;
  await waitFor('the writer to stall', () => {
    if (state.blocked && state.accepted === last) still += 1;
    else still = 0;
    last = state.accepted;
    return still >= 5;
  }, 15_000);
}

for (const direction of ['backend to client', 'client to backend'] as const) {
  test(`backpressure: a slow reader stalls the writer and the edge buffers a bounded amount (${direction})`, async () => {
    let writer: { accepted: number; blocked: boolean } | undefined;
    const backend = await startServer('127.0.0.1', (s) => {
      if (direction === 'backend to client') writer = flood(s);
      else s.pause();
    });
    await using t = testEdge();
    const listen = await freeAddress();
    await t.edge.applyRoutes({ routes: [routeSpec('bp', listen, [backend.address])] });
    const client = await connectTo(listen);
    client.pause();
    if (direction === 'client to backend') writer = flood(client);
    await waitFor('the connection to reach the backend', () => writer !== undefined);
    await waitStalled(writer!);
    assert.ok(writer!.accepted < MAX_TOTAL, `the writer stalled after ${writer!.accepted} bytes`);
    const buffered = t.edge.bufferedBytes();
    assert.ok(buffered <= 1024 * 1024, `the edge holds ${buffered} bytes in user space`);
    client.destroy();
    await backend.close();
  });
}

test('idle connections are closed after the idle timeout', async () => {
  const backend = await echoServer();
  await using t = testEdge();
  const listen = await freeAddress();
  await t.edge.applyRoutes({ routes: [routeSpec('idle', listen, [backend.address], { idleTimeoutMs: 200 })] });
  const client = await connectTo(listen);
  client.write('x');
  await once(client, 'data');
  // Nothing more is sent either way; the edge cuts the connection by itself.
  await once(client, 'close');
  await waitFor('the route to count no open connection', () => t.edge.status().routes[0]!.backends[0]!.active_connections === 0);
  await backend.close();
});

test('bytes in either direction alone keep a connection open past the idle timeout', async () => {
  let backendSide: Socket | undefined;
  const backend = await startServer('127.0.0.1', (s) => {
    backendSide = s;
    s.resume();
  });
  await using t = testEdge();
  const listen = await freeAddress();
  await t.edge.applyRoutes({ routes: [routeSpec('busy', listen, [backend.address], { idleTimeoutMs: 300 })] });
  const client = await connectTo(listen);
  let closed = false;
  client.once('close', () => (closed = true));
  client.resume();
  const tick = (write: () => void): Promise<void> =>
    new Promise((resolve) => {
      let n = 0;
      const timer = setInterval(() => {
        write();
        if (++n === 12) {
          clearInterval(timer);
          resolve();
        }
      }, 50);
    });
  // 12 x 50 ms is twice the idle timeout: client bytes only, then backend bytes only.
  await tick(() => client.write('c'));
  await waitFor('the backend side of the connection', () => backendSide !== undefined);
  assert.equal(closed, false, 'client-to-backend bytes count as activity');
  await tick(() => backendSide!.write('b'));
  assert.equal(closed, false, 'backend-to-client bytes count as activity');
  // Then silence: the edge cuts it.
  await once(client, 'close');
  await backend.close();
});

test('excess connections beyond max_connections are closed at once and counted', async () => {
  const backend = await echoServer();
  await using t = testEdge();
  const listen = await freeAddress();
  await t.edge.applyRoutes({ routes: [routeSpec('capped', listen, [backend.address], { maxConnections: 2 })] });
  const held = [await connectTo(listen), await connectTo(listen)];
  for (const h of held) {
    h.write('x');
    await once(h, 'data');
  }
  const third = await connectTo(listen);
  third.on('error', () => undefined);
  await once(third, 'close');
  assert.equal(t.edge.metrics.get('trc_edge_route_connections_rejected_total', { route: 'capped', reason: 'limit' }), 1);
  for (const h of held) h.destroy();
  await waitFor('the two connections to close', () => t.edge.status().routes[0]!.backends[0]!.active_connections === 0);
  assert.equal((await roundTrip(listen, 'room again')).toString(), 'room again');
  await backend.close();
});

function nft(args: string): void {
  execFileSync('nft', args.split(' '), { stdio: 'ignore' });
}

function canUseNft(): boolean {
  try {
    execFileSync('nft', ['list', 'tables'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

test('a backend that never answers the connect times out; the connection goes to another backend with the client bytes held meanwhile (bounded)', { skip: canUseNft() ? false : 'needs root and nft (scripts/system-deps.sh) to drop SYNs to one loopback port' }, async () => {
  // A loopback port whose SYNs are dropped by a rule of a table this test owns: the connect hangs.
  const blackhole = await startServer('127.0.0.1', () => undefined);
  const table = `trc_edge_test_${process.pid}`;
  nft(`add table inet ${table}`);
  try {
    nft(`add chain inet ${table} out { type filter hook output priority 0 ; }`);
    nft(`add rule inet ${table} out ip daddr 127.0.0.1 tcp dport ${blackhole.address.port} tcp flags syn drop`);
    const live = await echoServer();
    await using t = testEdge();
    const listen = await freeAddress();
    await t.edge.applyRoutes({ routes: [routeSpec('slow', listen, [blackhole.address, live.address], { connectTimeoutMs: 150 })] });
    // Clients send 1 MiB at once; while a connect hangs the edge holds a bounded part and pauses the client.
    const payload = Buffer.alloc(1024 * 1024, 3);
    let maxBuffered = 0;
    const sampler = setInterval(() => (maxBuffered = Math.max(maxBuffered, t.edge.bufferedBytes())), 5);
    try {
      for (let i = 0; i < 6; i++) assert.ok((await roundTrip(listen, payload)).equals(payload), `connection ${i} got its bytes back`);
    } finally {
      clearInterval(sampler);
    }
    assert.ok(maxBuffered <= HOLD_LIMIT_BYTES + 512 * 1024, `the edge held at most ${maxBuffered} bytes`);
    assert.ok(t.edge.metrics.get('trc_edge_backend_connect_failures_total', { route: 'slow', backend: blackhole.address.host + ':' + blackhole.address.port }) >= 1);
    await live.close();
  } finally {
    nft(`delete table inet ${table}`);
    await blackhole.close();
  }
});
