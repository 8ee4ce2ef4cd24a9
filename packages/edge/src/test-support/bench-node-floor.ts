// The benchmark's "Node floor": the smallest Node.js TCP proxy (client -> backend only, sends a PROXY v2
// LOCAL header), to tell the edge's own costs from Node's. Measurement only, never a model for the edge.
// Usage: node bench-node-floor.ts LISTEN_PORT BACKEND_PORT alloc|reuse
//   alloc: 'data' -> write(), pause on false, resume on 'drain': Node allocates a 64 KiB buffer per read.
//   reuse: reads the client into one reused buffer with `onread`. Node offers `onread` only for sockets
//          it creates, so this wraps the accepted socket's file descriptor (undocumented `_handle.fd`) in a
//          second net.Socket; both then own the descriptor, which a real proxy must never do.
import { connect, createServer, Socket } from 'node:net';
import process from 'node:process';

const LOCAL_HEADER = Buffer.from('0d0a0d0a000d0a515549540a20000000', 'hex');
const [listenPort, backendPort] = process.argv.slice(2, 4).map(Number);
const mode = process.argv[4];
if (mode !== 'alloc' && mode !== 'reuse') throw new Error('mode must be alloc or reuse');

createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: mode === 'reuse' }, (accepted) => {
  const backend = connect({ host: '127.0.0.1', port: backendPort!, allowHalfOpen: true, noDelay: true });
  backend.write(LOCAL_HEADER);
  let client = accepted;
  if (mode === 'reuse') {
    const fd = (accepted as unknown as { _handle: { fd: number } })._handle.fd;
    const buffer = Buffer.allocUnsafe(64 * 1024);
    let pending = false;
    // Not 'drain': a partial write under the high-water mark leaves bytes pending without one.
    const written = (): void => {
      if (!pending) return;
      pending = false;
      client.resume();
    };
    client = new Socket({
      fd,
      readable: true,
      writable: true,
      allowHalfOpen: true,
      onread: {
        buffer,
        // A write still pending holds the buffer: stop reading until it drained.
        callback: (n: number, b: Uint8Array): boolean => {
          backend.write(b.subarray(0, n), written);
          pending = backend.writableLength > 0;
          return !pending;
        },
      },
    });
  } else {
    client.on('data', (chunk: Buffer) => {
      if (!backend.write(chunk)) client.pause();
    });
    backend.on('drain', () => client.resume());
  }
  backend.on('data', (chunk: Buffer) => {
    if (!client.write(chunk)) backend.pause();
  });
  client.on('drain', () => backend.resume());
  client.on('end', () => backend.end());
  backend.on('end', () => client.end());
  client.on('error', () => backend.destroy());
  backend.on('error', () => client.destroy());
  backend.on('close', () => client.destroy());
}).listen({ host: '127.0.0.1', port: listenPort!, backlog: 1024 });
process.on('SIGTERM', () => process.exit(0));
