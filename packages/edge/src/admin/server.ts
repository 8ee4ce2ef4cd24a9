// The admin endpoint (node:http): GET /status (JSON) and GET /metrics (Prometheus text format).
import { createServer, type Server } from 'node:http';
import { TrcError } from '@trc/core';
import type { SocketAddress } from '../config/address.ts';
import { formatSocketAddress } from '../config/address.ts';

export interface AdminSource {
  status(): unknown;
  metricsText(): string;
}

export async function startAdminServer(address: SocketAddress, source: AdminSource): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(source.status())}\n`);
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(source.metricsText());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /status or /metrics\n');
    }
  });
  // Scrapers keep connections alive; closing the server must not wait for them.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenFailed('admin endpoint', address, e)));
    server.listen({ host: address.host, port: address.port, ipv6Only: address.family === 6 }, () => resolve());
  });
  return server;
}

export function listenFailed(what: string, address: SocketAddress, e: NodeJS.ErrnoException): TrcError {
  const reasons: Record<string, string> = {
    EADDRINUSE: 'the address is already in use',
    EADDRNOTAVAIL: 'the address is not assigned to this host',
    EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  };
  const why = reasons[e.code ?? ''] ?? e.code ?? e.message;
  return new TrcError('TRC_EDGE_LISTEN_FAILED', `cannot listen on ${formatSocketAddress(address)} for the ${what}: ${why}`, {
    hint: 'pick a free address that belongs to this host, or stop whatever holds it',
  });
}
