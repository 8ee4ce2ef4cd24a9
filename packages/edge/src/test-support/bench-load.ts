// The benchmark's load generator, run in its own process so it does not share an event loop with what it
// measures. One scenario per run, given as JSON in argv[2]; prints its result as one JSON line.
// `idle` prints a first line once every connection is up, then holds them until stdin closes.
import { connect, type Socket } from 'node:net';
import process from 'node:process';

export type Scenario =
  | { readonly kind: 'throughput'; readonly port: number; readonly local: boolean; readonly connections: number; readonly bytesPerConnection: number }
  | { readonly kind: 'connrate'; readonly port: number; readonly local: boolean; readonly concurrency: number; readonly durationMs: number }
  | { readonly kind: 'latency'; readonly port: number; readonly local: boolean; readonly warmup: number; readonly iterations: number }
  | { readonly kind: 'idle'; readonly port: number; readonly local: boolean; readonly connections: number; readonly batch: number };

/** A PROXY v2 LOCAL header: what the generator sends itself when it talks to the backend directly. */
const LOCAL_HEADER = Buffer.from('0d0a0d0a000d0a515549540a20000000', 'hex');
const HOST = '127.0.0.1';

function open(port: number, local: boolean): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port, noDelay: true, allowHalfOpen: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      if (local) socket.write(LOCAL_HEADER);
      resolve(socket);
    });
  });
}

/** Writes `message` and resolves once as many bytes came back. */
function roundTrip(socket: Socket, message: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const onData = (chunk: Buffer): void => {
      got += chunk.length;
      if (got >= message.length) {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(message);
  });
}

async function throughput(s: Extract<Scenario, { kind: 'throughput' }>): Promise<object> {
  const block = Buffer.alloc(256 * 1024, 0x61);
  const start = performance.now();
  const one = async (): Promise<number> => {
    const socket = await open(s.port, s.local);
    const answer: Buffer[] = [];
    socket.on('data', (c: Buffer) => answer.push(c));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    for (let sent = 0; sent < s.bytesPerConnection; sent += block.length) {
      if (!socket.write(block)) await new Promise((r) => socket.once('drain', r));
    }
    socket.end();
    await closed;
    const all = Buffer.concat(answer);
    return all.length >= 8 ? Number(all.readBigUInt64BE(0)) : 0;
  };
  const received = (await Promise.all(Array.from({ length: s.connections }, one))).reduce((a, b) => a + b, 0);
  const seconds = (performance.now() - start) / 1000;
  return { bytes: received, expected: s.connections * Math.ceil(s.bytesPerConnection / block.length) * block.length, seconds, bytesPerSecond: received / seconds };
}

async function connrate(s: Extract<Scenario, { kind: 'connrate' }>): Promise<object> {
  const message = Buffer.alloc(32, 0x62);
  const end = performance.now() + s.durationMs;
  let done = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      try {
        const socket = await open(s.port, s.local);
        await roundTrip(socket, message);
        socket.destroy();
        done++;
      } catch {
        failed++;
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: s.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  return { connections: done, failed, seconds, perSecond: done / seconds };
}

async function latency(s: Extract<Scenario, { kind: 'latency' }>): Promise<object> {
  const socket = await open(s.port, s.local);
  const message = Buffer.alloc(64, 0x63);
  for (let i = 0; i < s.warmup; i++) await roundTrip(socket, message);
  const samples = new Float64Array(s.iterations);
  for (let i = 0; i < s.iterations; i++) {
    const t = performance.now();
    await roundTrip(socket, message);
    samples[i] = performance.now() - t;
  }
  socket.destroy();
  samples.sort();
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]! * 1000;
  return { p50us: at(0.5), p99us: at(0.99), iterations: s.iterations };
}

async function idle(s: Extract<Scenario, { kind: 'idle' }>): Promise<object> {
  const sockets: Socket[] = [];
  const hello = Buffer.from('h');
  let failed = 0;
  for (let i = 0; i < s.connections; i += s.batch) {
    const batch = Array.from({ length: Math.min(s.batch, s.connections - i) }, async () => {
      try {
        const socket = await open(s.port, s.local);
        // One round trip: proves the connection reaches the backend, so both legs exist.
        await roundTrip(socket, hello);
        socket.on('error', () => {});
        sockets.push(socket);
      } catch {
        failed++;
      }
    });
    await Promise.all(batch);
  }
  console.log(JSON.stringify({ open: sockets.length, failed }));
  await new Promise<void>((r) => {
    process.stdin.resume();
    process.stdin.once('end', () => r());
    process.stdin.once('close', () => r());
  });
  for (const s of sockets) s.destroy();
  return { closed: sockets.length };
}

const scenario = JSON.parse(process.argv[2] ?? '{}') as Scenario;
const run = { throughput, connrate, latency, idle }[scenario.kind] as (s: Scenario) => Promise<object>;
console.log(JSON.stringify(await run(scenario)));
process.exit(0);
