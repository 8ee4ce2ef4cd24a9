// Interop with the reference implementation: HAProxy 2.6 sends headers (with CRC32C and UNIQUE_ID) our
// decoder reads, and accepts the headers our encoder writes (it verifies CRC32C and refuses a bad one).
// Everything listens on 127.0.0.1; HAProxy is stopped when the test ends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyV2Decoder } from './decoder.ts';
import type { DecodeResult } from './decoder.ts';
import { encodeProxyV2 } from './encoder.ts';
import { concat } from './test-support/feed.ts';

const HAPROXY = '/usr/sbin/haproxy';
const HOST = '127.0.0.1';

interface Received {
  readonly result: DecodeResult;
  /** Every payload byte the receiver saw after the header, until the sender closed. */
  readonly payload: Uint8Array;
}

/** A loopback server that decodes the PROXY header of each connection and collects the payload until close. */
class Receiver {
  readonly server: Server;
  readonly #waiting: ((r: Received) => void)[] = [];
  readonly #arrived: Received[] = [];
  connections = 0;

  constructor() {
    this.server = createServer((socket) => this.#accept(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, HOST, resolve));
    return (this.server.address() as AddressInfo).port;
  }

  next(): Promise<Received> {
    const ready = this.#arrived.shift();
    return ready !== undefined ? Promise.resolve(ready) : new Promise((resolve) => this.#waiting.push(resolve));
  }

  #accept(socket: Socket): void {
    this.connections++;
    const decoder = new ProxyV2Decoder();
    let result: DecodeResult = { status: 'need-more' };
    const payload: Uint8Array[] = [];
    socket.on('data', (chunk: Buffer) => {
      if (result.status === 'need-more') {
        result = decoder.push(chunk);
        if (result.status === 'header') payload.push(Uint8Array.from(result.rest));
        if (result.status === 'error') socket.destroy();
      } else {
        payload.push(Uint8Array.from(chunk));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (result.status === 'need-more') result = decoder.end();
      const received = { result, payload: concat(payload) };
      const waiter = this.#waiting.shift();
      if (waiter === undefined) this.#arrived.push(received);
      else waiter(received);
    });
    socket.on('end', () => socket.end());
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, HOST, resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Sends `bytes`, half-closes, and resolves with what came back once the other side closes. */
function exchange(port: number, bytes: Uint8Array): Promise<{ localPort: number; reply: Uint8Array }> {
  return new Promise((resolve, reject) => {
    let localPort = 0;
    const socket = connect({ host: HOST, port }, () => {
      localPort = socket.localPort ?? 0; // gone once the socket closes
      socket.end(bytes);
    });
    const reply: Uint8Array[] = [];
    socket.on('data', (c: Buffer) => reply.push(Uint8Array.from(c)));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
    socket.on('close', () => resolve({ localPort, reply: concat(reply) }));
  });
}

async function waitUntilAccepting(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: HOST, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`HAProxy did not listen on ${HOST}:${port}`);
}

const senderSide = new Receiver();
const acceptorSide = new Receiver();
let haproxy: ChildProcess | undefined;
let dir = '';
let haproxyLog = '';
const ports = { send: 0, accept: 0 };

before(async () => {
  const [sendTarget, acceptTarget] = [await senderSide.listen(), await acceptorSide.listen()];
  ports.send = await freePort();
  ports.accept = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'trc-proxy-v2-haproxy-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, [
    'global',
    '  nbthread 1',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 5s',
    '  timeout server 5s',
    'frontend sends_proxy_v2',
    `  bind ${HOST}:${ports.send}`,
    '  unique-id-format conn-%ci-%cp',
    '  default_backend receiver',
    'backend receiver',
    `  server r ${HOST}:${sendTarget} send-proxy-v2 proxy-v2-options crc32c,unique-id`,
    'frontend accepts_proxy_v2',
    `  bind ${HOST}:${ports.accept} accept-proxy`,
    '  default_backend relay',
    'backend relay',
    `  server r ${HOST}:${acceptTarget} send-proxy-v2`,
    '',
  ].join('\n'));
  haproxy = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout?.on('data', (c: Buffer) => (haproxyLog += c.toString()));
  haproxy.stderr?.on('data', (c: Buffer) => (haproxyLog += c.toString()));
  await waitUntilAccepting(ports.send);
  await waitUntilAccepting(ports.accept);
}, { timeout: 30_000 });

after(async () => {
  if (haproxy !== undefined && haproxy.exitCode === null) {
    const exited = new Promise((resolve) => haproxy!.once('exit', resolve));
    haproxy.kill('SIGTERM');
    await exited;
  }
  await Promise.all([senderSide, acceptorSide].map((r) => new Promise((resolve) => r.server.close(resolve))));
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('HAProxy send-proxy-v2 with crc32c and unique-id decodes: client address, verified CRC32C, UNIQUE_ID, payload', { timeout: 15_000 }, async () => {
  const { localPort } = await exchange(ports.send, new TextEncoder().encode('hello through haproxy'));
  // HAProxy may also have relayed the readiness probe's empty connection: skip to ours.
  let received = await senderSide.next();
  for (let i = 0; i < 3 && !(received.result.status === 'header' && received.result.header.transport === 'tcp' && received.result.header.source.port === localPort); i++) {
    received = await senderSide.next();
  }
  const { result, payload } = received;
  assert.equal(result.status, 'header', result.status === 'error' ? `${result.error.code}: ${result.error.message}\n${haproxyLog}` : '');
  if (result.status !== 'header') return;
  const h = result.header;
  assert.equal(h.command, 'PROXY');
  assert.ok(h.transport === 'tcp');
  assert.deepEqual([h.family, h.source, h.destination], ['ipv4', { address: HOST, port: localPort }, { address: HOST, port: ports.send }]);
  assert.equal(h.tlvs.filter((t) => t.type === 'crc32c').length, 1);
  const uniqueId = h.tlvs.find((t) => t.type === 'unique-id');
  assert.equal(uniqueId !== undefined && new TextDecoder().decode(uniqueId.value), `conn-${HOST}-${localPort}`);
  assert.equal(new TextDecoder().decode(payload), 'hello through haproxy');
});

test('HAProxy accept-proxy takes our TCP4 header with a CRC32C and relays its addresses', { timeout: 15_000 }, async () => {
  const header = encodeProxyV2({ command: 'PROXY', transport: 'tcp', source: { address: '192.0.2.1', port: 1234 }, destination: { address: '198.51.100.7', port: 443 } }, { checksum: true });
  const sent = exchange(ports.accept, concat([header, new TextEncoder().encode('ping')]));
  const { result, payload } = await acceptorSide.next();
  await sent;
  assert.equal(result.status, 'header', haproxyLog);
  assert.ok(result.status === 'header' && result.header.transport === 'tcp');
  assert.deepEqual([result.header.source, result.header.destination], [{ address: '192.0.2.1', port: 1234 }, { address: '198.51.100.7', port: 443 }]);
  assert.equal(new TextDecoder().decode(payload), 'ping');
});

test('HAProxy accept-proxy takes our TCP6 header and our LOCAL header', { timeout: 15_000 }, async () => {
  const v6 = encodeProxyV2({ command: 'PROXY', transport: 'tcp', source: { address: '2001:db8::7', port: 40000 }, destination: { address: '2001:db8::1', port: 5432 } });
  const sent = exchange(ports.accept, concat([v6, Uint8Array.of(1)]));
  const got = await acceptorSide.next();
  await sent;
  assert.ok(got.result.status === 'header' && got.result.header.transport === 'tcp');
  assert.deepEqual([got.result.header.source, got.result.header.destination], [{ address: '2001:db8::7', port: 40000 }, { address: '2001:db8::1', port: 5432 }]);
  // LOCAL: HAProxy uses the real connection endpoints, both 127.0.0.1.
  const sentLocal = exchange(ports.accept, concat([encodeProxyV2({ command: 'LOCAL' }), Uint8Array.of(2)]));
  const local = await acceptorSide.next();
  const { localPort } = await sentLocal;
  assert.ok(local.result.status === 'header' && local.result.header.transport === 'tcp');
  assert.deepEqual(local.result.header.source, { address: HOST, port: localPort });
  assert.deepEqual(local.payload, Uint8Array.of(2));
});

test('HAProxy refuses our header when its CRC32C is wrong, and relays nothing', { timeout: 15_000 }, async () => {
  const header = encodeProxyV2({ command: 'PROXY', transport: 'tcp', source: { address: '192.0.2.1', port: 1234 }, destination: { address: '198.51.100.7', port: 443 } }, { checksum: true });
  header[header.length - 1]! ^= 0xff;
  const before = acceptorSide.connections;
  const { reply } = await exchange(ports.accept, concat([header, new TextEncoder().encode('ping')]));
  assert.equal(reply.length, 0);
  // A good header after the bad one arrives first: the bad connection never reached the relay.
  const good = encodeProxyV2({ command: 'PROXY', transport: 'tcp', source: { address: '192.0.2.99', port: 9 }, destination: { address: '198.51.100.7', port: 443 } });
  const sent = exchange(ports.accept, concat([good, Uint8Array.of(3)]));
  const next = await acceptorSide.next();
  await sent;
  assert.ok(next.result.status === 'header' && next.result.header.transport === 'tcp' && next.result.header.source.address === '192.0.2.99');
  assert.equal(acceptorSide.connections, before + 1);
});
