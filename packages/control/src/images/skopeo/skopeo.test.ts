// SkopeoResolver against a real registry (docker-registry on 127.0.0.1): a tag resolves to the manifest
// digest the registry serves, and a release made from a tag pins that digest.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
// The agent's test registry and image builder: one harness for every package that needs a registry.
import { startRegistry } from '../../../../agent/src/test-support/registry.ts';
import { buildImage, pushImage, tarOf } from '../../../../agent/src/test-support/image-builder.ts';
import { SkopeoResolver } from './skopeo.ts';
import { makeTestControl, operator, orgActor } from '../../test-support/control.ts';
import { Control } from '../../commands/control.ts';
import { createOrg } from '../../commands/orgs.ts';
import { createApp, createRelease } from '../../commands/apps.ts';

const registry = await startRegistry();
after(() => registry.stop());
const image = buildImage({ layers: [{ tar: tarOf([{ type: 'file', path: 'hello.txt', content: 'hi' }]) }] });
const digest = await pushImage(registry, 'acme/web', '1.0', image);

test('a tag resolves to the digest of the manifest the registry serves; unknown tags are a user error', async () => {
  const resolver = new SkopeoResolver();
  assert.equal(await resolver.resolve(`${registry.host}/acme/web:1.0`), digest);
  await assert.rejects(resolver.resolve(`${registry.host}/acme/web:nope`), (e: { code: string; message: string; hint: string }) => e.code === 'TRC_RELEASE_INVALID' && /cannot be resolved/.test(e.message) && e.hint.length > 0);
  await assert.rejects(resolver.resolve('--help'), { code: 'TRC_RELEASE_INVALID' });
});

test('a release made from a tag pins the digest it resolved to', async () => {
  const t = await makeTestControl('skopeo');
  try {
    const control = new Control({ ...t.control.deps, resolver: new SkopeoResolver() });
    await createOrg(control, operator, { name: 'acme' });
    await createApp(control, orgActor('acme'), { org: 'acme', name: 'web' });
    const release = await createRelease(control, orgActor('acme'), 'web', { image: `${registry.host}/acme/web:1.0`, processes: { web: { cpu: 1, memory: '128Mi', count: 1 } } });
    assert.equal(release.digest, digest);
    assert.equal(release.image, `${registry.host}/acme/web:1.0`);
  } finally {
    await t.close();
  }
});
