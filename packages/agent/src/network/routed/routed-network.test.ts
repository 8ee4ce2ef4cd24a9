// The routed node network on the real host (root): namespaces, veth pairs, routes and TRC's nft table,
// all under names and a subnet (198.18.x.0/24, the benchmarking range) unique to this run, removed after.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RoutedInstanceNetwork } from './routed-network.ts';
import type { InstanceAttachment, NodeNetworkConfig } from '../network.ts';
import { NETNS_DIR } from '../names.ts';
import { probeFrom, probeFromHost, startServer } from '../test-support/netns-tcp.ts';
import { ip, networkLeftovers } from '../test-support/leftovers.ts';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root (network namespaces, veth, nftables)';
const tag = (process.pid % 36 ** 3).toString(36).padStart(3, '0');
const work = mkdtempSync(path.join(tmpdir(), 'trc-net-'));
const config: NodeNetworkConfig = {
  subnet: `198.18.${process.pid % 250}.0/24`,
  table: `trc_t${tag}`,
  netnsPrefix: `trct${tag}-`,
  interfacePrefix: `tv${tag}x`,
  stateDir: path.join(work, 'state'),
  hostTcpPorts: [9],
};
const PORT = 8080;
const servers: ChildProcess[] = [];
let network: RoutedInstanceNetwork;
const at: Record<string, InstanceAttachment> = {};

const leftovers = (): string[] => networkLeftovers(config);

before(async () => {
  if (!isRoot) return;
  network = new RoutedInstanceNetwork();
  await network.setupNode(config);
  for (const [id, org] of [['a1', 'org-a'], ['a2', 'org-a'], ['b1', 'org-b']] as const) {
    at[id] = await network.attach(id, org);
    servers.push(await startServer(path.basename(at[id].netnsPath), id, PORT));
  }
});

after(async () => {
  for (const s of servers) s.kill('SIGKILL');
  // Whatever happened above, nothing of ours stays on the host.
  if (isRoot) {
    await network?.teardownNode().catch(() => undefined);
    for (const name of leftovers()) {
      if (name === config.table) spawnSync('/usr/sbin/nft', ['delete', 'table', 'inet', name]);
      else if (name.startsWith(config.netnsPrefix)) ip('netns', 'del', name);
      else ip('link', 'del', 'dev', name);
    }
  }
  rmSync(work, { recursive: true, force: true });
});

test('each instance gets its own namespace, a /32 address in the node subnet and the gateway .1', { skip }, () => {
  const prefix = config.subnet.replace(/\.0\/24$/, '.');
  assert.deepEqual(Object.values(at).map((a) => a.address).sort(), [`${prefix}2`, `${prefix}3`, `${prefix}4`]);
  for (const a of Object.values(at)) {
    assert.equal(a.gateway, `${prefix}1`);
    assert.equal(a.netnsPath, path.join(NETNS_DIR, `${config.netnsPrefix}${a.instanceId}`));
    assert.ok(existsSync(a.netnsPath));
    assert.match(ip('-n', path.basename(a.netnsPath), '-4', 'addr', 'show', 'dev', 'eth0'), new RegExp(`inet ${a.address.replaceAll('.', '\\.')}/32 `));
  }
});

test('same-org instances reach each other, other orgs cannot in either direction, the host reaches all three', { skip }, async () => {
  const ns = (id: string): string => path.basename(at[id]!.netnsPath);
  const [a1a2, a2a1, a1b1, b1a1, b1a2, ...host] = await Promise.all([
    probeFrom(ns('a1'), at.a2!.address, PORT),
    probeFrom(ns('a2'), at.a1!.address, PORT),
    probeFrom(ns('a1'), at.b1!.address, PORT),
    probeFrom(ns('b1'), at.a1!.address, PORT),
    probeFrom(ns('b1'), at.a2!.address, PORT),
    ...['a1', 'a2', 'b1'].map((id) => probeFromHost(at[id]!.address, PORT)),
  ]);
  assert.equal(a1a2, 'ok:a2');
  assert.equal(a2a1, 'ok:a1');
  assert.equal(a1b1, 'timeout', 'org A cannot reach org B');
  assert.equal(b1a1, 'timeout', 'org B cannot reach org A');
  assert.equal(b1a2, 'timeout');
  assert.deepEqual(host, ['ok:a1', 'ok:a2', 'ok:b1']);
});

test('an instance cannot open connections to the host except the listed ports, nor use another address', { skip }, async () => {
  const a1 = path.basename(at.a1!.netnsPath);
  // Nothing listens on the gateway: a refusal means the packet got through, a timeout that it was dropped.
  assert.equal(await probeFrom(a1, at.a1!.gateway, 22), 'timeout');
  assert.equal(await probeFrom(a1, at.a1!.gateway, 9), 'refused', 'port 9 is listed in hostTcpPorts');
  // With A2's address added inside B1, B1's packets from it are dropped before they are routed.
  const b1 = path.basename(at.b1!.netnsPath);
  ip('-n', b1, 'addr', 'add', `${at.a2!.address}/32`, 'dev', 'eth0');
  const spoof = spawnSync('/usr/sbin/ip', ['netns', 'exec', b1, process.execPath, '-e', `
    const s = require('node:net').connect({ host: '${at.a1!.address}', port: ${PORT}, localAddress: '${at.a2!.address}', timeout: 1000 });
    s.on('data', () => { console.log('reached'); process.exit(0); });
    s.on('timeout', () => { console.log('timeout'); process.exit(0); });
    s.on('error', (e) => { console.log(e.code); process.exit(0); });`], { encoding: 'utf8', timeout: 15_000 });
  ip('-n', b1, 'addr', 'del', `${at.a2!.address}/32`, 'dev', 'eth0');
  assert.equal(spoof.stdout.trim(), 'timeout');
});

test('attaching again returns the same attachment, another org is refused, ids are checked', { skip }, async () => {
  assert.deepEqual(await network.attach('a1', 'org-a'), at.a1);
  await assert.rejects(network.attach('a1', 'org-b'), { code: 'TRC_NETWORK_INSTANCE_CONFLICT' });
  await assert.rejects(network.attach('../x', 'org-a'), { code: 'TRC_RUNTIME_INSTANCE_ID_INVALID' });
});

test('a staged attach: the namespace exists when it resolves, complete gives what attach gives, and a second attach of the instance gets the same', { skip }, async () => {
  const staged = await network.attachStaged('s1', 'org-a');
  assert.ok(existsSync(staged.attachment.netnsPath));
  const [complete, again] = await Promise.all([staged.complete, network.attach('s1', 'org-a')]);
  assert.deepEqual(complete, staged.attachment);
  assert.deepEqual(again, staged.attachment);
  assert.match(ip('-n', path.basename(complete.netnsPath), '-4', 'addr', 'show', 'dev', 'eth0'), new RegExp(`inet ${complete.address.replaceAll('.', '\\.')}/32 `));
  await network.detach('s1');
  assert.equal(existsSync(staged.attachment.netnsPath), false);
});

test('six attaches at once (two new orgs, one instance asked twice) get distinct addresses, one org rule each, and isolation holds', { skip }, async () => {
  const ids = [['e1', 'org-e'], ['f1', 'org-f'], ['e2', 'org-e'], ['f2', 'org-f'], ['e3', 'org-e'], ['f3', 'org-f']] as const;
  const [again, ...burst] = await Promise.all([network.attach('e1', 'org-e'), ...ids.map(([id, org]) => network.attach(id, org))]);
  const got = Object.fromEntries(burst.map((a) => [a.instanceId, a]));
  assert.deepEqual(again, got.e1);
  const addresses = [...Object.values(at), ...burst].map((a) => a.address);
  assert.equal(new Set(addresses).size, addresses.length);
  for (const a of burst) assert.match(ip('-n', path.basename(a.netnsPath), '-4', 'addr', 'show', 'dev', 'eth0'), new RegExp(`inet ${a.address.replaceAll('.', '\\.')}/32 `));
  const chain = spawnSync('/usr/sbin/nft', ['list', 'chain', 'inet', config.table, 'between_instances'], { encoding: 'utf8' }).stdout;
  assert.equal(chain.match(/accept/g)?.length, 4, 'one accept rule per org (a, b, e, f)');
  for (const a of burst) servers.push(await startServer(path.basename(a.netnsPath), a.instanceId, PORT));
  const ns = (id: string): string => path.basename(got[id]!.netnsPath);
  const probes = await Promise.all([
    probeFrom(ns('e1'), got.e3!.address, PORT),
    probeFrom(ns('f3'), got.f1!.address, PORT),
    probeFrom(ns('e2'), got.f2!.address, PORT),
    probeFrom(ns('f1'), got.e1!.address, PORT),
    probeFrom(ns('e3'), at.a1!.address, PORT),
    ...burst.map((a) => probeFromHost(a.address, PORT)),
  ]);
  assert.deepEqual(probes, ['ok:e3', 'ok:f1', 'timeout', 'timeout', 'timeout', ...burst.map((a) => `ok:${a.instanceId}`)]);
  await Promise.all(ids.map(([id]) => network.detach(id)));
  for (const a of burst) assert.ok(!existsSync(a.netnsPath));
});

test('after an agent restart, reconcile keeps live instances (re-plumbing a lost veth), removes the rest and orphans, and isolation holds', { skip }, async () => {
  const orphan = `${config.netnsPrefix}orphan`;
  ip('netns', 'add', orphan);
  // d1's namespace vanishes while the agent is down (lost); a1 loses its veth, which is re-plumbed.
  const d1 = await network.attach('d1', 'org-d');
  ip('netns', 'del', path.basename(d1.netnsPath));
  ip('link', 'del', 'dev', at.a1!.hostInterface);
  const restarted = new RoutedInstanceNetwork();
  await restarted.setupNode(config);
  const live = [{ instanceId: 'a1', orgId: 'org-a' }, { instanceId: 'b1', orgId: 'org-b' }, { instanceId: 'c1', orgId: 'org-c' }, { instanceId: 'd1', orgId: 'org-d' }];
  const report = await restarted.reconcile(live);
  assert.deepEqual(report.kept.map((a) => a.instanceId), ['a1', 'b1']);
  assert.deepEqual(report.kept, [at.a1, at.b1]);
  assert.deepEqual(report.removed, ['a2']);
  assert.deepEqual(report.lost, ['d1']);
  assert.deepEqual(report.unknown, ['c1']);
  assert.deepEqual(report.orphans, [orphan]);
  assert.ok(!existsSync(at.a2!.netnsPath));
  assert.deepEqual(restarted.list().map((a) => a.instanceId), ['a1', 'b1']);
  network = restarted;
  // A new instance of org B takes a fresh address (A2's is reused last) and reaches B1 but not A1.
  const b2 = await network.attach('b2', 'org-b');
  assert.notEqual(b2.address, at.a2!.address);
  const b2ns = path.basename(b2.netnsPath);
  assert.deepEqual(await Promise.all([probeFrom(b2ns, at.b1!.address, PORT), probeFrom(b2ns, at.a1!.address, PORT), probeFromHost(at.a1!.address, PORT)]), ['ok:b1', 'timeout', 'ok:a1']);
});

test('detach and teardown leave no namespaces, interfaces or nft table behind', { skip }, async () => {
  await network.detach('b1');
  assert.ok(!existsSync(at.b1!.netnsPath));
  await network.detach('b1');
  assert.deepEqual(network.list().map((a) => a.instanceId), ['a1', 'b2']);
  await network.teardownNode();
  assert.deepEqual(leftovers(), []);
  assert.deepEqual(network.list(), []);
});
