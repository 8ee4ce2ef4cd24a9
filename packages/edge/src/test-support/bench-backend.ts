// The benchmark's backend, run as its own process: accepts PROXY v2 (required on every connection), then
// echoes (first port) or sinks and reports the byte count when the client half-closes (second port).
// Usage: node bench-backend.ts ECHO_PORT SINK_PORT
import { createServer, type Socket } from 'node:net';
import process from 'node:process';

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const FIXED = 16;

/** Calls `onPayload` with everything after the PROXY v2 header; destroys the socket if there is none. */
function afterProxyHeader(socket: Socket, onPayload: (first: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const checked = Math.min(pending.length, SIGNATURE.length);
    if (!pending.subarray(0, checked).equals(SIGNATURE.subarray(0, checked))) {
      socket.destroy();
      return;
    }
    if (pending.length < FIXED) return;
    const total = FIXED + pending.readUInt16BE(14);
    if (pending.length < total) return;
    socket.off('data', onData);
    onPayload(pending.subarray(total));
  };
  socket.on('data', onData);
}

function echo(socket: Socket): void {
  socket.setNoDelay(true);
  afterProxyHeader(socket, (first) => {
    if (first.length > 0) socket.write(first);
    socket.pipe(socket);
  });
}

function sink(socket: Socket): void {
  let bytes = 0;
  afterProxyHeader(socket, (first) => {
    bytes += first.length;
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
  });
  socket.on('end', () => {
    const answer = Buffer.alloc(8);
    answer.writeBigUInt64BE(BigInt(bytes));
    socket.end(answer);
  });
}

const [echoPort, sinkPort] = process.argv.slice(2).map(Number);
for (const [port, handler] of [[echoPort, echo], [sinkPort, sink]] as const) {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    handler(socket);
  });
  server.listen({ host: '127.0.0.1', port, backlog: 4096 });
}
process.on('SIGTERM', () => process.exit(0));
