// From the control plane's instance spec to what the agent runs: pinned image, command, resources, port,
// health check (tcp by default when a port is declared) and secrets access.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pinnedReference, planInstance } from './instance-plan.ts';
import type { InstanceSpecResponse } from './control-client.ts';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const spec = (manifest?: string, processType = 'web'): InstanceSpecResponse => ({
  id: 'ins_0123456789abcdef', app: 'shop', org: 'acme', env: 'prod', processType, release: 3, image: 'registry.example:5000/acme/shop:v1',
  digest: DIGEST, bundleVersion: 2, cpu: 0.5, memoryBytes: 64 * 2 ** 20, ...(manifest === undefined ? {} : { manifest }),
});

test('an image is always pulled by the digest the release pinned, whatever tag or digest its reference carried', () => {
  assert.equal(pinnedReference('registry.example:5000/acme/shop:v1', DIGEST), `registry.example:5000/acme/shop@${DIGEST}`);
  assert.equal(pinnedReference(`127.0.0.1:5000/e2e/busybox@sha256:${'d'.repeat(64)}`, DIGEST), `127.0.0.1:5000/e2e/busybox@${DIGEST}`);
  assert.equal(pinnedReference('busybox', DIGEST), `busybox@${DIGEST}`);
});

test('the plan takes cmd, port, health check and secrets mode from the manifest and the caps from the spec', () => {
  const manifest = `app = "shop"
[processes.web]
cmd = ["httpd", "-f"]
memory = "64Mi"
port = 8080
[processes.web.health_check]
kind = "http"
path = "/up"
interval = "1s"
timeout = "500ms"
[processes.worker]
cmd = "sleep 1"
memory = "64Mi"
[processes.api]
cmd = ["api"]
memory = "64Mi"
port = 9000
[secrets]
mode = "0440"
group = "app"
`;
  assert.deepEqual(planInstance(spec(manifest)), {
    id: 'ins_0123456789abcdef', org: 'acme', app: 'shop', processType: 'web', imageRef: `registry.example:5000/acme/shop@${DIGEST}`,
    resources: { cpu: 0.5, memory: 64 * 2 ** 20 }, command: ['httpd', '-f'], port: 8080,
    healthCheck: { kind: 'http', path: '/up', intervalMs: 1000, timeoutMs: 500 }, secrets: { mode: '0440', group: 'app' },
  });
  const worker = planInstance(spec(manifest, 'worker'));
  assert.deepEqual([worker.command, worker.port, worker.healthCheck], [['/bin/sh', '-c', 'sleep 1'], undefined, undefined]);
  assert.deepEqual(planInstance(spec(manifest, 'api')).healthCheck, { kind: 'tcp', intervalMs: 10_000, timeoutMs: 2_000 });
  assert.throws(() => planInstance(spec(manifest, 'cron')), { code: 'TRC_AGENT_INSTANCE_START_FAILED' });
});

test('a release without a manifest runs the image command, with no health check and root-only secrets', () => {
  const plan = planInstance(spec());
  assert.deepEqual([plan.command, plan.port, plan.healthCheck, plan.secrets], [undefined, undefined, undefined, { mode: '0400' }]);
});
