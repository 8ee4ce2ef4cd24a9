// InstanceStarter on this host (root): the real runc driver and routed network, with the control plane and
// the registry replaced by stand-ins (boundaries these tests do not cross). The network's last step, or the
// secrets' fetch, is held until runc waits at the gate, so a process that ran before its network would see
// no address, and one that ran before its secrets no file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderSecretsFile, TrcError } from '@trc/core';
import { detectCgroupLayout } from '../cgroups/layout.ts';
import { removeCgroup } from '../cgroups/limits.ts';
import type { PulledImage } from '../image/index.ts';
import type { InstanceNetwork, StagedAttachment } from '../network/network.ts';
import { RoutedInstanceNetwork } from '../network/routed/routed-network.ts';
import type { RootfsProvider } from '../rootfs/rootfs.ts';
import { createRuncDriver, type RuncDriver } from '../runtime/runc/runc-driver.ts';
import { SecretsStager } from '../secrets/secrets-stager.ts';
import { makeBusyboxRootfs } from '../test-support/rootfs.ts';
import { waitAtGate } from '../test-support/runc-gate.ts';
import type { ControlPlane } from './control-client.ts';
import type { InstancePlan } from './instance-plan.ts';
import { InstanceStarter, type PhaseTimings } from './instance-starter.ts';

const isRoot = process.getuid?.() === 0;
const hasRunc = spawnSync('runc', ['--version']).status === 0;
const skip = !isRoot ? 'needs root' : !hasRunc ? 'needs runc (scripts/system-deps.sh installs it)' : false;
const tag = (process.pid % 36 ** 3).toString(36).padStart(3, '0');
const work = mkdtempSync(path.join(tmpdir(), 'trc-starter-'));
const secretsRoot = path.join(work, 'secrets');
const CGROUP_PARENT = `/trc-test-starter-${process.pid}`;
const NETNS_PREFIX = `trcs${tag}-`;
const real = new RoutedInstanceNetwork();
let driver: RuncDriver | undefined;
let rootfs = '';
let mounted = false;

before(async () => {
  if (skip !== false) return;
  mkdirSync(secretsRoot);
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', secretsRoot]).status, 0);
  mounted = true;
  await real.setupNode({ subnet: `198.18.${process.pid % 250}.0/24`, table: `trc_s${tag}`, netnsPrefix: NETNS_PREFIX, interfacePrefix: `ts${tag}x`, stateDir: path.join(work, 'net') });
  driver = await createRuncDriver({ stateDir: path.join(work, 'runc'), cgroupParent: CGROUP_PARENT, pollMs: 20, gateTimeoutS: 20 });
  rootfs = await makeBusyboxRootfs(work);
});

after(async () => {
  if (driver !== undefined) {
    for (const info of await driver.list()) await driver.remove(info.id, { force: true }).catch(() => undefined);
    await driver.close();
    await removeCgroup(await detectCgroupLayout('/'), CGROUP_PARENT).catch(() => undefined);
  }
  if (skip === false) await real.teardownNode().catch(() => undefined);
  if (mounted) spawnSync('umount', [secretsRoot]);
  rmSync(work, { recursive: true, force: true });
});

/** Stand-in control plane: an empty secrets file, progress reports dropped. */
const control = {
  instanceSecrets: () => Promise.resolve(new TextEncoder().encode(renderSecretsFile([]))),
  reportPullProgress: () => Promise.resolve(),
} as unknown as ControlPlane;
const image = { manifestDigest: `sha256:${'0'.repeat(64)}`, layers: [], imageConfig: { os: 'linux', architecture: 'amd64', entrypoint: [], cmd: [], env: ['PATH=/bin'], user: '', workingDir: '' } } as unknown as PulledImage;
/** Stand-in registry: the image is "cached". */
const puller = { pull: () => Promise.resolve(image), unpack: () => Promise.resolve() } as unknown as ConstructorParameters<typeof InstanceStarter>[0]['puller'];
/** Every instance runs in the busybox tree directly (the overlay provider has its own tests). */
const provider: RootfsProvider = { kind: 'unpack', pathOf: () => rootfs, tree: () => Promise.resolve(undefined), close: () => Promise.resolve(), prepare: () => Promise.resolve(rootfs), started: () => Promise.resolve(), release: () => Promise.resolve() };

/** The routed network, with its last step held until runc waits at the instance's gate (then `finish`). */
function heldNetwork(finish: (id: string) => Promise<void>): InstanceNetwork {
  return {
    setupNode: (config) => real.setupNode(config),
    attach: (id, org) => real.attach(id, org),
    reconcile: (live) => real.reconcile(live),
    list: () => real.list(),
    namespacePath: (id) => real.namespacePath(id),
    teardownNode: () => real.teardownNode(),
    attachStaged: async (id: string, org: string): Promise<StagedAttachment> => {
      const staged = await real.attachStaged(id, org);
      const complete = (async () => {
        const attachment = await staged.complete;
        await waitAtGate(id);
        await finish(id);
        return attachment;
      })();
      complete.catch(() => undefined);
      return { attachment: staged.attachment, complete };
    },
    detach: (id: string) => real.detach(id),
  };
}

const plan = (id: string, script: string): InstancePlan => ({
  id, org: 'org-a', app: 'a', processType: 'web', imageRef: `stand-in@${image.manifestDigest}`, command: ['sh', '-c', script],
  resources: { cpu: 0.25, memory: 32 * 1024 * 1024 }, secrets: { mode: '0400' },
});

const starter = (network: InstanceNetwork, controlPlane: ControlPlane = control): InstanceStarter => new InstanceStarter({
  control: controlPlane, puller, driver: driver!, network, stager: new SecretsStager({ root: secretsRoot }), rootfsDir: path.join(work, 'roots'), rootfs: provider, log: () => undefined,
});

test('the process does not run before its network is attached: its first command sees its address and default route', { skip }, async () => {
  const id = `st-${process.pid}-1`;
  const s = starter(heldNetwork(() => Promise.resolve()));
  const timings: PhaseTimings = {};
  const attachment = await s.start(plan(id, 'ip -4 addr show dev eth0; ip route'), timings);
  await driver!.wait(id);
  const out = await driver!.tail(id, { stream: 'stdout' });
  assert.match(out, new RegExp(`inet ${attachment.address.replaceAll('.', '\\.')}/32`));
  assert.match(out, new RegExp(`default via ${attachment.gateway.replaceAll('.', '\\.')}`));
  assert.ok((timings.netns ?? Infinity) <= (timings.network ?? 0), 'the namespace is made before the rest of the network');
  await s.cleanup(id);
});

test('a failed attach fails the start with the attach error: the process never ran and no namespace, container or allocation is left', { skip }, async () => {
  const id = `st-${process.pid}-2`;
  const failure = new TrcError('TRC_NETWORK_COMMAND_FAILED', 'stand-in: nft refused the elements');
  const s = starter(heldNetwork(() => Promise.reject(failure)));
  await assert.rejects(s.start(plan(id, `touch /ran-${id}`), {}), (error: Error) => error === failure);
  assert.equal(existsSync(path.join(rootfs, `ran-${id}`)), false);
  await assert.rejects(driver!.inspect(id), { code: 'TRC_RUNTIME_INSTANCE_NOT_FOUND' });
  assert.equal(existsSync(path.join('/run/netns', `${NETNS_PREFIX}${id}`)), false);
  assert.equal(real.list().some((a) => a.instanceId === id), false);
  assert.equal(execFileSync('runc', ['--root', path.join(work, 'runc', 'runc'), 'list', '-q'], { encoding: 'utf8' }).split('\n').includes(id), false);
});

/** A control plane whose secrets answer only once runc holds the instance at its gate (then `answer`). */
function heldSecrets(answer: () => Promise<Uint8Array>): ControlPlane {
  return {
    instanceSecrets: async (id: string) => {
      await waitAtGate(id);
      return answer();
    },
    reportPullProgress: () => Promise.resolve(),
  } as unknown as ControlPlane;
}

const network = (): InstanceNetwork => heldNetwork(() => Promise.resolve());

test('the process does not run before its secrets file is staged: runc mounts the directory ahead and the first command reads the file', { skip }, async () => {
  const id = `st-${process.pid}-3`;
  const file = new TextEncoder().encode(renderSecretsFile([{ key: 'GREETING', value: new TextEncoder().encode('staged after the mount') }]));
  const s = starter(network(), heldSecrets(() => Promise.resolve(file)));
  const secrets = new SecretsStager({ root: secretsRoot });
  await s.start(plan(id, 'stat -c "%a %u" /run/secrets/platform.env; grep -c ^GREETING= /run/secrets/platform.env'), {});
  await driver!.wait(id);
  assert.equal(await driver!.tail(id, { stream: 'stdout' }), '400 0\n1\n');
  assert.ok(existsSync(secrets.pathOf(id)));
  await s.cleanup(id);
  assert.equal(existsSync(secrets.directoryOf(id)), false, 'the cleanup removes the file and its directory');
});

test('a failed secrets fetch fails the start with its error: the process never ran and no secrets directory, container or namespace is left', { skip }, async () => {
  const id = `st-${process.pid}-4`;
  const failure = new TrcError('TRC_AGENT_CONTROL_UNAVAILABLE', 'stand-in: the control plane did not answer');
  const s = starter(network(), heldSecrets(() => Promise.reject(failure)));
  await assert.rejects(s.start(plan(id, `touch /ran-${id}`), {}), (error: Error) => error === failure);
  assert.equal(existsSync(path.join(rootfs, `ran-${id}`)), false);
  assert.equal(existsSync(new SecretsStager({ root: secretsRoot }).directoryOf(id)), false);
  await assert.rejects(driver!.inspect(id), { code: 'TRC_RUNTIME_INSTANCE_NOT_FOUND' });
  assert.equal(existsSync(path.join('/run/netns', `${NETNS_PREFIX}${id}`)), false);
});
