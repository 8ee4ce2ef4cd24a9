// A one-shot HTTP/1.0 GET over a plain socket, so the test knows the exact source address and
// ephemeral port the request left from — the pair a PROXY-aware receiver must report back.
import { connect } from 'node:net';
import type { Endpoint } from './process.ts';

export interface ProbeResult {
  readonly localAddress: string;
  readonly localPort: number;
  readonly status: number;
  readonly body: string;
}

export function httpGet(target: Endpoint, path: string, timeoutMs = 5000): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    socket.setTimeout(timeoutMs);
    const chunks: Buffer[] = [];
    let local: { address: string; port: number } | undefined;
    socket.once('connect', () => {
      local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
      socket.write(`GET ${path} HTTP/1.0\r\nHost: test\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('timeout', () => socket.destroy(new Error(`no complete answer from ${target.host}:${target.port} within ${timeoutMs} ms`)));
    socket.once('error', reject);
    socket.once('close', () => {
      if (local === undefined) return;
      const text = Buffer.concat(chunks).toString('utf8');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const split = text.indexOf('\r\n\r\n');
      if (match === null || split < 0) {
        reject(new Error(`not an HTTP answer from ${target.host}:${target.port}: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      resolve({ localAddress: local.address, localPort: local.port, status: Number(match[1]), body: text.slice(split + 4) });
    });
  });
}
