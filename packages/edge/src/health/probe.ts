// One health probe against one backend: tcp or http, prefixed by a PROXY v2 LOCAL header on v2 routes,
// with verdicts that name a PROXY mismatch when the backend treats the header as payload.
import { connect } from 'node:net';
import type { SocketAddress } from '../config/address.ts';
import { LOCAL_HEADER } from '../proxy/proxy-header.ts';

export interface ProbeResult {
  readonly healthy: boolean;
  readonly reason: string;
  /** The backend does not speak the PROXY v2 the route sends it. */
  readonly proxyMismatch: boolean;
}

export interface ProbeOptions {
  readonly kind: 'tcp' | 'http';
  readonly address: SocketAddress;
  /** Request path of an http probe. */
  readonly path: string;
  readonly timeoutMs: number;
  /** Whether the route sends PROXY v2: the probe then sends a LOCAL header first. */
  readonly proxyV2: boolean;
}

const SIGNATURE = Buffer.from(LOCAL_HEADER.subarray(0, 12));
const HINT = 'does it accept PROXY v2?';
/** Upper bound of the bytes a probe reads; a status line and a little more are all it looks at. */
const READ_LIMIT = 4096;

/**
 * How long a tcp probe on a v2 route watches the connection after the LOCAL header. Servers that do not
 * speak PROXY close or answer within milliseconds of receiving its bytes; a server that does waits for
 * its own protocol. Half the timeout, at most 300ms, keeps the verdict well inside one interval.
 */
export function tcpWatchWindowMs(timeoutMs: number): number {
  return Math.min(300, Math.floor(timeoutMs / 2));
}

const ok = (reason: string): ProbeResult => ({ healthy: true, reason, proxyMismatch: false });
const bad = (reason: string): ProbeResult => ({ healthy: false, reason, proxyMismatch: false });
const mismatch = (reason: string): ProbeResult => ({ healthy: false, reason: `PROXY v2 mismatch: ${reason}; ${HINT}`, proxyMismatch: true });

export function probe(options: ProbeOptions): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = connect({ host: options.address.host, port: options.address.port, allowHalfOpen: true });
    let received = Buffer.alloc(0);
    let connected = false;
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      sock.destroy();
      resolve(r);
    };
    timers.push(setTimeout(() => {
      if (!connected) finish(bad(`connect timed out after ${options.timeoutMs}ms`));
      else finish(options.kind === 'http' ? judgeHttp(received, 'timeout', options) : bad(`no verdict within ${options.timeoutMs}ms`));
    }, options.timeoutMs));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (!connected) finish(bad(`connect failed: ${e.code ?? e.message}`));
      else if (options.kind === 'http') finish(judgeHttp(received, 'reset', options));
      else finish(judgeTcp(received, 'reset', options));
    });
    sock.on('data', (chunk: Buffer) => {
      if (received.length < READ_LIMIT) received = Buffer.concat([received, chunk]).subarray(0, READ_LIMIT);
      if (options.kind === 'http') {
        // A complete status line is enough to judge; the body is never read.
        if (received.includes('\r\n') || received.includes(SIGNATURE)) finish(judgeHttp(received, 'data', options));
      } else if (options.proxyV2 && looksLikeRejection(received)) {
        finish(judgeTcp(received, 'data', options));
      }
    });
    sock.on('end', () => finish(options.kind === 'http' ? judgeHttp(received, 'closed', options) : judgeTcp(received, 'closed', options)));
    sock.once('connect', () => {
      connected = true;
      if (options.kind === 'tcp') {
        if (!options.proxyV2) {
          finish(ok('tcp connect succeeded'));
          return;
        }
        sock.write(LOCAL_HEADER);
        const window = tcpWatchWindowMs(options.timeoutMs);
        timers.push(setTimeout(() => finish(judgeTcp(received, 'open', options)), window));
        return;
      }
      const request = `GET ${options.path} HTTP/1.1\r\nHost: ${hostHeader(options.address)}\r\nUser-Agent: trc-edge-health\r\nConnection: close\r\n\r\n`;
      if (options.proxyV2) sock.write(LOCAL_HEADER);
      sock.write(request);
    });
  });
}

function hostHeader(a: SocketAddress): string {
  return a.family === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Bytes that can only mean the header was taken as payload: its signature echoed, or an HTTP error. */
function looksLikeRejection(received: Buffer): boolean {
  return received.includes(SIGNATURE) || /^HTTP\/\d(\.\d)? [45]\d\d/.test(received.toString('latin1', 0, 16));
}

type Ending = 'open' | 'closed' | 'reset' | 'data' | 'timeout';

/**
 * A tcp probe on a v2 route passes when the backend keeps the connection open through the watch window
 * without echoing the header or answering with an error; it fails as a mismatch when the backend closes
 * or resets the connection, echoes the signature, or answers in HTTP. Off routes only need the connect.
 */
export function judgeTcp(received: Buffer, ending: Ending, options: Pick<ProbeOptions, 'proxyV2' | 'timeoutMs'>): ProbeResult {
  if (!options.proxyV2) return ok('tcp connect succeeded');
  if (received.includes(SIGNATURE)) return mismatch('backend echoed the PROXY header back');
  const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(received.toString('latin1', 0, 16));
  if (status !== null && /^[45]/.test(status[1]!)) return mismatch(`backend answered HTTP ${status[1]} to the PROXY header`);
  if (ending === 'closed' || ending === 'reset') {
    return mismatch(`backend ${ending === 'reset' ? 'reset' : 'closed'} the connection right after the PROXY header${received.length > 0 ? ` (after sending ${received.length} bytes)` : ''}`);
  }
  return ok(`PROXY v2 LOCAL header accepted; connection held open ${tcpWatchWindowMs(options.timeoutMs)}ms`);
}

/**
 * An http probe passes on a 2xx or 3xx answer. On a v2 route, a 400, an answer that is not HTTP (an
 * echo of the header, garbage) or a close without an answer is a PROXY mismatch: the server read the
 * header as part of the request. Other statuses are ordinary failures, since the server did parse the request.
 */
export function judgeHttp(received: Buffer, ending: Ending, options: Pick<ProbeOptions, 'proxyV2' | 'timeoutMs' | 'path'>): ProbeResult {
  const head = received.toString('latin1', 0, Math.min(received.length, 64));
  const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head);
  if (status !== null) {
    const code = Number(status[1]);
    if (code >= 200 && code < 400) return ok(`HTTP ${code} from GET ${options.path}`);
    if (options.proxyV2 && code === 400) return mismatch('backend answered HTTP 400 to a PROXY-prefixed request');
    return bad(`HTTP ${code} from GET ${options.path}`);
  }
  if (options.proxyV2) {
    if (received.includes(SIGNATURE)) return mismatch('backend echoed the PROXY header back instead of answering HTTP');
    if (received.length > 0) return mismatch('backend answered a PROXY-prefixed request with something other than HTTP');
    if (ending === 'closed' || ending === 'reset') return mismatch('backend closed the connection without answering a PROXY-prefixed request');
  }
  if (received.length > 0) return bad(`backend answered GET ${options.path} with something other than HTTP`);
  if (ending === 'timeout') return bad(`no answer to GET ${options.path} within ${options.timeoutMs}ms`);
  return bad(`backend closed the connection without answering GET ${options.path}`);
}
