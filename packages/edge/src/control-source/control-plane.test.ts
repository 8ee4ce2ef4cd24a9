// platform-edge in control-plane mode, end to end: the real control plane (bin/platform-control), the real
// edge process (bin/platform-edge --control), loopback backends run by a stand-in for the node agent that
// speaks the real node API. Routes, addresses and backends follow the control plane; nothing is dropped.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startControlPlane } from '../test-support/control-plane.ts';
import { startNodeStandIn } from '../test-support/node-stand-in.ts';
import { startProcess } from '../test-support/process.ts';
import { connectTo, freeAddress, roundTrip, startServer, type TestServer } from '../testing/loopback.ts';
import type { SocketAddress } from '../config/address.ts';
import type { EdgeStatus } from '../admin/status.ts';
import { HttpControlApi } from './control-client.ts';
import { ControlHealthReporter } from './health-reporter.ts';

const EDGE = resolve(import.meta.dirname, '../../../../bin/platform-edge');
const IMAGE = `registry.example/acme/web@sha256:${'a'.repeat(64)}`;
// Both process types have a 1s tcp check, so PROXY mismatches and dead backends show within a second or two.
const MANIFEST = `app = "shop"
[processes.web]
cmd = ["serve"]
memory = "64Mi"
count = 2
port = 8080
[processes.web.health_check]
kind = "tcp"
interval = "1s"
timeout = "500ms"
[processes.db]
cmd = ["db"]
memory = "64Mi"
count = 1
port = 5432
[processes.db.health_check]
kind = "tcp"
interval = "1s"
timeout = "500ms"
`;

/** web instances answer "<instance id>:<what they got>"; db instances echo, and do not speak PROXY. */
function backend(processType: string, id: string): Promise<TestServer> {
  return startServer('127.0.0.1', (s) => {
    s.on('data', (c: Buffer) => s.write(processType === 'web' ? `${id}:${c.toString()}` : c));
    s.on('end', () => s.end());
  });
}

const cp = await startControlPlane();
const op = cp.operatorToken;
await cp.request('POST', '/v1/orgs', { token: op, body: { name: 'acme' } });
const token = (await cp.request('POST', '/v1/orgs/acme/tokens', { token: op, body: { name: 'dev' } })).body.token as string;
await cp.request('POST', '/v1/apps', { token, body: { org: 'acme', name: 'shop' } });
assert.equal((await cp.request('POST', '/v1/apps/shop/releases', { token, body: { image: IMAGE, manifest: MANIFEST } })).status, 201);
const node = await startNodeStandIn(cp, 'n1', backend);
assert.equal((await cp.request('POST', '/v1/apps/shop/envs/prod/deploys', { token, body: { release: 1 } })).status, 201);
node.start();

const admin = await freeAddress();
const edge = await startProcess({
  name: 'platform-edge',
  command: EDGE,
  args: ['--control', cp.base, '--token', node.token, '--admin', `127.0.0.1:${admin.port}`, '--public-address', '127.0.0.1'],
  ready: [{ host: '127.0.0.1', port: admin.port }],
  maxLifetimeSec: 240,
});
after(async () => {
  await edge.stop();
  await node.stop();
  await cp.stop();
});

async function status(): Promise<EdgeStatus> {
  const res = await fetch(`http://127.0.0.1:${admin.port}/status`, { signal: AbortSignal.timeout(5_000) });
  return (await res.json()) as EdgeStatus;
}

/** Polls `check` every 50ms for at most `timeoutMs`; fails with the last edge status and outputs. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}\nedge status: ${JSON.stringify(await status().catch(() => null))}\nedge: ${edge.output().slice(-3000)}\ncontrol: ${cp.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const routeIn = async (name: string, backends?: number) => {
  const r = (await status()).routes.find((x) => x.name === name);
  return r !== undefined && (backends === undefined || r.backends.filter((b) => !b.reason.startsWith('draining')).length === backends) ? r : undefined;
};

/** One request and its answer on a connection that stays open. */
async function ask(s: Socket, text: string): Promise<string> {
  s.write(text);
  const [chunk] = (await once(s, 'data')) as [Buffer];
  return chunk.toString();
}

function refused(a: SocketAddress): Promise<boolean> {
  return new Promise((done) => {
    const s = connect({ host: a.host, port: a.port });
    s.once('connect', () => (s.destroy(), done(false)));
    s.once('error', () => done(true));
  });
}

/** Steady load: `workers` clients doing one short round trip after another until stopped (bounded in count). */
function load(listen: SocketAddress, workers = 4) {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const seen = new Set<string>();
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; running && i < 20_000; i++) {
      try {
        const reply = (await roundTrip(listen, `w${w}-${i}`)).toString();
        if (!reply.endsWith(`:w${w}-${i}`)) failures.push(`reply "${reply}"`);
        else {
          ok += 1;
          seen.add(reply.split(':')[0]!);
        }
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return {
    get ok() {
      return ok;
    },
    seen,
    failures,
    async stop() {
      running = false;
      await done;
    },
  };
}

const www = { host: '127.0.0.1', port: (await freeAddress()).port, family: 4 } as const;

test('routes and dedicated IPv4 addresses appear and disappear on the edge as the control plane changes', async () => {
  assert.equal((await cp.request('PUT', '/v1/apps/shop/envs/prod/routes/www', { token, body: { process: 'web', port: www.port } })).status, 201);
  const route = await eventually('www with two backends', () => routeIn('shop/prod/www', 2));
  assert.equal(route.listen, `127.0.0.1:${www.port}`);
  assert.match((await roundTrip(www, 'hello')).toString(), /^[a-z0-9_]+:hello$/);
  // Held open across every change below: other routes coming and going leave it alone.
  const held = await connectTo(www);
  const instance = (await ask(held, 'first')).split(':')[0]!;

  // A dedicated address from the pool (127.0.0.2 is loopback too): the route listens there and nowhere else.
  assert.equal((await cp.request('PUT', '/v1/ipv4-pool', { token: op, body: { addresses: ['127.0.0.2'] } })).status, 200);
  assert.equal((await cp.request('POST', '/v1/apps/shop/envs/prod/ipv4', { token })).status, 201);
  const alt = { host: '127.0.0.2', port: (await freeAddress()).port, family: 4 } as const;
  assert.equal((await cp.request('PUT', '/v1/apps/shop/envs/prod/routes/alt', { token, body: { process: 'web', port: alt.port, address: '127.0.0.2' } })).status, 201);
  assert.equal((await eventually('alt on its dedicated address', () => routeIn('shop/prod/alt', 2))).listen, `127.0.0.2:${alt.port}`);
  assert.match((await roundTrip(alt, 'there')).toString(), /:there$/);

  assert.equal((await cp.request('DELETE', '/v1/apps/shop/envs/prod/routes/alt', { token })).status, 204);
  await eventually('alt gone', async () => ((await routeIn('shop/prod/alt')) === undefined ? true : undefined));
  assert.ok(await eventually('alt refusing connections', async () => ((await refused(alt)) ? true : undefined)));
  assert.equal((await cp.request('DELETE', '/v1/apps/shop/ipv4/127.0.0.2', { token })).status, 204);
  // www is untouched by all of it, and so is the connection established before.
  assert.match((await roundTrip(www, 'still')).toString(), /:still$/);
  assert.equal(await ask(held, 'second'), `${instance}:second`);
  held.destroy();
});

test('a rolling restart through the control plane under steady load through the edge fails zero connections', async () => {
  await eventually('www ready', () => routeIn('shop/prod/www', 2));
  const before = new Set(node.running.keys());
  const traffic = load(www);
  await eventually('traffic flowing', async () => (traffic.ok > 20 ? true : undefined));
  // A secret change marks every running process type for a rolling restart; the control plane's reconciler
  // replaces one instance at a time, waiting for each replacement to be reported healthy.
  assert.equal((await cp.request('PUT', '/v1/apps/shop/envs/prod/secrets', { token, body: { values: { API_KEY: 'rotated' } } })).status, 200);
  await eventually('the restart completes', async () => {
    const env = (await cp.request('GET', '/v1/apps/shop/envs/prod', { token })).body as { restarts: Record<string, unknown> };
    const web = [...node.running.keys()].filter((id) => !before.has(id));
    return Object.keys(env.restarts).length === 0 && web.length >= 3 ? true : undefined;
  }, 60_000);
  const fresh = [...node.running.keys()].filter((id) => !before.has(id));
  await eventually('the edge on the new instances only', async () => {
    const r = await routeIn('shop/prod/www', 2);
    return r !== undefined && r.backends.filter((b) => !b.reason.startsWith('draining')).every((b) => [...node.running.values()].some((s) => `127.0.0.1:${s.address.port}` === b.address)) ? true : undefined;
  });
  const atEnd = traffic.ok;
  await eventually('more traffic on the new instances', async () => (traffic.ok > atEnd + 20 ? true : undefined));
  await traffic.stop();
  assert.deepEqual(traffic.failures, []);
  assert.ok(traffic.ok > 100, `only ${traffic.ok} round trips`);
  assert.ok(fresh.some((id) => traffic.seen.has(id)), 'no round trip reached a replacement instance');
});

test('a backend that does not speak PROXY on a v2 route becomes an event and shows in the route status with the PROXY reason', async () => {
  const pg = { host: '127.0.0.1', port: (await freeAddress()).port, family: 4 } as const;
  const created = await cp.request('PUT', '/v1/apps/shop/envs/prod/routes/pg', { token, body: { process: 'db', port: pg.port, proxy_protocol: 'v2', backend_expects_proxy_protocol: true } });
  assert.equal(created.status, 201, created.text);
  const shown = await eventually('the mismatch in the route status', async () => {
    const s = (await cp.request('GET', '/v1/apps/shop/routes/pg/status', { token })).body as { backends: { healthy: boolean | null; proxyMismatch: boolean; reason: string; edge: string }[] };
    return s.backends.length === 1 && s.backends[0]!.healthy === false ? s.backends[0]! : undefined;
  });
  assert.equal(shown.proxyMismatch, true);
  assert.match(shown.reason, /PROXY v2 mismatch/);
  assert.equal(shown.edge, 'n1');
  const events = (await cp.request('GET', '/v1/events?app=shop&type=RouteBackendMarkedUnhealthy', { token })).body as { payload: { route: string; proxyMismatch: boolean; reason: string } }[];
  assert.ok(events.some((e) => e.payload.route === 'pg' && e.payload.proxyMismatch && /PROXY/.test(e.payload.reason)), JSON.stringify(events));
  // The edge itself sends the route no connections meanwhile; /status says why.
  const route = await eventually('pg on the edge', () => routeIn('shop/prod/pg', 1));
  assert.match(route.backends[0]!.reason, /PROXY v2 mismatch/);
});

test('the edge survives a control-plane restart: no connection drops, and it follows the restarted control plane', async () => {
  await eventually('www ready', () => routeIn('shop/prod/www', 2));
  const traffic = load(www);
  await eventually('traffic flowing', async () => (traffic.ok > 20 ? true : undefined));
  const held = await connectTo(www);
  const instance = (await ask(held, 'before')).split(':')[0]!;
  await cp.restart();
  assert.equal(await ask(held, 'during'), `${instance}:during`);
  const afterRestart = traffic.ok;
  // A change made after the restart reaches the edge: its event stream reconnected.
  assert.equal((await cp.request('PUT', '/v1/apps/shop/envs/prod/processes/web', { token, body: { count: 3 } })).status, 200);
  await eventually('three backends after the restart', () => routeIn('shop/prod/www', 3), 30_000);
  await eventually('traffic still flowing', async () => (traffic.ok > afterRestart + 20 ? true : undefined));
  await traffic.stop();
  assert.deepEqual(traffic.failures, []);
  assert.equal(await ask(held, 'after'), `${instance}:after`);
  held.destroy();
  assert.match(edge.output(), /reconnecting/);
});

test('scaling a process from 3 to 1 under steady load through the edge fails zero connections: established ones finish on the draining instances, new ones land on the remaining one', async () => {
  await eventually('www with three backends', () => routeIn('shop/prod/www', 3), 30_000);
  type Listed = { id: string; processType: string; desired: string; drainingSince?: string };
  const listed = async (): Promise<Listed[]> => ((await cp.request('GET', '/v1/apps/shop/instances', { token })).body as Listed[]).filter((i) => i.processType === 'web' && i.desired === 'running');
  // An instance the rolling restart above drained may still be in its grace: only serving ones count here.
  const before = (await listed()).filter((i) => i.drainingSince === undefined).map((i) => i.id);
  assert.equal(before.length, 3);
  const traffic = load(www);
  await eventually('traffic flowing', async () => (traffic.ok > 20 ? true : undefined));
  // Long-lived connections established before the scale, at least one on each instance (bounded attempts).
  const held: { s: Socket; instance: string }[] = [];
  for (let i = 0; i < 40 && new Set(held.map((h) => h.instance)).size < 3; i++) {
    const s = await connectTo(www);
    held.push({ s, instance: (await ask(s, `open${i}`)).split(':')[0]! });
  }
  assert.equal(new Set(held.map((h) => h.instance)).size, 3, 'a held connection on every instance');

  assert.equal((await cp.request('PUT', '/v1/apps/shop/envs/prod/processes/web', { token, body: { count: 1 } })).status, 200);
  const after = (await listed()).filter((i) => before.includes(i.id));
  const draining = after.filter((i) => i.drainingSince !== undefined).map((i) => i.id);
  const kept = after.filter((i) => i.drainingSince === undefined).map((i) => i.id);
  assert.equal(draining.length, 2, 'the two scaled-down instances drain');
  assert.equal(kept.length, 1);

  // Each held connection keeps talking for about a second: a message every 50 ms, each answered by its instance.
  const failures: string[] = [];
  const within = <T>(p: Promise<T>): Promise<T> => Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('no answer within 5s')), 5_000).unref())]);
  const talking = Promise.all(held.map(async ({ s, instance }, n) => {
    try {
      for (let k = 0; k < 20; k++) {
        const reply = await within(ask(s, `held${n}-${k}`));
        if (reply !== `${instance}:held${n}-${k}`) throw new Error(`reply "${reply}"`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } catch (e) {
      failures.push(`held ${n} on ${instance}: ${(e as Error).message}`);
    } finally {
      s.destroy();
    }
  }));
  await eventually('the edge on the remaining instance only', () => routeIn('shop/prod/www', 1));
  for (let i = 0; i < 10; i++) assert.equal((await roundTrip(www, `new${i}`)).toString(), `${kept[0]}:new${i}`, 'a new connection lands on the remaining instance');
  await talking;
  assert.deepEqual(failures, []);

  // The node agent is asked to stop them only after the drain grace (the control plane's default 5 s).
  type Event = { type: string; time: string; payload: { instanceId: string; reason: string; graceMs?: number } };
  const events = await eventually('both drained instances asked to stop', async () => {
    const all = ((await cp.request('GET', '/v1/events?app=shop&type=InstanceDrainStarted,InstanceStopRequested&limit=1000', { token })).body as Event[]).filter((e) => draining.includes(e.payload.instanceId));
    return all.filter((e) => e.type === 'InstanceStopRequested').length === 2 ? all : undefined;
  });
  for (const id of draining) {
    const drain = events.find((e) => e.type === 'InstanceDrainStarted' && e.payload.instanceId === id)!;
    const stop = events.find((e) => e.type === 'InstanceStopRequested' && e.payload.instanceId === id)!;
    assert.deepEqual([drain.payload.reason, drain.payload.graceMs, stop.payload.reason], ['scale', 5_000, 'scale']);
    assert.ok(Date.parse(stop.time) - Date.parse(drain.time) >= 5_000, `${id} stopped ${Date.parse(stop.time) - Date.parse(drain.time)} ms after its drain started`);
  }
  await eventually('the drained instances stopped on the node', async () => (draining.every((id) => !node.running.has(id)) ? true : undefined));
  const atEnd = traffic.ok;
  await eventually('traffic still flowing', async () => (traffic.ok > atEnd + 20 ? true : undefined));
  await traffic.stop();
  assert.deepEqual(traffic.failures, []);
  assert.ok(traffic.seen.has(kept[0]!));
});

test('health reports wait in a bounded queue while the control plane is unreachable, never blocking, and are delivered once it is back; rejected ones are dropped', async () => {
  const live = (await eventually('www ready', () => routeIn('shop/prod/www'))).backends.map((b) => b.address);
  const [id, server] = [...node.running.entries()].find(([, s]) => live.includes(`127.0.0.1:${s.address.port}`))!;
  const address = `127.0.0.1:${server.address.port}`;
  const dropped: string[] = [];
  const reporter = new ControlHealthReporter(new HttpControlApi(cp.base, node.token), { maxQueued: 4, maxAttempts: 1000, backoffMinMs: 20, backoffMaxMs: 100, onDropped: (r, why) => dropped.push(`${r.reason} ${why}`) });
  await cp.halt();
  for (let i = 0; i < 10; i++) {
    // emit() returns at once: the health checkers and the data path never wait on the control plane.
    reporter.emit({ type: i % 2 === 0 ? 'BackendMarkedUnhealthy' : 'BackendMarkedHealthy', time: new Date().toISOString(), route: 'shop/prod/www', backend: address, reason: `verdict ${i}`, proxyMismatch: false });
  }
  assert.equal(reporter.pending, 4);
  assert.ok(dropped.length >= 5 && dropped.every((d) => / queue full$/.test(d)), dropped.join('\n'));
  await cp.resume();
  await eventually('the queue drained', async () => (reporter.pending === 0 ? true : undefined));
  // A report the control plane rejects (the route is gone) is dropped at once, not retried.
  reporter.emit({ type: 'BackendMarkedUnhealthy', time: new Date().toISOString(), route: 'shop/prod/gone', backend: address, reason: 'gone', proxyMismatch: false });
  await eventually('the rejected report dropped', async () => (dropped.some((d) => /^gone .*HTTP 404/.test(d)) && reporter.pending === 0 ? true : undefined), 5_000);
  await reporter.stop();
  const events = (await cp.request('GET', '/v1/events?app=shop&type=RouteBackendMarkedHealthy,RouteBackendMarkedUnhealthy&limit=1000', { token })).body as { payload: { reason: string; instanceId?: string } }[];
  const reasons = events.map((e) => e.payload.reason).filter((r) => r.startsWith('verdict '));
  // Exactly the four that fit the queue, in order; the dropped ones are never sent.
  assert.deepEqual(reasons, ['verdict 6', 'verdict 7', 'verdict 8', 'verdict 9']);
  // The edge process reports too (its own transitions); ours is found by its reason.
  assert.equal(events.findLast((e) => e.payload.reason === 'verdict 9')!.payload.instanceId, id);
  // The edge process itself reconnected to the resumed control plane and still serves.
  assert.match((await roundTrip(www, 'after')).toString(), /:after$/);
});

test('a token the control plane refuses stops platform-edge at start with exit code 2 and TRC_EDGE_CONTROL_REFUSED, never printing the token', async () => {
  const bogus = `trc_node_${'x'.repeat(43)}`;
  const adminPort = (await freeAddress()).port;
  const child = spawn(EDGE, ['--control', cp.base, '--token', bogus, '--admin', `127.0.0.1:${adminPort}`, '--public-address', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  child.stdout!.resume();
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 2);
  assert.match(err, /TRC_EDGE_CONTROL_REFUSED: the control plane refused the edge's token \(HTTP 401\)/);
  assert.ok(!err.includes(bogus));
  const usage = spawn(EDGE, ['--control', cp.base, '--routes', 'x.toml', '--admin', '127.0.0.1:1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let usageErr = '';
  usage.stderr!.on('data', (c: Buffer) => (usageErr += c.toString()));
  assert.equal(((await once(usage, 'exit')) as [number | null])[0], 2);
  assert.match(usageErr, /--routes: TRC_EDGE_USAGE: give either --routes \(standalone\) or --control/);
  assert.match(usageErr, /--token: TRC_EDGE_USAGE: is required/);
});
