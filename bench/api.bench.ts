// Control-plane API latency and write throughput with realistic state (400 apps, 2,000 instances on 20 nodes),
// against anchors measured in this run: a bare node:http server answering the same JSON bytes (the floor of
// any HTTP API on this runtime), and the same clients against it for writes.
import http from 'node:http';
import { createHash } from 'node:crypto';
import process from 'node:process';
import { startTestApi } from '../packages/control/src/test-support/api.ts';
import { IMAGE, operator, orgActor } from '../packages/control/src/test-support/control.ts';
import { createOrg, createOrgToken } from '../packages/control/src/commands/orgs.ts';
import { registerNode } from '../packages/control/src/commands/nodes.ts';
import { createApp, createRelease, deploy } from '../packages/control/src/commands/apps.ts';

const APPS = 400;
const INSTANCES_PER_APP = 5;
const NODES = 20;
const REQUESTS = Number(process.env.API_BENCH_REQUESTS ?? 3000);
const WRITE_SECONDS = Number(process.env.SECONDS_PER_RUN ?? 3);
const WRITERS = 32;
const GI = 2 ** 30;

const agent = new http.Agent({ keepAlive: true, maxSockets: WRITERS });

function request(port: number, method: string, path: string, token: string, body?: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) } }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sequential requests on one keep-alive connection: per-request latency in ms, sorted. */
async function latencies(port: number, path: string, token: string): Promise<number[]> {
  for (let i = 0; i < 200; i++) await request(port, 'GET', path, token); // warm-up: JIT, connection
  const out: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    const r = await request(port, 'GET', path, token);
    out.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}`);
  }
  return out.sort((a, b) => a - b);
}

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

/** WRITERS closed-loop clients, each POSTing a body made by `body(i)`, for WRITE_SECONDS: requests/s. */
async function writes(port: number, path: string, token: string, body: (i: number) => string): Promise<number> {
  let n = 0;
  const start = performance.now();
  const end = start + WRITE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (performance.now() < end) {
        const r = await request(port, 'POST', path, token, body(n++));
        if (r.status !== 201) throw new Error(`POST ${path} answered ${r.status}`);
      }
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

/** The anchor: node:http answering with fixed bytes (per path), no routing, auth, validation or state. */
async function bareServer(bodies: Map<string, Buffer>): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const write = req.method === 'POST';
    req.resume();
    req.on('end', () => {
      const body = bodies.get(write ? 'POST' : req.url ?? '') ?? Buffer.from('{}');
      res.writeHead(write ? 201 : 200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

const api = await startTestApi('api-bench');
const { control } = api.t;
try {
  await createOrg(control, operator, { name: 'acme' });
  const token = (await createOrgToken(control, operator, 'acme', { name: 'bench' })).token;
  for (let n = 0; n < NODES; n++) await registerNode(control, operator, { name: `n${n}`, cores: 64, memoryBytes: 512 * GI, reservedMemoryBytes: GI });
  const acme = orgActor('acme');
  for (let a = 0; a < APPS; a++) {
    const name = `app-${a}`;
    await createApp(control, acme, { org: 'acme', name });
    await createRelease(control, acme, name, { image: IMAGE, processes: { web: { cpu: 0.25, memory: '128Mi', count: INSTANCES_PER_APP } } });
    await deploy(control, acme, name, 'prod', { release: 1 });
  }
  const port = Number(new URL(api.base).port);
  const paths = ['/v1/apps/app-200', '/v1/apps/app-200/instances'];
  const bodies = new Map<string, Buffer>();
  for (const p of paths) {
    const res = await fetch(`${api.base}${p}`, { headers: { authorization: `Bearer ${token}` } });
    bodies.set(p, Buffer.from(await res.arrayBuffer()));
  }
  const writeBody = (i: number): string => JSON.stringify({ name: `bench-${i}-${createHash('sha256').update(String(i)).digest('hex').slice(0, 8)}` });
  const postResponse = await fetch(`${api.base}/v1/orgs`, { method: 'POST', headers: { authorization: `Bearer ${api.operatorToken}`, 'content-type': 'application/json' }, body: writeBody(-1) });
  bodies.set('POST', Buffer.from(await postResponse.arrayBuffer()));
  const bare = await bareServer(bodies);

  const state = await control.read();
  console.log(`state: ${state.apps.size} apps, ${state.instances.size} instances, ${state.nodes.size} nodes, ${state.seq} events; ${REQUESTS} sequential keep-alive GETs per path`);
  console.log('');
  console.log('| request | bytes | p50 ms | p99 ms | anchor p50 ms | anchor p99 ms | p50 vs anchor | p99 vs anchor |');
  console.log('|---|---|---|---|---|---|---|---|');
  // Anchor and API back to back per path, so drift on a shared machine hits both alike.
  for (const p of paths) {
    const anchor = await latencies(bare.port, p, token);
    const mine = await latencies(port, p, token);
    const row = [pct(mine, 50), pct(mine, 99), pct(anchor, 50), pct(anchor, 99)];
    console.log(`| GET ${p} | ${bodies.get(p)!.length} | ${row.map((x) => x.toFixed(3)).join(' | ')} | ${(row[0]! / row[2]!).toFixed(2)}x | ${(row[1]! / row[3]!).toFixed(2)}x |`);
  }
  const anchorWrites = await writes(bare.port, '/v1/orgs', api.operatorToken, writeBody);
  const apiWrites = await writes(port, '/v1/orgs', api.operatorToken, writeBody);
  console.log('');
  console.log(`writes: ${WRITERS} closed-loop clients POST /v1/orgs (one durable append each, SQLite) for ${WRITE_SECONDS}s`);
  console.log(`| POST /v1/orgs | ${Math.round(apiWrites).toLocaleString('en-US')}/s | anchor (bare node:http, same clients) ${Math.round(anchorWrites).toLocaleString('en-US')}/s | ${(apiWrites / anchorWrites).toFixed(2)}x |`);
  await bare.close();
} finally {
  agent.destroy();
  await api.close();
}
