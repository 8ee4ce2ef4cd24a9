// The playbook (docs/proxy-protocol.md) stays true: its config snippets are accepted by the manifest and
// routes-file parsers, the acknowledgement is enforced as it says, and every example it lists exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkManifest } from '@trc/core/manifest/manifest';
import { parseRoutesFile } from '../config/routes-file.ts';

const DOCS = resolve(import.meta.dirname, '../../../../docs');
const playbook = readFileSync(resolve(DOCS, 'proxy-protocol.md'), 'utf8');
const tomlBlocks = [...playbook.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1]!);

test('the playbook platform.toml snippet is a valid v2 route, and without backend_expects_proxy_protocol it is refused with TRC_ROUTE_PROXY_UNACKNOWLEDGED', () => {
  const manifest = tomlBlocks.find((b) => b.includes('[routes.web]'));
  assert.ok(manifest !== undefined);
  const parsed = checkManifest(manifest, 'platform.toml');
  assert.ok(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.error.toJSON()));
  assert.equal(parsed.value.routes.web?.proxyProtocol, 'v2');
  const unacknowledged = checkManifest(manifest.replace('backend_expects_proxy_protocol = true\n', ''), 'platform.toml');
  assert.equal(unacknowledged.ok, false);
  assert.ok(!unacknowledged.ok && unacknowledged.error.problems.some((p) => p.code === 'TRC_ROUTE_PROXY_UNACKNOWLEDGED'));
});

test('the playbook routes-file snippet is accepted by platform-edge, and refused without the acknowledgement', () => {
  const routes = tomlBlocks.find((b) => b.includes('[[routes]]'));
  assert.ok(routes !== undefined);
  const parsed = parseRoutesFile(routes, 'routes.toml');
  assert.ok(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.error.toJSON()));
  const refused = parseRoutesFile(routes.replace('backend_expects_proxy_protocol = true\n', ''), 'routes.toml');
  assert.ok(!refused.ok && JSON.stringify(refused.error.toJSON()).includes('TRC_ROUTE_PROXY_UNACKNOWLEDGED'));
});

test('every example the playbook links exists, and the untested ones say so in the file', () => {
  const linked = [...playbook.matchAll(/\]\((examples\/proxy-protocol\/[^)]+)\)/g)].map((m) => m[1]!);
  assert.deepEqual(new Set(linked), new Set(['examples/proxy-protocol/nginx.conf', 'examples/proxy-protocol/haproxy.cfg', 'examples/proxy-protocol/Caddyfile', 'examples/proxy-protocol/envoy.yaml']));
  for (const file of linked) assert.ok(existsSync(resolve(DOCS, file)), file);
  for (const file of ['Caddyfile', 'envoy.yaml']) assert.match(readFileSync(resolve(DOCS, 'examples/proxy-protocol', file), 'utf8'), /UNTESTED HERE/);
  for (const file of ['nginx.conf', 'haproxy.cfg']) assert.match(readFileSync(resolve(DOCS, 'examples/proxy-protocol', file), 'utf8'), /Tested: packages\/edge\/src\/interop\/examples\.test\.ts/);
});
