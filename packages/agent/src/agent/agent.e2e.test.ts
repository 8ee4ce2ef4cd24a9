// The node agent end to end on this host (root): the real control plane program, a real docker-registry with
// a busybox image, the real agent with the runc driver, routed network and tmpfs secrets. Deploy, health,
// logs, a secret rotation rolling the instance, an OOM kill, cross-org isolation, and an agent restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectCgroupLayout } from '../cgroups/layout.ts';
import { detectFeatures, ociResources } from '../cgroups/limits.ts';
import { probeFrom, probeFromHost } from '../network/test-support/netns-tcp.ts';
import { startHarness, skipReason, type Harness } from '../test-support/agent-harness.ts';
import type { RunningAgent } from './assemble.ts';
import { IDENTITY_FILE } from './identity.ts';

const skip = skipReason;
const PLATFORM = new URL('../../../../bin/platform', import.meta.url).pathname;
let h: Harness;
let agent: RunningAgent | undefined;
let acme = '';
let globex = '';
const NODE = 'e2e-node';

interface Instance { id: string; app: string; desired: string; actual: string; bundleVersion: number; detail?: string; processType: string }

// Reads API_KEY through platform-secrets-export and serves its sha256 (never the value) on 8080.
const WEB = '/bin/busybox --install -s /bin 2>/dev/null; mkdir -p /www; set -a; eval "$(platform-secrets-export)"; set +a; '
  + 'printf %s "$API_KEY" | sha256sum | cut -c1-64 > /www/index.html; echo serving; exec httpd -f -p 8080 -h /www';
const toml = (s: string): string => JSON.stringify(s);
const SHOP = `app = "shop"
[processes.web]
cmd = ["/bin/sh", "-c", ${toml(WEB)}]
cpu = 0.5
memory = "64Mi"
port = 8080
[processes.web.health_check]
kind = "http"
path = "/index.html"
interval = "1s"
timeout = "500ms"
`;
// Allocates 128 MiB at a 32 MiB cap.
const HOG = `app = "hog"
[processes.worker]
cmd = ["/bin/busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1"]
memory = "32Mi"
cpu = 0.25
`;
const PEEK = `app = "peek"
[processes.web]
cmd = ["/bin/sh", "-c", ${toml('/bin/busybox --install -s /bin 2>/dev/null; exec nc -ll -p 8080 -e echo peek')}]
memory = "32Mi"
cpu = 0.25
port = 8080
[processes.web.health_check]
kind = "tcp"
interval = "1s"
timeout = "500ms"
`;

// Asynchronous: the agent under test serves from this very process, so a blocking spawn would starve it.
function platform(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PLATFORM, args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, XDG_CONFIG_HOME: h.work } }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

async function instances(app: string, token: string): Promise<Instance[]> {
  const res = await h.api('GET', `/v1/apps/${app}/instances`, token);
  assert.equal(res.status, 200, res.text);
  return res.body as Instance[];
}

async function status(a: RunningAgent): Promise<{ addresses: { id: string; address?: string }[] }> {
  const res = await fetch(`${a.adminUrl}/status`, { headers: { authorization: `Bearer ${a.adminToken}` }, signal: AbortSignal.timeout(5000) });
  return (await res.json()) as { addresses: { id: string; address?: string }[] };
}

async function addressOf(id: string): Promise<string> {
  return h.until(`the address of ${id}`, async () => (await status(agent!)).addresses.find((a) => a.id === id)?.address);
}

async function httpGet(address: string): Promise<string | undefined> {
  try {
    const res = await fetch(`http://${address}:8080/index.html`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? (await res.text()).trim() : undefined;
  } catch {
    return undefined;
  }
}

async function deploy(org: string, token: string, app: string, manifest: string, secrets?: Record<string, string>): Promise<void> {
  assert.equal((await h.api('POST', '/v1/apps', token, { org, name: app })).status, 201);
  if (secrets !== undefined) assert.equal((await h.api('PUT', `/v1/apps/${app}/envs/prod/secrets`, token, { values: secrets })).status, 200);
  const rel = await h.api('POST', `/v1/apps/${app}/releases`, token, { image: h.image, manifest });
  assert.equal(rel.status, 201, rel.text);
  const dep = await h.api('POST', `/v1/apps/${app}/envs/prod/deploys`, token, { release: 1 });
  assert.equal(dep.status, 201, dep.text);
}

const healthyOne = (app: string, token: string) => h.until(`a healthy instance of ${app}`, async () => (await instances(app, token)).find((i) => i.desired === 'running' && i.actual === 'healthy'), 45_000);

before(async () => {
  if (skip !== false) return;
  h = await startHarness('agent-e2e');
  const op = h.operator;
  await h.api('POST', '/v1/orgs', op, { name: 'acme' });
  await h.api('POST', '/v1/orgs', op, { name: 'globex' });
  acme = (await h.api('POST', '/v1/orgs/acme/tokens', op, { name: 'dev' })).body.token as string;
  globex = (await h.api('POST', '/v1/orgs/globex/tokens', op, { name: 'dev' })).body.token as string;
});

after(async () => {
  if (skip !== false) return;
  await h.close([agent]);
});

test('the agent joins with a join token, keeps its identity 0600, and reports cores, memory, reserved memory and runtime capabilities', { skip }, async () => {
  const join = (await h.api('POST', '/v1/join-tokens', h.operator, { name: 'rack' })).body.token as string;
  agent = await h.startAgent(NODE, { joinToken: join });
  const identity = path.join(h.config(NODE).stateDir, IDENTITY_FILE);
  assert.equal(statSync(identity).mode & 0o777, 0o600);
  assert.doesNotMatch(readFileSync(identity, 'utf8'), new RegExp(join));
  const nodes = (await h.api('GET', '/v1/nodes', h.operator)).body as { name: string; status: string; cores: number; memoryBytes: number; reservedMemoryBytes: number }[];
  assert.deepEqual(nodes.map((n) => [n.name, n.status, n.cores, n.memoryBytes, n.reservedMemoryBytes]), [[NODE, 'up', 4, 8 * 2 ** 30, 2 ** 30]]);
  const caps = (await h.api('GET', '/v1/node-capabilities', h.operator)).body as Record<string, { runtimes: string[]; network: string; cgroup: string; secrets: string }>;
  assert.deepEqual({ ...caps[NODE]!, cgroup: undefined, reportedAt: undefined }, { runtimes: ['runc'], network: 'routed', cgroup: undefined, secrets: 'tmpfs', reportedAt: undefined });
  assert.match(caps[NODE]!.cgroup, /^v[12]$/);
});

let firstWeb = '';

test('a deployed instance is pulled, networked, given its secrets file 0400 on tmpfs, run under runc with its cpu weight and memory cap, becomes healthy and answers from the host', { skip }, async () => {
  await deploy('acme', acme, 'shop', SHOP, { API_KEY: 'first-key' });
  const web = await healthyOne('shop', acme);
  firstWeb = web.id;
  const address = await addressOf(web.id);
  assert.equal(await httpGet(address), sha('first-key'));
  const secretsFile = path.join(h.config(NODE).secretsDir, web.id, 'platform.env');
  const st = statSync(secretsFile);
  assert.deepEqual([st.mode & 0o777, st.uid], [0o400, 0]);
  const oci = JSON.parse(readFileSync(path.join(h.config(NODE).stateDir, 'runtime', 'instances', web.id, 'config.json'), 'utf8')) as { linux: { resources: unknown; namespaces: { type: string; path?: string }[] } };
  // The process type's cpu (as a weight) and memory cap, as the runtime maps them for this host's cgroups.
  const layout = await detectCgroupLayout('/');
  const { devices: _devices, ...limits } = oci.linux.resources as Record<string, unknown>;
  assert.deepEqual(limits, JSON.parse(JSON.stringify(ociResources(layout.mode, { cpu: 0.5, memory: 64 * 2 ** 20 }, detectFeatures(layout)))));
  assert.match(JSON.stringify(oci.linux.resources), new RegExp(String(64 * 2 ** 20)));
  // Its own namespace, or one the node's pool had ready (../network/README.md).
  assert.match(oci.linux.namespaces.find((n) => n.type === 'network')?.path ?? '', new RegExp(`^/run/netns/${h.config(NODE).netnsPrefix}(${web.id}|_p[0-9a-z]+)$`));
});

/** The namespace an instance runs in, as its runtime spec names it (the instance's own, or a pooled one). */
function netnsOf(id: string): string {
  const oci = JSON.parse(readFileSync(path.join(h.config(NODE).stateDir, 'runtime', 'instances', id, 'config.json'), 'utf8')) as { linux: { namespaces: { type: string; path?: string }[] } };
  return path.basename(oci.linux.namespaces.find((n) => n.type === 'network')!.path!);
}

test('instance stdout is readable through the agent\'s admin endpoint and by platform logs with its token, and refused without', { skip }, async () => {
  const url = `${agent!.adminUrl}/logs/${firstWeb}?tail=1`;
  assert.equal((await fetch(url, { signal: AbortSignal.timeout(5000) })).status, 401);
  assert.equal((await fetch(url, { headers: { authorization: 'Bearer wrong' }, signal: AbortSignal.timeout(5000) })).status, 401);
  const text = await h.until('the log line', async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${agent!.adminToken}` }, signal: AbortSignal.timeout(5000) });
    const body = await res.text();
    return body === 'serving\n' ? body : undefined;
  });
  assert.equal(text, 'serving\n');
  assert.equal((await fetch(`${agent!.adminUrl}/logs/ins_0000000000000000`, { headers: { authorization: `Bearer ${agent!.adminToken}` }, signal: AbortSignal.timeout(5000) })).status, 404);
  // The same through the CLI, as an operator on the node runs it.
  const tokenFile = path.join(h.config(NODE).stateDir, 'admin.token');
  const cli = await platform(['logs', firstWeb, '--agent', agent!.adminUrl, '--agent-token-file', tokenFile, '--tail', '1']);
  assert.deepEqual([cli.status, cli.stdout], [0, 'serving\n'], cli.stderr);
  const missing = await platform(['logs', 'ins_0000000000000000', '--agent', agent!.adminUrl, '--agent-token-file', tokenFile]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /TRC_NOT_FOUND/);
});

test('a secret change rolls the instance: the new instance boots with the new file, the old one and its files are gone', { skip }, async () => {
  const oldAddress = await addressOf(firstWeb);
  const oldNetns = netnsOf(firstWeb);
  assert.equal((await h.api('PUT', '/v1/apps/shop/envs/prod/secrets', acme, { values: { API_KEY: 'second-key' } })).status, 200);
  const next = await h.until('the replacement instance healthy', async () => {
    const all = await instances('shop', acme);
    const fresh = all.find((i) => i.id !== firstWeb && i.desired === 'running' && i.actual === 'healthy');
    return fresh !== undefined && !all.some((i) => i.id === firstWeb) ? fresh : undefined;
  }, 60_000);
  assert.equal(next.bundleVersion, 2);
  const address = await addressOf(next.id);
  assert.equal(await httpGet(address), sha('second-key'));
  await h.until('the old instance removed from the node', async () => ((await agent!.driver.list()).some((i) => i.id === firstWeb) ? undefined : true));
  assert.equal(existsSync(path.join(h.config(NODE).secretsDir, firstWeb)), false);
  assert.equal(existsSync(`/run/netns/${oldNetns}`), false);
  if (oldAddress !== address) assert.equal(await httpGet(oldAddress), undefined);
  firstWeb = next.id;
});

test('an instance killed at its memory cap gives the "memory limit exceeded" event with the cap', { skip }, async () => {
  await deploy('acme', acme, 'hog', HOG);
  const event = await h.until('InstanceOomKilled', async () => {
    const res = await h.api('GET', '/v1/events?type=InstanceOomKilled&app=hog', acme);
    return (res.body as { payload: { message: string; memoryBytes: number } }[])[0];
  }, 45_000);
  assert.match(event.payload.message, /^memory limit exceeded: worker instance ins_[0-9a-f]+ used its whole 32Mi cap/);
  assert.equal(event.payload.memoryBytes, 32 * 2 ** 20);
});

let peekId = '';

test("two orgs' instances placed on the node cannot reach each other; the host reaches both", { skip }, async () => {
  await deploy('globex', globex, 'peek', PEEK);
  peekId = (await healthyOne('peek', globex)).id;
  const peekAddress = await addressOf(peekId);
  const shopAddress = await addressOf(firstWeb);
  assert.equal(await probeFromHost(peekAddress, 8080), 'ok:peek');
  assert.equal(await httpGet(shopAddress), sha('second-key'));
  assert.equal(await probeFrom(netnsOf(peekId), shopAddress, 8080), 'timeout');
  assert.equal(await probeFrom(netnsOf(firstWeb), peekAddress, 8080), 'timeout');
});

test('a restarted agent re-adopts its running instances (same pid, no duplicate) and reports one killed while it was away', { skip }, async () => {
  const before = await agent!.driver.inspect(firstWeb);
  const peek = await agent!.driver.inspect(peekId);
  assert.ok(before.pid !== undefined && peek.pid !== undefined);
  await agent!.close();
  agent = undefined;
  process.kill(peek.pid, 'SIGKILL');
  agent = await h.startAgent(NODE);
  assert.deepEqual(agent.adoption.running.find((i) => i.id === firstWeb), { id: firstWeb, pid: before.pid });
  const reported = await h.until('the killed instance reported', async () => (await instances('peek', globex)).find((i) => i.id === peekId && i.actual === 'exited'));
  assert.match(reported.detail ?? '', /SIGKILL|killed/);
  const shop = (await instances('shop', acme)).filter((i) => i.desired === 'running');
  assert.deepEqual(shop.map((i) => [i.id, i.actual]), [[firstWeb, 'healthy']]);
  // A few passes later still the one process, never started twice.
  await agent.agent.resync();
  await agent.agent.settled();
  const running = (await agent.driver.list()).filter((i) => i.state === 'running');
  assert.deepEqual(running.filter((i) => i.id === firstWeb).map((i) => i.pid), [before.pid]);
  assert.equal((await instances('shop', acme)).filter((i) => i.desired === 'running').length, 1);
  assert.equal(await httpGet(await addressOf(firstWeb)), sha('second-key'));
});

test('with no event stream the periodic resync still converges: a scale-up starts an instance, a scale-down stops and removes it', { skip }, async () => {
  await agent!.close();
  agent = await h.startAgent(NODE, { eventStream: false, resyncMs: 1000 });
  assert.equal((await h.api('PUT', '/v1/apps/shop/envs/prod/processes/web', acme, { count: 2 })).status, 200);
  const second = await h.until('a second healthy web instance', async () => (await instances('shop', acme)).find((i) => i.id !== firstWeb && i.desired === 'running' && i.actual === 'healthy'), 45_000);
  assert.equal(await httpGet(await addressOf(second.id)), sha('second-key'));
  assert.equal((await h.api('PUT', '/v1/apps/shop/envs/prod/processes/web', acme, { count: 1 })).status, 200);
  const gone = await h.until('one web instance stopped and removed', async () => {
    const running = (await instances('shop', acme)).filter((i) => i.desired === 'running');
    const onNode = (await agent!.driver.list()).filter((i) => i.id === firstWeb || i.id === second.id);
    return running.length === 1 && onNode.length === 1 ? onNode[0]!.id : undefined;
  }, 45_000);
  assert.equal((await instances('shop', acme)).find((i) => i.desired === 'running')?.id, gone);
});

test('an instance whose health check starts failing is reported unhealthy, and healthy again once it passes', { skip }, async () => {
  const web = (await instances('shop', acme)).find((i) => i.desired === 'running' && i.actual === 'healthy')!;
  // The instance's root is mounted in its own mount namespace only (the host-side overlay mount goes once it runs).
  const { pid } = await agent!.driver.inspect(web.id);
  const page = path.join('/proc', String(pid), 'root', 'www', 'index.html');
  const content = readFileSync(page);
  rmSync(page);
  const down = await h.until('unhealthy reported', async () => (await instances('shop', acme)).find((i) => i.id === web.id && i.actual === 'unhealthy'));
  assert.match(down.detail ?? '', /http GET \/index.html: 404/);
  writeFileSync(page, content);
  await h.until('healthy again', async () => (await instances('shop', acme)).find((i) => i.id === web.id && i.actual === 'healthy'));
});
