// Edge proxy vs HAProxy 2.6 (`mode tcp`, `send-proxy-v2`), both in front of the same PROXY-v2 backend, in
// one run: bulk throughput, new connections per second, p50/p99 round trip of 64-byte messages, and resident
// memory per idle connection. The load generator runs in its own process and is also measured directly
// against the backend (the ceiling), which shows whether it, rather than the proxy, is the limit. Two
// minimal Node proxies (the Node floor) are measured for bulk throughput only, in the same rounds.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import process from 'node:process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { EDGE_BIN, startEdge } from '../packages/edge/src/test-support/edge.ts';
import { startHaproxy } from '../packages/edge/src/test-support/haproxy.ts';
import { freePort } from '../packages/edge/src/test-support/ports.ts';
import { startProcess, type RunningProcess } from '../packages/edge/src/test-support/process.ts';
import type { Scenario } from '../packages/edge/src/test-support/bench-load.ts';

const SUPPORT = resolve(import.meta.dirname, '../packages/edge/src/test-support');
const WANTED_IDLE = 10_000;

/**
 * The open-file limit for every spawned process: 65536 when we may raise it, else the hard limit we have
 * (raising it needs CAP_SYS_RESOURCE). A proxy holds two descriptors per connection, so the idle count
 * shrinks to fit a low limit, and the report says so.
 */
function fileLimit(): number {
  if (spawnSync('prlimit', ['--nofile=65536:65536', 'true']).status === 0) return 65536;
  const hard = /Max open files\s+\d+\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return hard === undefined ? 1024 : Number(hard);
}
const LIMIT = fileLimit();
const NOFILE = ['prlimit', `--nofile=${LIMIT}:${LIMIT}`];
const IDLE_CONNECTIONS = Math.min(WANTED_IDLE, Math.floor((LIMIT - 256) / 2 / 100) * 100);
const HAPROXY_THREADS = 1;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CONNRATE_GENERATORS = Number(process.env.CONNRATE_GENERATORS ?? 2);

interface Target {
  readonly name: string;
  readonly echo: number;
  readonly sink: number;
  /** Whether the generator sends the PROXY header itself (only when it talks to the backend directly). */
  readonly local: boolean;
  readonly process?: RunningProcess;
  /** Only the bulk throughput is measured (the Node floor). */
  readonly throughputOnly?: boolean;
}

/** Runs a scenario in `processes` generator processes at once and adds up their rates. */
async function loadParallel(scenario: Scenario, processes: number): Promise<Record<string, number>> {
  const all = await Promise.all(Array.from({ length: processes }, () => load(scenario)));
  const sum = (key: string): number => all.reduce((a, r) => a + (r[key] ?? 0), 0);
  return { perSecond: sum('perSecond'), failed: sum('failed'), connections: sum('connections') };
}

/** Runs one scenario in a fresh generator process; resolves with its last JSON line. */
function load(scenario: Scenario, timeoutMs = 60_000): Promise<Record<string, number>> {
  const child = spawn(NOFILE[0]!, [...NOFILE.slice(1), process.execPath, resolve(SUPPORT, 'bench-load.ts'), JSON.stringify(scenario)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((ok, fail) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) fail(new Error(`load generator (${scenario.kind}) exited ${code}: ${out}`));
      else ok(JSON.parse(last) as Record<string, number>);
    });
  });
}

/** The pids of a process and all its descendants (an edge with worker processes counts whole). */
function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++) if (p === root) return true;
    return false;
  };
  return [...parent.keys()].filter(inTree);
}

function sumOverTree(root: number, read: (pid: number) => number): number {
  let total = 0;
  for (const pid of processTree(root)) {
    try {
      total += read(pid);
    } catch {
      // gone
    }
  }
  return total;
}

/** VmRSS in KiB of a process tree. */
function treeRssKb(root: number): number {
  return sumOverTree(root, (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0));
}

/**
 * CPU time (user + system) in ms a process tree has used. Unlike rates, CPU per unit of work barely depends
 * on what else the machine runs, so it explains a rate gap on a busy host.
 */
function treeCpuMs(root: number): number {
  const ticks = sumOverTree(root, (pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  });
  return (ticks * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);

/** Opens IDLE_CONNECTIONS through the target and returns the proxy's resident memory growth per connection. */
async function idleMemory(target: Target): Promise<{ perConnectionKb: number; open: number; beforeKb: number; afterKb: number }> {
  const pid = target.process!.pid;
  await sleep(300);
  const beforeKb = treeRssKb(pid);
  const scenario: Scenario = { kind: 'idle', port: target.echo, local: false, connections: IDLE_CONNECTIONS, batch: 250 };
  const child = spawn(NOFILE[0]!, [...NOFILE.slice(1), process.execPath, resolve(SUPPORT, 'bench-load.ts'), JSON.stringify(scenario)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  try {
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((ok, fail) => {
      lines.once('line', ok);
      child.once('exit', (code) => fail(new Error(`idle generator exited ${code}`)));
    });
    const { open } = JSON.parse(first) as { open: number };
    await sleep(500);
    const afterKb = treeRssKb(pid);
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
    return { perConnectionKb: (afterKb - beforeKb) / Math.max(1, open), open, beforeKb, afterKb };
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
}

function haproxyConfig(front: { echo: number; sink: number }, back: { echo: number; sink: number }): string {
  return `global
  maxconn ${Math.floor((LIMIT - 200) / 2)}
  nbthread ${HAPROXY_THREADS}
  log stderr format raw local0 err
defaults
  mode tcp
  timeout connect 5s
  timeout client 120s
  timeout server 120s
frontend echo
  bind 127.0.0.1:${front.echo}
  default_backend echo
frontend sink
  bind 127.0.0.1:${front.sink}
  default_backend sink
backend echo
  server echo 127.0.0.1:${back.echo} send-proxy-v2
backend sink
  server sink 127.0.0.1:${back.sink} send-proxy-v2
`;
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

async function main(): Promise<void> {
  const back = { echo: await freePort(), sink: await freePort() };
  const hap = { echo: await freePort(), sink: await freePort() };
  const edgePorts = { echo: await freePort(), sink: await freePort() };
  const started: RunningProcess[] = [];
  try {
    const backend = await startProcess({
      name: 'backend',
      command: NOFILE[0]!,
      args: [...NOFILE.slice(1), process.execPath, resolve(SUPPORT, 'bench-backend.ts'), String(back.echo), String(back.sink)],
      ready: [{ host: '127.0.0.1', port: back.echo }, { host: '127.0.0.1', port: back.sink }],
    });
    started.push(backend);
    const haproxy = await startHaproxy({ config: haproxyConfig(hap, back), ready: [{ host: '127.0.0.1', port: hap.echo }], wrapper: NOFILE });
    started.push(haproxy);
    const targets: Target[] = [
      { name: 'ceiling', ...back, local: true },
      { name: 'haproxy', ...hap, local: false, process: haproxy },
    ];
    if (existsSync(EDGE_BIN)) {
      const edge = await startEdge({
        wrapper: NOFILE,
        routes: (['echo', 'sink'] as const).map((r) => ({
          name: r,
          listen: { host: '127.0.0.1', port: edgePorts[r] },
          backends: [{ host: '127.0.0.1', port: back[r] }],
          proxyProtocol: 'v2' as const,
        })),
      });
      started.push(edge);
      targets.push({ name: 'edge', ...edgePorts, local: false, process: edge });
      // The Node floor: the smallest Node proxy, reading as Node does and into a reused buffer, to tell the
      // edge's own cost per byte from Node's (proxy/PERFORMANCE.md).
      for (const mode of ['alloc', 'reuse'] as const) {
        const port = await freePort();
        const floor = await startProcess({
          name: `node-floor-${mode}`,
          command: NOFILE[0]!,
          args: [...NOFILE.slice(1), process.execPath, resolve(SUPPORT, 'bench-node-floor.ts'), String(port), String(back.sink), mode],
          ready: [{ host: '127.0.0.1', port }],
        });
        started.push(floor);
        targets.push({ name: `floor-${mode}`, echo: port, sink: port, local: false, process: floor, throughputOnly: true });
      }
    } else {
      console.log(`edge: ${EDGE_BIN} does not exist yet; measuring the ceiling and HAProxy only`);
    }
    console.log(`machine: ${readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length} CPUs; HAProxy nbthread ${HAPROXY_THREADS}; loopback only; open-file limit ${LIMIT}`);
    if (IDLE_CONNECTIONS < WANTED_IDLE) {
      console.log(`NOTE: the open-file hard limit is ${LIMIT} and cannot be raised here (no CAP_SYS_RESOURCE), so the idle-memory figure uses ${IDLE_CONNECTIONS} connections instead of ${WANTED_IDLE}`);
    }

    const results = new Map<string, Record<string, number>>();
    const samples = new Map<string, number[]>();
    const put = (target: string, key: string, value: number): void => {
      results.set(target, { ...results.get(target), [key]: value });
    };
    const sample = (target: string, key: string, value: number): void => {
      const list = samples.get(`${target}.${key}`) ?? [];
      list.push(value);
      samples.set(`${target}.${key}`, list);
    };
    // Idle memory first, on fresh processes: after the load runs a garbage-collected heap has slack that
    // would absorb the new connections and hide their cost.
    for (const t of targets) {
      if (t.process === undefined || t.throughputOnly === true) continue;
      const mem = await idleMemory(t);
      put(t.name, 'idleOpen', mem.open);
      put(t.name, 'kbPerIdle', mem.perConnectionKb);
      put(t.name, 'rssBeforeMb', mem.beforeKb / 1024);
      put(t.name, 'rssAfterMb', mem.afterKb / 1024);
    }
    for (const t of targets) {
      // Warm-up: JIT, socket buffers, HAProxy pools.
      await load({ kind: 'throughput', port: t.sink, local: t.local, connections: 2, bytesPerConnection: 32 << 20 });
    }
    // Rounds interleave the targets, and each figure is the median of its rounds, so a burst of other work
    // on the machine hits every target alike instead of skewing one.
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const cpu = (): number => (t.process === undefined ? 0 : treeCpuMs(t.process.pid));
        let cpuBefore = cpu();
        const tp = await load({ kind: 'throughput', port: t.sink, local: t.local, connections: 4, bytesPerConnection: 128 << 20 });
        if (tp.bytes !== tp.expected) throw new Error(`${t.name}: the backend got ${tp.bytes} of ${tp.expected} bytes`);
        sample(t.name, 'throughputMBps', tp.bytesPerSecond! / 1e6);
        if (t.process !== undefined) sample(t.name, 'cpuMsPerGiB', (cpu() - cpuBefore) / (tp.bytes! / 2 ** 30));
        if (t.throughputOnly === true) continue;
        cpuBefore = cpu();
        const cr = await loadParallel({ kind: 'connrate', port: t.echo, local: t.local, concurrency: 16, durationMs: 2000 }, CONNRATE_GENERATORS);
        sample(t.name, 'connPerSecond', cr.perSecond!);
        if (t.process !== undefined) sample(t.name, 'cpuUsPerConn', ((cpu() - cpuBefore) * 1000) / Math.max(1, cr.connections!));
        sample(t.name, 'connFailed', cr.failed!);
        const lat = await load({ kind: 'latency', port: t.echo, local: t.local, warmup: 2000, iterations: 20_000 });
        sample(t.name, 'p50us', lat.p50us!);
        sample(t.name, 'p99us', lat.p99us!);
      }
    }
    for (const [key, list] of samples) {
      const [target, figure] = key.split('.') as [string, string];
      const sorted = [...list].sort((a, b) => a - b);
      put(target, figure, figure === 'connFailed' ? list.reduce((a, b) => a + b, 0) : sorted[Math.floor(sorted.length / 2)]!);
      put(target, `${figure}Min`, sorted[0]!);
      put(target, `${figure}Max`, sorted[sorted.length - 1]!);
    }
    for (const t of targets) if (t.process !== undefined) put(t.name, 'rssEndMb', treeRssKb(t.process.pid) / 1024);
    report(results);
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
}

function report(results: Map<string, Record<string, number>>): void {
  const c = results.get('ceiling')!;
  const h = results.get('haproxy')!;
  const e = results.get('edge');
  console.log(`\nmedians of ${ROUNDS} interleaved rounds`);
  console.log('| figure | ceiling (generator -> backend) | HAProxy 2.6 | edge | edge/HAProxy | target | verdict |');
  console.log('|---|---|---|---|---|---|---|');
  const row = (figure: string, key: string, digits: number, target: string, ok?: (ratio: number) => boolean): void => {
    const ratio = e === undefined ? undefined : e[key]! / h[key]!;
    const verdict = ratio === undefined || ok === undefined ? '' : ok(ratio) ? 'met' : 'MISSED';
    console.log(`| ${figure} | ${c[key] === undefined ? '-' : fmt(c[key]!, digits)} | ${fmt(h[key]!, digits)} | ${e === undefined ? 'n/a' : fmt(e[key]!, digits)} | ${ratio === undefined ? 'n/a' : fmt(ratio, 2)} | ${target} | ${verdict} |`);
  };
  row('bulk throughput, MB/s (4 connections x 128 MiB)', 'throughputMBps', 0, '>= 0.9x', (r) => r >= 0.9);
  row(`new connections/s (${CONNRATE_GENERATORS} generators x 16 concurrent, 32-byte echo)`, 'connPerSecond', 0, '>= 0.5x', (r) => r >= 0.5);
  row('round trip p50, us (64-byte messages)', 'p50us', 1, '(info)');
  row('round trip p99, us (64-byte messages)', 'p99us', 1, '<= 1.25x', (r) => r <= 1.25);
  row('proxy CPU time per GiB forwarded, ms (diagnostic)', 'cpuMsPerGiB', 0, '(info)');
  row('proxy CPU time per connection, us (diagnostic)', 'cpuUsPerConn', 0, '(info)');
  row(`memory per idle connection, KiB (${IDLE_CONNECTIONS} idle)`, 'kbPerIdle', 2, '<= 2x', (r) => r <= 2);
  console.log('');
  for (const [name, r] of results) {
    if (name.startsWith('floor-')) continue;
    if (r.idleOpen !== undefined) console.log(`${name}: RSS ${fmt(r.rssBeforeMb!)} MiB at start, ${fmt(r.rssAfterMb!)} MiB holding ${r.idleOpen} idle connections, ${fmt(r.rssEndMb!)} MiB after the load runs`);
    const spread = (key: string, digits: number): string => `${fmt(r[`${key}Min`]!, digits)}-${fmt(r[`${key}Max`]!, digits)}`;
    console.log(`${name}: range over ${ROUNDS} rounds: throughput ${spread('throughputMBps', 0)} MB/s, connections ${spread('connPerSecond', 0)}/s, p50 ${spread('p50us', 1)} us, p99 ${spread('p99us', 1)} us`);
    if (r.connFailed !== undefined && r.connFailed > 0) console.log(`${name}: ${r.connFailed} connections failed in the connection-rate run`);
  }
  const share = (key: string, target: Record<string, number>): string => `${fmt((100 * target[key]!) / c[key]!, 0)}%`;
  console.log(`generator headroom: HAProxy reaches ${share('throughputMBps', h)} of the ceiling's throughput and ${share('connPerSecond', h)} of its connection rate${e === undefined ? '' : `; the edge ${share('throughputMBps', e)} and ${share('connPerSecond', e)}`}`);
  for (const [key, figure] of [['throughputMBps', 'throughput'], ['connPerSecond', 'connection rate']] as const) {
    if (h[key]! > 0.8 * c[key]!) {
      console.log(`WARNING: HAProxy's ${figure} is within 20% of the ceiling, so the generator and backend may be what limits it; the edge/HAProxy ${figure} ratio is then an upper bound (the edge's true ratio may be lower).`);
    }
  }
  for (const mode of ['alloc', 'reuse'] as const) {
    const f = results.get(`floor-${mode}`);
    if (f === undefined) continue;
    const what = mode === 'alloc' ? 'reading as Node does (a new 64 KiB buffer per read)' : 'reading into one reused buffer (via the accepted socket fd: a measurement fixture only)';
    console.log(`Node floor, ${what}: ${fmt(f.throughputMBps!, 0)} MB/s (${fmt(f.throughputMBps! / h.throughputMBps!, 2)}x HAProxy), ${fmt(f.cpuMsPerGiB!, 0)} ms CPU per GiB (${fmt(f.cpuMsPerGiB! / h.cpuMsPerGiB!, 2)}x)`);
  }
  if (e !== undefined) {
    // A single-threaded proxy with a core of its own is CPU-bound: its rate is then about 1 / (CPU per unit).
    console.log(`CPU-bound projection (a core per proxy): edge/HAProxy throughput ~${fmt(h.cpuMsPerGiB! / e.cpuMsPerGiB!, 2)}, connection rate ~${fmt(h.cpuUsPerConn! / e.cpuUsPerConn!, 2)}`);
  }
}

await main();
