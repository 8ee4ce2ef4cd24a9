// Where forwarded sockets read into (Node's `onread`): one shared buffer whose reads are copied out, and,
// for a socket moving bulk data, a private buffer lent from a bounded pool and written on without a copy.
//
// Node's default read path allocates a fresh 64 KiB buffer for every read and leaves it to the garbage
// collector: at bulk rates that churn costs as much CPU as the forwarding itself (PERFORMANCE.md). A
// private buffer per socket would cost 64 KiB per idle connection instead, so sockets start on the shared
// buffer (a read is copied into a buffer sized to it, which the write then owns) and are lent a private
// one only while their reads come in large; it goes back when their reads turn small or the pair closes.
// Accepted client sockets can read this way only through `accept.ts`; backend sockets are the edge's own.
//
// Node asks for the next buffer right after each read callback, without saying for which socket: the
// callback names it here (`readInto`), and `nextReadBuffer` hands it over, in the same synchronous turn.

/** The size of the shared read buffer, libuv's suggested read size. */
export const READ_BUFFER_BYTES = 64 * 1024;
/**
 * The size of a private buffer. Larger reads mean fewer reads, writes and callbacks per byte: measured
 * 680 ms of CPU per GiB forwarded with 256 KiB against 860 ms with 64 KiB (HAProxy: 680-740; PERFORMANCE.md).
 */
export const PRIVATE_BUFFER_BYTES = 256 * 1024;
/** A read at least this large on the shared buffer means bulk: the socket is lent a private buffer. */
export const BULK_READ_BYTES = 32 * 1024;
/** A read smaller than this on a private buffer means the bulk is over: the buffer goes back. */
export const SMALL_READ_BYTES = 4 * 1024;
/** At most this many private buffers are lent at once (32 MiB); beyond it sockets stay on the shared one. */
export const MAX_LENT_BUFFERS = 128;
/** Returned private buffers kept for reuse; more are left to the garbage collector. */
const MAX_SPARE_BUFFERS = 32;

const shared = Buffer.allocUnsafe(READ_BUFFER_BYTES);
const spare: Buffer[] = [];
let lent = 0;
let lentEver = 0;
let next: Buffer = shared;

/** The `onread.buffer` function of every forwarded socket: the buffer the last callback chose. */
export function nextReadBuffer(): Buffer {
  const b = next;
  next = shared;
  return b;
}

/** Called from a read callback: the socket's next read goes into `buffer`. */
export function readInto(buffer: Buffer): void {
  next = buffer;
}

/** Whether `buffer` is the shared one, whose bytes must be copied out before the callback returns. */
export function isShared(buffer: Uint8Array): boolean {
  return buffer === shared;
}

/** A private buffer for a bulk reader, or undefined when the pool's limit is reached. */
export function lendBuffer(): Buffer | undefined {
  if (lent >= MAX_LENT_BUFFERS) return undefined;
  lent += 1;
  lentEver += 1;
  return spare.pop() ?? Buffer.allocUnsafe(PRIVATE_BUFFER_BYTES);
}

/** Gives a private buffer back; only once no read or pending write can touch it any more. */
export function returnBuffer(buffer: Buffer): void {
  lent -= 1;
  if (spare.length < MAX_SPARE_BUFFERS) spare.push(buffer);
}

/** Private buffers lent now, and ever (tests and diagnostics). */
export function readBufferStats(): { readonly lent: number; readonly lentEver: number } {
  return { lent, lentEver };
}
