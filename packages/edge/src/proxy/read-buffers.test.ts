import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randomFillSync } from 'node:crypto';
import type { Socket } from 'node:net';
import { readBufferStats } from './read-buffers.ts';
import { connectTo, freeAddress, routeSpec, startServer, testEdge, waitFor } from '../testing/loopback.ts';

/** Random bytes (native: the edge, backend and clients share this event loop, which must not stall). */
function payload(size: number): Buffer {
  return randomFillSync(Buffer.allocUnsafe(size));
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return i;
  return n;
}

/** How long a slow reader stops, and after how many bytes: long enough for the kernel's buffers to fill. */
const STALL_MS = 25;
const STALL_EVERY_BYTES = 2 * 1024 * 1024;

/** Calls `stall` (pausing `s` for STALL_MS) each time another STALL_EVERY_BYTES were read. */
function stallEvery(s: Socket): (n: number) => void {
  let since = 0;
  return (n) => {
    since += n;
    if (since < STALL_EVERY_BYTES) return;
    since = 0;
    s.pause();
    setTimeout(() => s.resume(), STALL_MS);
  };
}

/** Reads everything; a slow reader stalls now and then, so the kernel's buffers fill and writers back up. */
function collect(s: Socket, slow: boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stall = stallEvery(s);
  s.on('data', (c: Buffer) => {
    chunks.push(c);
    if (slow) stall(c.length);
  });
  return new Promise((resolve, reject) => {
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('error', reject);
  });
}

async function send(s: Socket, data: Buffer, chunk: number): Promise<void> {
  for (let at = 0; at < data.length; at += chunk) {
    if (!s.write(data.subarray(at, at + chunk))) await new Promise((r) => s.once('drain', r));
  }
  s.end();
}

const connection = fc.record({
  size: fc.integer({ min: 1, max: 12 * 1024 * 1024 }),
  chunk: fc.integer({ min: 1, max: 256 * 1024 }),
  slowBackend: fc.boolean(),
  slowClient: fc.boolean(),
});

for (const readBuffers of ['edge', 'node'] as const) {
  test(`bytes arrive intact and in order both ways, under backpressure, with concurrent bulk connections sharing the read buffers (${readBuffers} read buffers)`, async () => {
    // The backend echoes through a reader that is slow for connections that ask for it (first byte odd).
    const backend = await startServer('127.0.0.1', (s) => {
      let slow: boolean | undefined;
      const stall = stallEvery(s);
      s.on('data', (c: Buffer) => {
        slow ??= (c[0]! & 1) === 1;
        if (!s.write(c)) s.pause();
        if (slow) stall(c.length);
      });
      s.on('drain', () => s.resume());
      s.on('end', () => s.end());
    });
    await using t = testEdge(1, readBuffers);
    const listen = await freeAddress();
    // A generous connect timeout: this process is also the backend and the clients, and may be busy.
    await t.edge.applyRoutes({ routes: [routeSpec('bulk', listen, [backend.address], { connectTimeoutMs: 30_000 })] });
    const lentBefore = readBufferStats().lentEver;
    await using _backend = { [Symbol.asyncDispose]: () => backend.close() };
    await fc.assert(
      fc.asyncProperty(fc.array(connection, { minLength: 1, maxLength: 4 }), async (conns) => {
        await Promise.all(conns.map(async (c) => {
          const data = payload(c.size);
          data[0] = (data[0]! & 0xfe) | (c.slowBackend ? 1 : 0);
          const s = await connectTo(listen, { allowHalfOpen: true });
          const echoed = collect(s, c.slowClient);
          await send(s, data, c.chunk);
          const got = await echoed;
          s.destroy();
          assert.equal(got.length, data.length, 'length of the echo');
          assert.ok(got.equals(data), `the echo differs from what was sent at byte ${firstDifference(got, data)}`);
        }));
        const open = (): number => t.edge.status().routes.reduce((n, r) => n + r.backends.reduce((m, b) => m + b.active_connections, 0), 0);
        await waitFor('every connection to close', () => open() === 0, 10_000);
        assert.equal(readBufferStats().lent, 0, 'every private read buffer went back');
      }),
      { numRuns: 8, interruptAfterTimeLimit: 60_000 },
    );
    // Backend sockets always read into the edge's buffers; with 'node', clients read into Node's own.
    assert.ok(readBufferStats().lentEver > lentBefore, 'bulk reads were lent private buffers');
  });
}
