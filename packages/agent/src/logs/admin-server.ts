// The agent's node-local admin endpoint (node:http, bearer token): `GET /logs/<instance>?tail=N&stream=stdout|stderr`
// returns the last N lines of an instance's kept log (bounded and rotated by the runtime), and `GET /status`
// the node's runtime capabilities and instances. `platform logs` reads it through the node's admin address.
import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isTrcError } from '@trc/core';
import type { LogStream, RuntimeDriver } from '../runtime/runtime.ts';

export const MAX_TAIL_LINES = 10_000;
/** Bytes read from the end of the log to find the last N lines. */
const TAIL_BYTES = 1024 * 1024;

export interface AdminServerOptions {
  readonly driver: RuntimeDriver;
  readonly token: string;
  /** What GET /status answers besides the instance list. */
  readonly status: () => Readonly<Record<string, unknown>>;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The last `lines` lines of `text` (a trailing newline does not count as an empty line). */
export function lastLines(text: string, lines: number): string {
  if (lines <= 0) return '';
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const parts = body.split('\n');
  const kept = parts.slice(Math.max(0, parts.length - lines)).join('\n');
  return kept === '' ? '' : `${kept}\n`;
}

export function createAdminServer(options: AdminServerOptions): Server {
  const expected = digest(options.token);
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    // Compared as hashes so the comparison takes the same time whatever the length.
    if (!timingSafeEqual(digest(given), expected)) return send(res, 401, { code: 'TRC_UNAUTHORIZED', message: 'a valid admin token is required', hint: "use the token in the agent's state directory (admin.token)" });
    const url = new URL(req.url ?? '/', 'http://agent');
    if (req.method !== 'GET') return send(res, 405, { code: 'TRC_INVALID_INPUT', message: 'only GET is served' });
    if (url.pathname === '/status') return send(res, 200, { ...options.status(), instances: await options.driver.list() });
    const m = /^\/logs\/([a-z0-9][a-z0-9._-]{0,63})$/.exec(url.pathname);
    if (m === null) return send(res, 404, { code: 'TRC_NOT_FOUND', message: `no such path ${url.pathname.slice(0, 100)}` });
    const tail = Number(url.searchParams.get('tail') ?? '100');
    const stream = url.searchParams.get('stream') ?? 'stdout';
    if (!Number.isInteger(tail) || tail < 0 || tail > MAX_TAIL_LINES) return send(res, 400, { code: 'TRC_INVALID_INPUT', message: `tail must be a whole number from 0 to ${MAX_TAIL_LINES}` });
    if (stream !== 'stdout' && stream !== 'stderr') return send(res, 400, { code: 'TRC_INVALID_INPUT', message: 'stream must be stdout or stderr' });
    try {
      const text = await options.driver.tail(m[1]!, { stream: stream as LogStream, maxBytes: TAIL_BYTES });
      return send(res, 200, lastLines(text, tail));
    } catch (error) {
      if (isTrcError(error) && error.code === 'TRC_RUNTIME_INSTANCE_NOT_FOUND') return send(res, 404, error.toJSON());
      throw error;
    }
  };
  return createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { code: 'TRC_INTERNAL', message: 'the agent could not read the log' });
      else res.destroy();
    });
  });
}

export function listenAdmin(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    });
  });
}
