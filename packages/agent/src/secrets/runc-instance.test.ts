// End to end on this host (root): a runc instance joins the network namespace InstanceNetwork made and
// mounts the files SecretsStager staged, as the agent will wire them: it reads its secrets through
// platform-secrets-export, cannot write them, and answers the host on its internal port.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SecretEntry } from '@trc/core';
import { RoutedInstanceNetwork } from '../network/routed/routed-network.ts';
import { probeFromHost } from '../network/test-support/netns-tcp.ts';
import { detectCgroupLayout } from '../cgroups/layout.ts';
import { removeCgroup } from '../cgroups/limits.ts';
import { createRuncDriver, type RuncDriver } from '../runtime/runc/runc-driver.ts';
import { makeBusyboxRootfs } from '../test-support/rootfs.ts';
import { SecretsStager } from './secrets-stager.ts';

const isRoot = process.getuid?.() === 0;
const hasRunc = spawnSync('runc', ['--version']).status === 0;
const skip = !isRoot ? 'needs root' : !hasRunc ? 'needs runc (scripts/system-deps.sh installs it)' : false;
const tag = (process.pid % 36 ** 3).toString(36).padStart(3, '0');
const work = mkdtempSync(path.join(tmpdir(), 'trc-runc-secrets-'));
const secretsRoot = path.join(work, 'secrets');
const network = new RoutedInstanceNetwork();
const stager = new SecretsStager({ root: secretsRoot });
let driver: RuncDriver | undefined;
let mounted = false;
const ID = `sec-${process.pid}`;
const CGROUP_PARENT = `/trc-test-secrets-${process.pid}`;

const value = new TextEncoder().encode(`postgres://app:pw-${process.pid}@db/app`);
const bundle: SecretEntry[] = [{ key: 'DATABASE_URL', value }];
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

before(async () => {
  if (skip !== false) return;
  mkdirSync(secretsRoot);
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', secretsRoot]).status, 0);
  mounted = true;
  await network.setupNode({ subnet: `198.19.${process.pid % 250}.0/24`, table: `trc_r${tag}`, netnsPrefix: `trcr${tag}-`, interfacePrefix: `tr${tag}x`, stateDir: path.join(work, 'net') });
  driver = await createRuncDriver({ stateDir: path.join(work, 'runc'), cgroupParent: CGROUP_PARENT, pollMs: 50 });
});

after(async () => {
  if (driver !== undefined) {
    await driver.remove(ID, { force: true }).catch(() => undefined);
    await driver.close();
    await removeCgroup(await detectCgroupLayout('/'), CGROUP_PARENT).catch(() => undefined);
  }
  if (skip === false) {
    await stager.remove(ID).catch(() => undefined);
    await network.teardownNode().catch(() => undefined);
  }
  if (mounted) spawnSync('umount', [secretsRoot]);
  rmSync(work, { recursive: true, force: true });
});

// The instance prints the file's mode and owner, whether it could write it, and a hash of the exported
// value (never the value), then serves its name on port 8080.
const SCRIPT = `stat -c '%a %u %g' /run/secrets/platform.env
if (echo x > /run/secrets/platform.env) 2>/dev/null; then echo writable; else echo read-only; fi
set -a; eval "$(platform-secrets-export)"; set +a
printf %s "$DATABASE_URL" | sha256sum
echo ready
exec nc -ll -p 8080 -e echo instance`;

test('a runc instance in its namespace reads its secrets read-only at /run/secrets/platform.env and answers the host on its internal port', { skip }, async () => {
  const d = driver!;
  const rootfs = await makeBusyboxRootfs(work);
  const net = await network.attach(ID, 'org-a');
  const staged = await stager.stage(ID, bundle);
  await d.create({
    id: ID, rootfs, image: { env: ['PATH=/usr/bin:/bin'] }, command: ['sh', '-c', SCRIPT],
    resources: { cpu: 0.25, memory: 64 * 1024 * 1024 }, networkNamespace: net.netnsPath, mounts: [staged.directory, staged.exportScript],
  });
  await d.start(ID);
  let out = '';
  for (let i = 0; i < 100 && !out.includes('ready'); i++) {
    await sleep(50);
    out = await d.tail(ID, { stream: 'stdout' });
  }
  const [mode, writable, hash] = out.split('\n');
  assert.equal(mode, '400 0 0');
  assert.equal(writable, 'read-only');
  assert.equal(hash?.split(' ')[0], sha(value), 'the exported value equals the bundle value');
  assert.equal(await probeFromHost(net.address, 8080), 'ok:instance');
  await d.remove(ID, { force: true });
  await stager.remove(ID);
  await network.detach(ID);
  assert.ok(!existsSync(staged.directory.source) && !existsSync(net.netnsPath));
});
