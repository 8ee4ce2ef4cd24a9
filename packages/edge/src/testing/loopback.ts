// Helpers for the edge's own tests: loopback servers (plain, echo, PROXY-aware), clients, and an Edge
// built from route specs. Every server listens on 127.0.0.1 or ::1 and is closed by its test.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { ProxyV2Decoder } from '@trc/core/proxy-v2/decoder';
import type { DecodedProxyV2Header } from '@trc/core/proxy-v2/header';
import { Edge } from '../edge.ts';
import { MemoryEventSink } from '../events/edge-events.ts';
import { seededRandom } from '../proxy/balancer.ts';
import type { RouteSpec } from '../config/route-table.ts';
import type { SocketAddress } from '../config/address.ts';

export type Host = '127.0.0.1' | '::1';

export interface TestServer {
  readonly server: Server;
  readonly address: SocketAddress;
  /** Every socket the server accepted and has not seen closed. */
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

/** Starts a server on a kernel-chosen loopback port; `close` also cuts its open connections. */
export async function startServer(host: Host, onConnection: (s: Socket) => void, port = 0): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    s.once('close', () => sockets.delete(s));
    onConnection(s);
  });
  server.listen({ host, port });
  await once(server, 'listening');
  const a = server.address() as AddressInfo;
  return {
    server,
    sockets,
    address: { host, port: a.port, family: host === '::1' ? 6 : 4 },
    close: async () => {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Echoes every byte back and half-closes when the client does. */
export function echoServer(host: Host = '127.0.0.1', port = 0): Promise<TestServer> {
  return startServer(host, (s) => s.pipe(s), port);
}

/** A backend that prefixes every echo with its name, so a test sees where a connection landed. */
export function namedEcho(name: string, host: Host = '127.0.0.1'): Promise<TestServer> {
  return startServer(host, (s) => {
    s.on('data', (c: Buffer) => s.write(`${name}:${c.toString()}`));
    s.on('end', () => s.end());
  });
}

/** One request and its answer (the next chunk) on a connection that stays open. */
export async function ask(s: Socket, text: string): Promise<string> {
  s.write(text);
  const [chunk] = (await once(s, 'data')) as [Buffer];
  return chunk.toString();
}

/**
 * A server that requires a PROXY v2 header first (decoded by @trc/core) and hands the header and the
 * socket, with the bytes after the header unshifted back, to `then`. Bad headers close the connection.
 */
export function proxyAwareServer(host: Host, then: (s: Socket, header: DecodedProxyV2Header) => void): Promise<TestServer> {
  return startServer(host, (s) => {
    const decoder = new ProxyV2Decoder();
    const onData = (chunk: Buffer): void => {
      const r = decoder.push(chunk);
      if (r.status === 'need-more') return;
      s.off('data', onData);
      if (r.status === 'error') {
        s.destroy();
        return;
      }
      s.pause();
      if (r.rest.length > 0) s.unshift(Buffer.from(r.rest));
      then(s, r.header);
    };
    s.on('data', onData);
  });
}

export async function connectTo(a: SocketAddress, options: { allowHalfOpen?: boolean; localAddress?: string } = {}): Promise<Socket> {
  const s = connect({ host: a.host, port: a.port, allowHalfOpen: options.allowHalfOpen ?? false, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
  await once(s, 'connect');
  return s;
}

/** Reads until the peer ends the stream; rejects on error. */
export function readAll(s: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.resume();
  return new Promise((resolve, reject) => {
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('error', reject);
  });
}

/** One request-response over the edge: writes `payload`, half-closes, returns all it gets back. */
export async function roundTrip(a: SocketAddress, payload: string | Buffer): Promise<Buffer> {
  const s = await connectTo(a, { allowHalfOpen: true });
  const got = readAll(s);
  s.end(payload);
  try {
    return await got;
  } finally {
    s.destroy();
  }
}

/** A route spec for tests: loopback, proxy off, short timeouts, small grace. */
export function routeSpec(name: string, listen: SocketAddress, backends: readonly SocketAddress[], extra: Partial<RouteSpec> = {}): RouteSpec {
  return { name, listen, backends, proxyProtocol: 'off', connectTimeoutMs: 1000, idleTimeoutMs: 10_000, maxConnections: 1000, drainGraceMs: 2000, ...extra };
}

/** A free loopback listen address for a route (the kernel picks the port, released at once). */
export async function freeAddress(host: Host = '127.0.0.1'): Promise<SocketAddress> {
  const s = await startServer(host, () => undefined);
  await s.close();
  return s.address;
}

export interface TestEdge {
  readonly edge: Edge;
  readonly events: MemoryEventSink;
  [Symbol.asyncDispose](): Promise<void>;
}

export function testEdge(seed = 1, readBuffers: 'edge' | 'node' = 'edge'): TestEdge {
  const events = new MemoryEventSink();
  const edge = new Edge({ events, random: seededRandom(seed), now: () => new Date(0), readBuffers });
  return { edge, events, [Symbol.asyncDispose]: () => edge.stop() };
}

/** Polls `cond` every 10ms, at most `timeoutMs`; throws with `what` if it never holds. */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An HTTP server (node:http) answering `status` to every request; optionally behind a PROXY v2 header. */
export async function httpServer(host: Host, status: number | (() => number), options: { proxyV2?: boolean } = {}): Promise<TestServer> {
  const { createServer: createHttpServer } = await import('node:http');
  const http = createHttpServer((req, res) => {
    req.resume();
    res.writeHead(typeof status === 'number' ? status : status(), { 'content-type': 'text/plain', connection: 'close' }).end('answer\n');
  });
  if (options.proxyV2 === true) {
    return proxyAwareServer(host, (s) => {
      http.emit('connection', s);
      s.resume();
    });
  }
  return startServer(host, (s) => {
    http.emit('connection', s);
  });
}
