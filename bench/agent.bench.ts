// Node agent (root): time from a deploy the control plane accepted to the first instance passing its health
// check, image cached, split by phase (placement + delivery, spec, pull/root, network, secrets, runc
// create/start, health), and the instance start rate on one node. Anchors, same run, interleaved: `runc run
// --detach` of the same bundle by hand (bare), and the same after making the instance's network by hand
// (bare+net). Targets: (a) start path <= 1.2x bare+net, (b) burst start rate >= 0.83x the bare rate.
// The agent runs with its default namespace pool (DEFAULT_NETNS_POOL, refilled while no start is in
// progress): each line says how many starts took a pooled namespace; a burst larger than the pool makes
// the rest afresh. TRC_BENCH_NETNS_POOL=N runs with another pool size (0: none, the fourth round's path).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { startHarness, skipReason, type Harness } from '../packages/agent/src/test-support/agent-harness.ts';
import { DEFAULT_NETNS_POOL, type RunningAgent } from '../packages/agent/src/agent/assemble.ts';
import { detectCgroupLayout } from '../packages/agent/src/cgroups/layout.ts';
import { removeCgroup } from '../packages/agent/src/cgroups/limits.ts';
import type { PhaseTimings } from '../packages/agent/src/agent/instance-starter.ts';

const ROUNDS = 15;
const BURST = 6;
/** Bursts measured (one scale request each, on a fresh app), interleaved with the bare bursts; medians. */
const BURSTS = 5;
// The applets are called through /bin/busybox, not installed as links first: `busybox --install` makes ~400
// links, ~100 ms of CPU in each fresh instance root (ext4 inode allocation under the overlay), which a burst's
// later starts then competed with, while the bare anchor's one plain root had them from its first run on.
const WEB = '/bin/busybox mkdir -p /www; echo ok > /www/index.html; exec /bin/busybox httpd -f -p 8080 -h /www';
const manifest = (app: string): string => `app = "${app}"
[processes.web]
cmd = ["/bin/sh", "-c", ${JSON.stringify(WEB)}]
cpu = 0.25
memory = "32Mi"
port = 8080
[processes.web.health_check]
kind = "http"
path = "/index.html"
interval = "1s"
timeout = "500ms"
`;

const POOL = process.env.TRC_BENCH_NETNS_POOL === undefined ? DEFAULT_NETNS_POOL : Number(process.env.TRC_BENCH_NETNS_POOL);
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number): string => ms.toFixed(1);

if (skipReason !== false) {
  console.log(`agent bench skipped: ${skipReason}`);
  process.exit(0);
}

const healthy = new Map<string, { at: number; timings: PhaseTimings }>();
let h: Harness | undefined;
let agent: RunningAgent | undefined;
try {
  h = await startHarness('agent-bench');
  const harness = h;
  const op = h.operator;
  await h.api('POST', '/v1/orgs', op, { name: 'bench' });
  const token = (await h.api('POST', '/v1/orgs/bench/tokens', op, { name: 'b' })).body.token as string;
  const join = (await h.api('POST', '/v1/join-tokens', op, { name: 'rack' })).body.token as string;
  agent = await h.startAgent('bench-node', { joinToken: join, netnsPool: POOL, onHealthy: (id, timings) => healthy.set(id, { at: performance.now(), timings: { ...timings } }) });

  const instancesOf = async (app: string): Promise<{ id: string; actual: string; desired: string }[]> => (await harness.api('GET', `/v1/apps/${app}/instances`, token)).body as { id: string; actual: string; desired: string }[];
  const deployApp = async (app: string): Promise<number> => {
    await harness.api('POST', '/v1/apps', token, { org: 'bench', name: app });
    await harness.api('POST', `/v1/apps/${app}/releases`, token, { image: harness.image, manifest: manifest(app) });
    const res = await harness.api('POST', `/v1/apps/${app}/envs/prod/deploys`, token, { release: 1 });
    if (res.status !== 201) throw new Error(`deploy: ${res.text}`);
    return performance.now();
  };
  // A node idle for a moment has its pool full; the bench's own anchors (spawnSync in this process) stall
  // the in-process agent's refill, so each measured start waits for it (bounded) as an idle node would have.
  // The pool-exhausted case is the run with TRC_BENCH_NETNS_POOL=0.
  const poolFull = async (): Promise<void> => {
    for (let i = 0; i < 100 && agent!.network.pooled < POOL; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  const healthyIds = async (app: string, count: number): Promise<string[]> => harness.until(`${count} healthy ${app}`, async () => {
    const ids = (await instancesOf(app)).filter((i) => i.desired === 'running').map((i) => i.id).filter((id) => healthy.has(id));
    return ids.length >= count ? ids : undefined;
  }, 60_000);

  // Warm-up: the first pull fills the blob cache; every measured round runs from the cache.
  await deployApp('warm');
  await healthyIds('warm', 1);

  const rounds: (PhaseTimings & { total: number; placement: number })[] = [];
  const platformRound = async (r: number): Promise<string> => {
    const app = `first-${r}`;
    await poolFull();
    const accepted = await deployApp(app);
    const [id] = await healthyIds(app, 1);
    const { at, timings } = healthy.get(id!)!;
    const total = at - accepted;
    // The phases overlap (pull, namespace and secrets fetch; the rest of the network with secrets, create and
    // start): the agent times the whole start path as one span, spec fetch to running process.
    rounds.push({ ...timings, total, placement: total - (timings.path ?? 0) - (timings.health ?? 0) });
    return id!;
  };

  // Bare runc: the same bundle (the config.json the driver wrote, a plain copy of the image's tree as its
  // root, its own cgroup), by hand. Two anchors: runc alone in a network namespace runc makes empty
  // (`bare`), and runc joining a namespace first given the instance's network by hand, with the two
  // `ip -batch` commands the agent itself uses, minus state file and nft (`bare+net`).
  const sample = await platformRound(0);
  const stateDir = h.config('bench-node').stateDir;
  const bundle = path.join(h.work, 'bare-bundle');
  mkdirSync(bundle);
  const config = JSON.parse(readFileSync(path.join(stateDir, 'runtime', 'instances', sample, 'config.json'), 'utf8')) as { hooks?: unknown; root: { path: string }; linux: { cgroupsPath: string; namespaces: { type: string; path?: string }[] }; mounts: { destination: string }[] };
  const rootfs = path.join(bundle, 'rootfs');
  // The instance's own root is mounted only inside it; the image's shared tree is the same content. Each bare
  // run gets a fresh copy, made before its timer starts, as each instance gets a fresh root: what the app
  // writes at its start (its /www) costs it the same on both sides, not once for all bare runs.
  const images = path.join(stateDir, 'rootfs', '.images');
  const tree = readdirSync(images).find((n) => !n.startsWith('.'));
  const imageTree = tree === undefined ? config.root.path : path.join(images, tree);
  const freshRoot = (): void => {
    rmSync(rootfs, { recursive: true, force: true });
    cpSync(imageTree, rootfs, { recursive: true, verbatimSymlinks: true });
  };
  config.root.path = rootfs;
  // The gate hook is the platform's (it holds the process until the network is complete): by hand, the
  // network is complete before runc starts.
  delete config.hooks;
  config.mounts = config.mounts.filter((m) => !m.destination.startsWith('/run/secrets') && m.destination !== '/usr/bin/platform-secrets-export');
  const runcRoot = path.join(h.work, 'bare-runc');
  const node = h.config('bench-node');
  const net = { ns: `${node.netnsPrefix}bare`, host: `${node.interfacePrefix}zb`, gw: node.subnet.replace(/\.0\/\d+$/, '.1'), address: node.subnet.replace(/\.0\/\d+$/, '.254') };
  // runc's stdio is never a pipe: the detached container would hold it open, and spawnSync waits for its end.
  const must = (file: string, args: string[], input?: string): void => {
    const r = spawnSync(file, args, { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', file === 'runc' ? 'ignore' : 'pipe'], timeout: 30_000 });
    if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${r.stderr?.toString() ?? r.status}`);
  };
  let bareCount = 0;
  const bare = (withNetwork: boolean): number => {
    const id = `bare-${process.pid}-${bareCount++}`;
    config.linux.cgroupsPath = `/trc-bench-bare-${process.pid}/${id}`;
    config.linux.namespaces = config.linux.namespaces.map((n) => (n.type === 'network' ? (withNetwork ? { type: 'network', path: `/run/netns/${net.ns}` } : { type: 'network' }) : n));
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
    freshRoot();
    const t0 = performance.now();
    if (withNetwork) {
      must('ip', ['-batch', '-'], `netns add ${net.ns}\nlink add ${net.host} type veth peer name eth0 netns ${net.ns}\naddr add ${net.gw}/32 dev ${net.host}\nlink set dev ${net.host} up\nroute add ${net.address}/32 dev ${net.host} scope link src ${net.gw}\n`);
      must('ip', ['-n', net.ns, '-batch', '-'], `link set dev lo up\naddr add ${net.address}/32 dev eth0\nlink set dev eth0 up\nroute add ${net.gw} dev eth0 scope link\nroute add default via ${net.gw} dev eth0\n`);
    }
    must('runc', ['--root', runcRoot, 'run', '--detach', '--bundle', bundle, id]);
    const ms = performance.now() - t0;
    spawnSync('runc', ['--root', runcRoot, 'delete', '--force', id], { stdio: 'ignore', timeout: 30_000 });
    if (withNetwork) {
      spawnSync('ip', ['link', 'del', 'dev', net.host], { stdio: 'ignore', timeout: 30_000 });
      spawnSync('ip', ['netns', 'del', net.ns], { stdio: 'ignore', timeout: 30_000 });
    }
    return ms;
  };
  // Interleaved, so a machine busy with something else weighs on both sides alike.
  const bareTimes: number[] = [];
  const bareNetTimes: number[] = [];
  for (let r = 1; r < ROUNDS; r++) {
    bareTimes.push(bare(false));
    await platformRound(r);
    bareNetTimes.push(bare(true));
  }
  bareTimes.push(bare(false));
  bareNetTimes.push(bare(true));
  const bareOne = median(bareTimes);
  const bareNet = median(bareNetTimes);
  // Starts only: each container is deleted after its start is timed, which the platform's burst does not do.
  const bareBurst = (withNetwork: boolean): number => {
    let ms = 0;
    for (let i = 0; i < BURST; i++) ms += bare(withNetwork);
    return ms;
  };

  // Start rate through the platform: one scale request, BURST new instances on the one node, until all healthy.
  // Started = healthy minus its health wait: what the bare anchor measures (its containers are never probed).
  // The phases of concurrent starts overlap, so "healthy minus the phases" says nothing of when a start began:
  // the first instance started is the latency figure.
  const platformBurst = async (k: number): Promise<{ started: number; healthy: number; first: number; pooled: number; firstBegan: number }> => {
    const app = `rate-${k}`;
    await deployApp(app);
    await healthyIds(app, 1);
    await poolFull();
    const scaled = performance.now();
    const res = await harness.api('PUT', `/v1/apps/${app}/envs/prod/processes/web`, token, { count: BURST + 1 });
    if (res.status !== 200) throw new Error(`scale: ${res.text}`);
    await healthyIds(app, BURST + 1);
    const ids = (await instancesOf(app)).map((i) => i.id).filter((id) => (healthy.get(id)?.at ?? 0) > scaled);
    const startedAt = ids.map((id) => healthy.get(id)!.at - (healthy.get(id)!.timings.health ?? 0));
    const pooled = ids.reduce((n, id) => n + (healthy.get(id)!.timings.pooled ?? 0), 0);
    // When the agent began the first start (its spec fetch): the scale request's way through the control plane
    // (placement, events) to the agent, before any start work on the node.
    const firstBegan = Math.min(...ids.map((id, i) => startedAt[i]! - (healthy.get(id)!.timings.path ?? 0))) - scaled;
    return { started: Math.max(...startedAt) - scaled, healthy: Math.max(...ids.map((id) => healthy.get(id)!.at)) - scaled, first: Math.min(...startedAt) - scaled, pooled, firstBegan };
  };
  const bursts: { started: number; healthy: number; first: number; pooled: number; firstBegan: number }[] = [];
  const bareBursts: number[] = [];
  const bareNetBursts: number[] = [];
  for (let k = 0; k < BURSTS; k++) {
    bareBursts.push(bareBurst(false));
    bursts.push(await platformBurst(k));
    bareNetBursts.push(bareBurst(true));
  }
  const platformBurstStarted = median(bursts.map((b) => b.started));

  const col = (key: keyof (typeof rounds)[number]): number => median(rounds.map((r) => (r[key] as number | undefined) ?? 0));
  const createStart = median(rounds.map((r) => (r.create ?? 0) + (r.start ?? 0)));
  console.log(`\nagent: deploy accepted -> first instance healthy (image cached), median of ${ROUNDS} rounds, ms; namespace pool of ${POOL}${POOL === DEFAULT_NETNS_POOL ? ' (the default)' : ` (the default is ${DEFAULT_NETNS_POOL})`}`);
  console.log(`rounds that took a pooled namespace: ${rounds.filter((r) => r.pooled === 1).length} of ${rounds.length}; whole start path by round: ${rounds.map((r) => `${fmt(r.path ?? 0)}${r.pooled === 1 ? ' (pooled)' : ' (fresh)'}`).join(', ')}`);
  console.log(`bare+net by round: ${bareNetTimes.map(fmt).join(', ')}; bare by round: ${bareTimes.map(fmt).join(', ')}`);
  console.log('| phase | ms |');
  console.log('|---|---|');
  for (const [label, key] of [
    ['placement + event delivery + reports', 'placement'],
    ['instance spec (carried by the assignment; a fetch only without it)', 'spec'],
    ['pull (cached) + root (overlaps the namespace and the secrets fetch)', 'pull'],
    ['  network namespace made (or taken from the pool)', 'netns'],
    ['  network complete (from the same start; overlaps secrets, create, start)', 'network'],
    ['secrets stage', 'secrets'],
    ['runc create', 'create'],
    ['runc start (held at the gate until the network and the secrets are in place)', 'start'],
    ['whole start path, spec .. running (one span)', 'path'],
    ['health (first passing probe)', 'health'],
    ['total: deploy accepted -> healthy', 'total'],
  ] as const) console.log(`| ${label} | ${fmt(col(key))} |`);
  const path_ = col('path');
  const rate = (n: number, ms: number): string => `${(n / (ms / 1000)).toFixed(1)}/s`;
  const bareB = median(bareBursts);
  const bareNetB = median(bareNetBursts);
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  console.log(`\nanchors, same run, interleaved with the rounds (median of ${bareTimes.length}):`);
  console.log(`  bare: \`runc run --detach\` of the same bundle: ${fmt(bareOne)} ms`);
  console.log(`  bare+net: the same, joining a namespace given the instance's network by hand (2 ip -batch): ${fmt(bareNet)} ms`);
  console.log(`  bare burst: ${BURST} sequential bare starts: ${fmt(bareB)} ms = ${rate(BURST, bareB)}; bare+net burst: ${fmt(bareNetB)} ms = ${rate(BURST, bareNetB)}`);
  console.log(`\n(a) whole start path, spec .. running (one span, health excluded): ${fmt(path_)} ms`);
  console.log(`    = ${(path_ / bareNet).toFixed(2)}x bare+net (target <= 1.20x: ${verdict(path_ / bareNet <= 1.2)}); ${(path_ / bareOne).toFixed(2)}x bare`);
  console.log(`    (runc create + start through the driver alone: ${fmt(createStart)} ms = ${(createStart / bareOne).toFixed(2)}x bare)`);
  console.log(`(b) start rate, one scale request for ${BURST} new instances on one node (median of ${BURSTS} bursts): ${BURST} started in ${fmt(platformBurstStarted)} ms = ${rate(BURST, platformBurstStarted)}`);
  console.log(`    = ${(bareB / platformBurstStarted).toFixed(2)}x the bare rate (target >= 0.83x: ${verdict(bareB / platformBurstStarted >= 1 / 1.2)}); ${(bareNetB / platformBurstStarted).toFixed(2)}x the bare+net rate (target >= 0.83x: ${verdict(bareNetB / platformBurstStarted >= 1 / 1.2)})`);
  console.log(`    each burst: ${bursts.map((b) => `${fmt(b.started)} started (${b.pooled} of ${BURST} pooled), ${fmt(b.healthy)} healthy, first started ${fmt(b.first)}, first start began ${fmt(b.firstBegan)}`).join('; ')}`);
  console.log(`(c) deploy accepted -> first healthy: ${fmt(col('total'))} ms, by phase in the table above`);
} finally {
  if (h !== undefined) await h.close([agent]);
  await removeCgroup(await detectCgroupLayout('/'), `/trc-bench-bare-${process.pid}`).catch(() => undefined);
}
