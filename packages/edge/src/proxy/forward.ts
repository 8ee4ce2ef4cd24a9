// Forwards one client connection: picks a backend, retries a failed connect elsewhere while holding the
// client's early bytes, writes the PROXY header, then forwards both ways with half-close and backpressure.
//
// Memory per idle connection is the edge's scarcest resource (PERFORMANCE.md), so a connection is one
// Forwarding object and two sockets: no closures, no pipe() state, no per-socket timer. Event handlers are
// module-level functions that find their Forwarding through a symbol on the socket; idle timeouts and byte
// counters are read from the sockets' byte counts by the route's periodic sweep instead of per chunk.
// Sockets read into the edge's buffers (`read-buffers.ts`), not into a fresh allocation per read.
import { connect, type Socket, type TcpNetConnectOpts } from 'node:net';
import type { Backend, ForwardedConnection } from './backend.ts';
import { BULK_READ_BYTES, SMALL_READ_BYTES, isShared, lendBuffer, nextReadBuffer, readInto, returnBuffer } from './read-buffers.ts';

/** Bytes of early client data held while connecting; beyond it the client is paused (kernel buffers hold the rest). */
export const HOLD_LIMIT_BYTES = 64 * 1024;
/** Connect attempts per client connection, each on a different backend. */
export const MAX_CONNECT_ATTEMPTS = 3;

/** The per-connection options, fixed when the connection is accepted (a route update applies to new ones). */
export interface ForwardOptions {
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly proxyProtocol: 'off' | 'v2';
}

/** What forwarding needs from its route; one object per route, shared by its connections. */
export interface ForwardContext {
  /** A backend to try, excluding those already tried; undefined when none is left. */
  pick(tried: readonly Backend[]): Backend | undefined;
  /** The PROXY header for this client (its options ask for one). */
  proxyHeader(client: Socket): Uint8Array;
  onConnectFailed(backend: Backend): void;
  onConnected(conn: Forwarding): void;
  /** No backend could be reached: the client is closed without a byte sent. */
  onNoBackend(): void;
  /** The client connection is over; `conn.backend` is where it was forwarded, if anywhere. */
  onClosed(conn: Forwarding): void;
}

/** The `onread` option of sockets that read into the edge's buffers; `callback` finds the Forwarding. */
export const CLIENT_ONREAD = { buffer: nextReadBuffer, callback: onClientRead };
const BACKEND_ONREAD = { buffer: nextReadBuffer, callback: onSockRead };

/** A backend's connect options with BACKEND_ONREAD, built once per backend rather than per connection. */
const withOnread = new WeakMap<Backend, TcpNetConnectOpts>();
function backendConnectOptions(backend: Backend): TcpNetConnectOpts {
  let options = withOnread.get(backend);
  if (options === undefined) {
    options = { ...backend.connectOptions, onread: BACKEND_ONREAD };
    withOnread.set(backend, options);
  }
  return options;
}

/** The two directions, as indexes into the per-direction fields. */
const UP = 0;
const DOWN = 1;
type Direction = typeof UP | typeof DOWN;

const FORWARDING = Symbol('forwarding');
type Tagged = Socket & { [FORWARDING]: Forwarding };
const owner = (s: Socket): Forwarding => (s as Tagged)[FORWARDING];

/** One client connection, from accept to close. */
export class Forwarding implements ForwardedConnection {
  readonly client: Socket;
  readonly options: ForwardOptions;
  readonly #ctx: ForwardContext;
  /** The backend socket: the attempt in flight, then the connected one. */
  sock: Socket | undefined;
  /** Where the connection was forwarded, once connected. */
  backend: Backend | undefined;
  #attempt: Backend | undefined;
  #tried: Backend[] | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #held: Buffer[] | undefined;
  #heldBytes = 0;
  #clientEnded = false;
  #connected = false;
  #finished = false;
  #open = 2;
  /** Bytes read on both sockets at the last sweep, and when they last changed (sweep clock, ms). */
  #seenBytes = 0;
  #activeAt = 0;
  /** Bytes already added to the in/out counters. */
  #countedIn = 0;
  #countedOut = 0;
  /** Whether the client socket reads through CLIENT_ONREAD (else Node's 'data' events). */
  readonly #clientOnread: boolean;
  /** Per direction (client to backend, backend to client): the private read buffer lent while bulk flows. */
  #private: [Buffer | undefined, Buffer | undefined] | undefined;
  /** Per direction: reading stopped until the writes out of the private buffer completed. */
  #waiting: [boolean, boolean] | undefined;
  /** Per direction: the write callback that resumes reading; made on the first private buffer. */
  #written: [() => void, () => void] | undefined;

  constructor(client: Socket, ctx: ForwardContext, options: ForwardOptions, clientOnread = false) {
    this.client = client;
    this.#ctx = ctx;
    this.options = options;
    this.#clientOnread = clientOnread;
  }

  /** Early client bytes held in user space until a backend connects (0 once forwarding started). */
  heldBytes(): number {
    return this.#connected || this.#finished ? 0 : this.#heldBytes + this.client.readableLength;
  }

  /** Bytes held in user space for this connection (both sockets, both directions). */
  bufferedBytes(): number {
    const s = this.sock;
    if (!this.#connected || s === undefined) return this.heldBytes();
    return this.client.writableLength + s.writableLength + this.client.readableLength + s.readableLength;
  }

  destroy(): void {
    this.client.destroy();
    this.sock?.destroy();
  }

  /**
   * Called by the route's sweep with its clock: cuts the connection when no byte moved either way for the
   * idle timeout. Bytes are noticed at sweep granularity, so the cut comes up to one sweep interval late.
   */
  sweep(nowMs: number): void {
    const s = this.sock;
    if (!this.#connected || s === undefined) return;
    const seen = this.client.bytesRead + s.bytesRead;
    if (seen !== this.#seenBytes || this.#activeAt === 0) {
      this.#seenBytes = seen;
      this.#activeAt = nowMs;
    } else if (nowMs - this.#activeAt >= this.options.idleTimeoutMs) {
      this.destroy();
    }
  }

  /** Bytes forwarded since the last call: [client to backend, backend to client]. */
  takeByteCounts(): [number, number] {
    const s = this.sock;
    if (!this.#connected || s === undefined) return [0, 0];
    const inBytes = this.client.bytesRead;
    const outBytes = s.bytesRead;
    const counts: [number, number] = [inBytes - this.#countedIn, outBytes - this.#countedOut];
    this.#countedIn = inBytes;
    this.#countedOut = outBytes;
    return counts;
  }

  /** Takes over the freshly accepted client socket (created with allowHalfOpen). */
  start(): void {
    const c = this.client as Tagged;
    c[FORWARDING] = this;
    if (!this.#clientOnread) c.on('data', onClientData);
    c.on('end', onClientEnd);
    c.on('error', onError);
    c.on('close', onClientClose);
    // An onread socket emits no 'data': it must flow for 'end' to be emitted.
    if (this.#clientOnread) c.resume();
    this.#next();
  }

  #next(): void {
    const tried = (this.#tried ??= []);
    const backend = tried.length < MAX_CONNECT_ATTEMPTS ? this.#ctx.pick(tried) : undefined;
    if (backend === undefined) {
      this.#ctx.onNoBackend();
      this.client.destroy();
      return;
    }
    tried.push(backend);
    backend.beginConnect();
    this.#attempt = backend;
    const sock = connect(backendConnectOptions(backend)) as Tagged;
    sock[FORWARDING] = this;
    this.sock = sock;
    sock.on('connect', onSockConnect);
    sock.on('error', onSockError);
    sock.on('close', onSockClose);
    this.#connectTimer = setTimeout(onConnectTimeout, this.options.connectTimeoutMs, sock);
  }

  /** The attempt on `sock` failed (error or timeout): try the next backend. */
  attemptFailed(sock: Socket): void {
    if (sock !== this.sock || this.#connected) return;
    clearTimeout(this.#connectTimer);
    const backend = this.#attempt!;
    this.sock = undefined;
    this.#attempt = undefined;
    backend.endConnect(undefined);
    this.#ctx.onConnectFailed(backend);
    if (!this.#finished && !this.client.destroyed) this.#next();
  }

  connected(sock: Socket): void {
    if (sock !== this.sock || this.#connected) return;
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#tried = undefined;
    const backend = this.#attempt!;
    this.#attempt = undefined;
    this.backend = backend;
    this.#connected = true;
    backend.endConnect(this);
    this.#ctx.onConnected(this);

    // The header goes out in one write of its own, before any client byte, as PROXY v2 receivers expect.
    if (this.options.proxyProtocol === 'v2') sock.write(this.#ctx.proxyHeader(this.client));
    let room = true;
    if (this.#held !== undefined) for (const chunk of this.#held) room = sock.write(chunk);
    this.#held = undefined;
    this.#heldBytes = 0;
    sock.on('end', onSockEnd);
    sock.on('drain', onSockDrain);
    this.client.on('drain', onClientDrain);
    sock.resume();
    if (this.#clientEnded) sock.end();
    else if (room) this.client.resume();
    else this.client.pause();
  }

  /** Client data: held while connecting (pausing beyond the hold limit), then written to the backend. */
  clientData(chunk: Buffer): void {
    if (this.#connected) {
      if (!this.sock!.write(chunk)) this.client.pause();
      return;
    }
    (this.#held ??= []).push(chunk);
    this.#heldBytes += chunk.length;
    if (this.#heldBytes >= HOLD_LIMIT_BYTES) this.client.pause();
  }

  /** A read on the client (onread) of `n` bytes in `buf`; false stops reading until resumed. */
  clientRead(n: number, buf: Buffer): boolean {
    if (this.#connected) return this.#relay(UP, n, buf);
    this.clientData(copyOut(buf, n));
    return true;
  }

  /** A read on the backend socket (always onread), which only reads once connected. */
  sockRead(sock: Socket, n: number, buf: Buffer): boolean {
    if (sock !== this.sock || !this.#connected) return false;
    return this.#relay(DOWN, n, buf);
  }

  /**
   * Writes a read to the other side. From the shared buffer: a copy, which the write owns; reading stops
   * when the write reports a full buffer, until 'drain'. From a private buffer: the bytes themselves, so
   * reading stops while any of them wait to be written (the next read would overwrite them).
   */
  #relay(dir: Direction, n: number, buf: Buffer): boolean {
    const dest = dir === UP ? this.sock! : this.client;
    if (isShared(buf)) {
      if (n >= BULK_READ_BYTES) this.#lend(dir);
      return dest.write(copyOut(buf, n));
    }
    const written = (this.#written ??= [() => this.#resume(UP), () => this.#resume(DOWN)]);
    dest.write(buf.subarray(0, n), written[dir]);
    if (dest.writableLength > 0) {
      (this.#waiting ??= [false, false])[dir] = true;
      readInto(buf);
      return false;
    }
    if (n < SMALL_READ_BYTES) this.#giveBack(dir);
    else readInto(buf);
    return true;
  }

  #lend(dir: Direction): void {
    const p = (this.#private ??= [undefined, undefined]);
    if (p[dir] !== undefined) return;
    const b = lendBuffer();
    if (b === undefined) return;
    p[dir] = b;
    readInto(b);
  }

  #giveBack(dir: Direction): void {
    const b = this.#private?.[dir];
    if (b === undefined) return;
    this.#private![dir] = undefined;
    returnBuffer(b);
  }

  #resume(dir: Direction): void {
    const w = this.#waiting;
    if (w === undefined || !w[dir]) return;
    w[dir] = false;
    const source = dir === UP ? this.client : this.sock;
    if (source !== undefined && !source.destroyed) source.resume();
  }

  clientEnd(): void {
    if (this.#connected) this.sock!.end();
    else this.#clientEnded = true;
  }

  clientClosed(): void {
    if (!this.#connected) {
      // Closed while still looking for a backend: abandon the attempt in flight.
      clearTimeout(this.#connectTimer);
      const sock = this.sock;
      const attempt = this.#attempt;
      this.sock = undefined;
      this.#attempt = undefined;
      this.#held = undefined;
      if (sock !== undefined) sock.destroy();
      if (attempt !== undefined) attempt.endConnect(undefined);
      this.#finish();
      return;
    }
    // A side closing before the other side's data was all through ends the pair.
    if (!this.sock!.readableEnded) this.sock!.destroy();
    this.#closedOne();
  }

  sockClosed(sock: Socket): void {
    if (sock !== this.sock || !this.#connected) return;
    if (!this.client.readableEnded) this.client.destroy();
    this.#closedOne();
  }

  #closedOne(): void {
    this.#open -= 1;
    if (this.#open === 0) {
      this.backend!.detach(this);
      this.#finish();
    }
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    // Both sockets are closed: no read or pending write can touch the private buffers any more.
    this.#giveBack(UP);
    this.#giveBack(DOWN);
    this.#ctx.onClosed(this);
  }
}

/** The first `n` bytes of `buf` in a buffer of their own. */
function copyOut(buf: Buffer, n: number): Buffer {
  const copy = Buffer.allocUnsafe(n);
  buf.copy(copy, 0, 0, n);
  return copy;
}

function onClientRead(this: Socket, n: number, buf: Uint8Array): boolean {
  return owner(this).clientRead(n, buf as Buffer);
}
function onSockRead(this: Socket, n: number, buf: Uint8Array): boolean {
  return owner(this).sockRead(this, n, buf as Buffer);
}

function onClientData(this: Socket, chunk: Buffer): void {
  owner(this).clientData(chunk);
}
function onClientEnd(this: Socket): void {
  owner(this).clientEnd();
}
function onClientClose(this: Socket): void {
  owner(this).clientClosed();
}
function onClientDrain(this: Socket): void {
  owner(this).sock?.resume();
}
/** An error on either side, once connected, ends the pair; before that only the client is closed. */
function onError(this: Socket): void {
  owner(this).destroy();
}
function onSockConnect(this: Socket): void {
  owner(this).connected(this);
}
function onSockError(this: Socket): void {
  const f = owner(this);
  if (f.sock !== this) return;
  if (f.backend === undefined) f.attemptFailed(this);
  else f.destroy();
}
function onSockClose(this: Socket): void {
  owner(this).sockClosed(this);
}
function onSockEnd(this: Socket): void {
  owner(this).client.end();
}
function onSockDrain(this: Socket): void {
  owner(this).client.resume();
}
function onConnectTimeout(sock: Socket): void {
  sock.destroy(new Error('connect timeout'));
}
