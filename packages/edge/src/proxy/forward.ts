// Forwards one client connection: picks a backend, retries a failed connect elsewhere while holding the
// client's early bytes, writes the PROXY header, then pipes both ways with half-close and backpressure.
import { connect, type Socket } from 'node:net';
import type { Backend, ForwardedConnection } from './backend.ts';

/** Bytes of early client data held while connecting; beyond it the client is paused (kernel buffers hold the rest). */
export const HOLD_LIMIT_BYTES = 64 * 1024;
/** Connect attempts per client connection, each on a different backend. */
export const MAX_CONNECT_ATTEMPTS = 3;

/** What forwarding needs from its route. */
export interface ForwardContext {
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** A backend to try, excluding those already tried; undefined when none is left. */
  pick(tried: ReadonlySet<Backend>): Backend | undefined;
  /** The PROXY header for this client, or undefined when the route sends none. */
  proxyHeader(client: Socket): Uint8Array | undefined;
  onConnectFailed(backend: Backend): void;
  onConnected(backend: Backend): void;
  onBytes(backend: Backend, direction: 'in' | 'out', bytes: number): void;
  /** No backend could be reached: the client is closed without a byte sent. */
  onNoBackend(): void;
  /** The client connection is over; `backend` is where it was forwarded, if anywhere. */
  onClosed(backend: Backend | undefined): void;
}

/** A client connection still looking for a backend. */
export interface PendingForward {
  /** Early client bytes held in user space until a backend connects (0 once forwarding started). */
  heldBytes(): number;
}

/** Takes over a freshly accepted client socket (created with allowHalfOpen). */
export function forward(client: Socket, ctx: ForwardContext): PendingForward {
  const held: Buffer[] = [];
  let heldBytes = 0;
  let clientEnded = false;
  let settled = false;
  let attempt: { abort(): void } | undefined;
  const tried = new Set<Backend>();

  const onData = (chunk: Buffer): void => {
    held.push(chunk);
    heldBytes += chunk.length;
    if (heldBytes >= HOLD_LIMIT_BYTES) client.pause();
  };
  const onEnd = (): void => {
    clientEnded = true;
  };
  const onEarlyClose = (): void => {
    attempt?.abort();
    if (!settled) {
      settled = true;
      ctx.onClosed(undefined);
    }
  };
  client.on('data', onData);
  client.on('end', onEnd);
  client.on('error', () => client.destroy());
  client.on('close', onEarlyClose);

  const next = (): void => {
    const backend = tried.size < MAX_CONNECT_ATTEMPTS ? ctx.pick(tried) : undefined;
    if (backend === undefined) {
      ctx.onNoBackend();
      client.destroy();
      return;
    }
    tried.add(backend);
    backend.beginConnect();
    const sock = connect({ host: backend.address.host, port: backend.address.port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => sock.destroy(new Error('connect timeout')), ctx.connectTimeoutMs);
    const release = (): void => {
      clearTimeout(timer);
      attempt = undefined;
      sock.removeAllListeners('error');
      sock.removeAllListeners('connect');
    };
    attempt = {
      abort: () => {
        release();
        sock.on('error', () => undefined);
        sock.destroy();
        backend.endConnect(undefined);
      },
    };
    sock.once('error', () => {
      release();
      backend.endConnect(undefined);
      ctx.onConnectFailed(backend);
      next();
    });
    sock.once('connect', () => {
      release();
      settled = true;
      client.off('close', onEarlyClose);
      client.off('data', onData);
      client.off('end', onEnd);
      client.pause();
      splice(client, sock, backend, held, clientEnded, ctx);
    });
  };
  next();
  return { heldBytes: () => (settled ? 0 : heldBytes + client.readableLength) };
}

function splice(client: Socket, sock: Socket, backend: Backend, held: readonly Buffer[], clientEnded: boolean, ctx: ForwardContext): void {
  let open = 2;
  const conn: ForwardedConnection = {
    destroy: () => {
      client.destroy();
      sock.destroy();
    },
    bufferedBytes: () => client.writableLength + sock.writableLength + client.readableLength + sock.readableLength,
  };
  backend.endConnect(conn);
  ctx.onConnected(backend);

  const header = ctx.proxyHeader(client);
  // The header goes out in one write of its own, before any client byte, as PROXY v2 receivers expect.
  if (header !== undefined) sock.write(header);
  for (const chunk of held) {
    sock.write(chunk);
    ctx.onBytes(backend, 'in', chunk.length);
  }
  if (clientEnded) sock.end();
  else client.pipe(sock);
  sock.pipe(client);
  client.on('data', (c: Buffer) => ctx.onBytes(backend, 'in', c.length));
  sock.on('data', (c: Buffer) => ctx.onBytes(backend, 'out', c.length));

  // An error on either side ends the pair; so does a side closing before the other side's data was all through.
  sock.on('error', () => conn.destroy());
  client.on('error', () => conn.destroy());
  client.setTimeout(ctx.idleTimeoutMs, () => conn.destroy());
  const closed = (peer: Socket): void => {
    if (!peer.readableEnded) peer.destroy();
    open -= 1;
    if (open === 0) {
      backend.detach(conn);
      ctx.onClosed(backend);
    }
  };
  client.once('close', () => closed(sock));
  sock.once('close', () => closed(client));
}
