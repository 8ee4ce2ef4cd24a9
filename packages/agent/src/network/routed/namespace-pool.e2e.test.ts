// The routed network's namespace pool on the real host (root): taken and refilled, exhausted, disabled,
// across an agent restart, and torn down, under names and a subnet unique to this run.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RoutedInstanceNetwork } from './routed-network.ts';
import type { NodeNetworkConfig } from '../network.ts';
import { probeFrom, probeFromHost, startServer } from '../test-support/netns-tcp.ts';
import { ip, networkLeftovers } from '../test-support/leftovers.ts';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root (network namespaces, veth, nftables)';
const tag = ((process.pid + 7) % 36 ** 3).toString(36).padStart(3, '0');
const work = mkdtempSync(path.join(tmpdir(), 'trc-pool-'));
const config: NodeNetworkConfig = {
  // 198.19.x by pid is shared with runc-instance.test.ts; offset so one process's two files never collide.
  subnet: `198.19.${(process.pid + 125) % 250}.0/24`,
  table: `trc_p${tag}`,
  netnsPrefix: `trcp${tag}-`,
  interfacePrefix: `tp${tag}x`,
  stateDir: path.join(work, 'state'),
};
const PORT = 8080;
const servers: ChildProcess[] = [];
const networks: RoutedInstanceNetwork[] = [];

const leftovers = (): string[] => networkLeftovers(config);
const pooledNs = (): string[] => leftovers().filter((n) => n.startsWith(`${config.netnsPrefix}_p`));
const addressOf = (netnsPath: string): string => ip('-n', path.basename(netnsPath), '-4', 'addr', 'show', 'dev', 'eth0');

/** Polls (bounded: 5 s) until the pool has `n` entries ready. */
async function poolReaches(network: RoutedInstanceNetwork, n: number): Promise<void> {
  for (let i = 0; i < 100 && network.pooled !== n; i++) await sleep(50);
  assert.equal(network.pooled, n);
}

let idle = true;
function makeNetwork(poolSize: number): RoutedInstanceNetwork {
  const network = new RoutedInstanceNetwork({ poolSize, poolDelayMs: 20, poolIdle: () => idle });
  networks.push(network);
  return network;
}

after(async () => {
  for (const s of servers) s.kill('SIGKILL');
  if (isRoot) {
    await networks.at(-1)?.teardownNode().catch(() => undefined);
    for (const name of leftovers()) {
      if (name === config.table) spawnSync('/usr/sbin/nft', ['delete', 'table', 'inet', name]);
      else if (name.startsWith(config.netnsPrefix)) ip('netns', 'del', name);
      else ip('link', 'del', 'dev', name);
    }
  }
  rmSync(work, { recursive: true, force: true });
});

test('a pooled namespace is taken by one attach, gets its address, routes and org rules, and the pool refills once idle', { skip }, async () => {
  const network = makeNetwork(2);
  await network.setupNode(config);
  await network.fillPool();
  assert.equal(network.pooled, 2);
  assert.deepEqual(pooledNs(), [`${config.netnsPrefix}_p0`, `${config.netnsPrefix}_p1`]);
  idle = false;
  const stagedX = network.attachStaged('x1', 'org-x');
  const attachY = network.attach('y1', 'org-y');
  // Named from the call on, before the allocation is saved: the runtime's spec is written meanwhile.
  const early = network.namespacePath('x1');
  assert.match(path.basename(early), new RegExp(`^${config.netnsPrefix}_p[01]$`));
  const staged = await stagedX;
  assert.equal(staged.pooled, true);
  assert.deepEqual([network.namespacePath('x1'), staged.attachment.netnsPath], [early, early]);
  const [x1, y1] = await Promise.all([staged.complete, attachY]);
  assert.equal(network.pooled, 0);
  // Each took its own entry: two distinct pooled namespaces and interfaces, recorded as the attachment.
  assert.deepEqual([x1.netnsPath, y1.netnsPath].map((p) => path.basename(p)).sort(), [`${config.netnsPrefix}_p0`, `${config.netnsPrefix}_p1`]);
  assert.notEqual(x1.hostInterface, y1.hostInterface);
  assert.equal(network.namespacePath('x1'), x1.netnsPath);
  assert.match(addressOf(x1.netnsPath), new RegExp(`inet ${x1.address.replaceAll('.', '\\.')}/32 `));
  servers.push(await startServer(path.basename(x1.netnsPath), 'x1', PORT), await startServer(path.basename(y1.netnsPath), 'y1', PORT));
  // The rules are per instance address and org, as without the pool: orgs stay apart.
  assert.deepEqual(await Promise.all([probeFromHost(x1.address, PORT), probeFromHost(y1.address, PORT), probeFrom(path.basename(x1.netnsPath), y1.address, PORT), probeFrom(path.basename(y1.netnsPath), x1.address, PORT)]), ['ok:x1', 'ok:y1', 'timeout', 'timeout']);
  // Not refilled while the node is starting something; refilled once it is idle, in slots no instance holds.
  await sleep(100);
  assert.equal(network.pooled, 0);
  idle = true;
  await network.attach('x1', 'org-x');
  await poolReaches(network, 2);
  assert.deepEqual(pooledNs(), [`${config.netnsPrefix}_p0`, `${config.netnsPrefix}_p1`, `${config.netnsPrefix}_p2`, `${config.netnsPrefix}_p3`]);
});

test('with the pool exhausted an attach makes its namespace as before; a detached pooled instance leaves no device and does not go back to the pool', { skip }, async () => {
  const network = networks.at(-1)!;
  idle = false;
  const burst = await Promise.all(['z1', 'z2', 'z3'].map((id) => network.attach(id, 'org-x')));
  const names = burst.map((a) => path.basename(a.netnsPath));
  assert.equal(names.filter((n) => n.startsWith(`${config.netnsPrefix}_p`)).length, 2);
  assert.equal(names.filter((n) => n.startsWith(`${config.netnsPrefix}z`)).length, 1, 'the third made its own');
  for (const a of burst) assert.match(addressOf(a.netnsPath), new RegExp(`inet ${a.address.replaceAll('.', '\\.')}/32 `));
  assert.deepEqual(await Promise.all(burst.map((a) => probeFromHost(a.address, PORT))), burst.map(() => 'refused'));
  const pooled = burst.find((a) => path.basename(a.netnsPath).startsWith(`${config.netnsPrefix}_p`))!;
  await network.detach(pooled.instanceId);
  assert.ok(!existsSync(pooled.netnsPath));
  assert.ok(!leftovers().includes(pooled.hostInterface));
  assert.equal(network.pooled, 0);
  for (const a of burst) if (a !== pooled) await network.detach(a.instanceId);
});

test('after an agent restart the old pool entries are deleted, never handed out again; a live pooled instance is kept; the new pool takes free slots', { skip }, async () => {
  const before = networks.at(-1)!;
  idle = true;
  await before.fillPool();
  assert.equal(before.pooled, 2);
  const x1 = before.list().find((a) => a.instanceId === 'x1')!;
  const y1 = before.list().find((a) => a.instanceId === 'y1')!;
  const leftoverPool = pooledNs().filter((n) => n !== path.basename(x1.netnsPath) && n !== path.basename(y1.netnsPath));
  assert.equal(leftoverPool.length, 2);
  idle = false;
  const restarted = makeNetwork(2);
  await restarted.setupNode(config);
  const report = await restarted.reconcile([{ instanceId: 'x1', orgId: 'org-x' }]);
  assert.deepEqual(report.kept, [x1]);
  assert.deepEqual(report.removed, ['y1']);
  for (const n of leftoverPool) assert.ok(report.orphans.includes(n), `${n} deleted`);
  assert.deepEqual(pooledNs(), [path.basename(x1.netnsPath)]);
  assert.equal(await probeFromHost(x1.address, PORT), 'ok:x1');
  await restarted.fillPool();
  const refilled = pooledNs();
  assert.equal(refilled.length, 3);
  const fresh = await restarted.attach('w1', 'org-w');
  assert.notEqual(fresh.netnsPath, x1.netnsPath);
  assert.ok(refilled.includes(path.basename(fresh.netnsPath)));
  assert.equal(await probeFrom(path.basename(fresh.netnsPath), x1.address, PORT), 'timeout');
});

test('teardown deletes the pool with everything else', { skip }, async () => {
  await networks.at(-1)!.teardownNode();
  assert.deepEqual(leftovers(), []);
});

test('a pool of 0 is disabled: attaches make their own namespaces and nothing is pre-made', { skip }, async () => {
  const network = makeNetwork(0);
  await network.setupNode({ ...config, stateDir: path.join(work, 'state0') });
  await network.fillPool();
  assert.equal(network.pooled, 0);
  const a = await network.attach('v1', 'org-v');
  assert.equal(path.basename(a.netnsPath), `${config.netnsPrefix}v1`);
  assert.deepEqual(pooledNs(), []);
  await network.teardownNode();
  assert.deepEqual(leftovers(), []);
});
