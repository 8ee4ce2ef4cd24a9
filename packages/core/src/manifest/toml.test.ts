// Round trip: any valid manifest, written as TOML, parses back to the same normalised value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UNITS } from '../resources/quantity.ts';
import type { HealthCheck } from './health-check.ts';
import { parseManifest, type Manifest } from './manifest.ts';
import type { ProcessType } from './process.ts';
import type { Route } from './route.ts';
import type { SecretsFile } from './secrets.ts';
import { exactQuantity, manifestToToml } from './toml.ts';
import type { Volume } from './volume.ts';

const Mi = UNITS.Mi;
const nameArb = fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,14}[a-z0-9])?$/);
const textArb = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary-ascii', maxLength: 12 }));

const healthCheckArb: fc.Arbitrary<HealthCheck> = fc.integer({ min: 1_000, max: 300_000 }).chain((intervalMs) => fc.record({
  intervalMs: fc.constant(intervalMs),
  timeoutMs: fc.integer({ min: 100, max: Math.min(60_000, intervalMs) }),
  path: fc.option(fc.stringMatching(/^\/[\x21-\x7e]{0,40}$/), { nil: undefined }),
}, { noNullPrototype: true })).map(({ intervalMs, timeoutMs, path }) => (path === undefined ? { kind: 'tcp', intervalMs, timeoutMs } : { kind: 'http', path, intervalMs, timeoutMs }));

function processArb(name: string): fc.Arbitrary<ProcessType> {
  return fc.record({
    cmd: fc.tuple(textArb.filter((s) => s !== ''), fc.array(textArb, { maxLength: 3 })).map(([first, rest]) => [first, ...rest]),
    count: fc.integer({ min: 0, max: 1000 }),
    cpu: fc.integer({ min: 1, max: 10_000 }).map((n) => n / 100),
    memoryBytes: fc.integer({ min: 32, max: 1024 * 1024 }).map((n) => n * Mi),
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    healthCheck: fc.option(healthCheckArb, { nil: undefined }),
  }, { noNullPrototype: true }).map(({ port, healthCheck, ...rest }) => ({
    name,
    ...rest,
    ...(port === undefined ? {} : { port }),
    ...(port === undefined || healthCheck === undefined ? {} : { healthCheck }),
  }));
}

const secretsArb: fc.Arbitrary<SecretsFile> = fc.oneof(
  fc.constant<SecretsFile>({ mode: '0400' }),
  fc.stringMatching(/^[a-z_][a-z0-9_-]{0,31}$/).filter((g) => g !== 'root').map((group): SecretsFile => ({ mode: '0440', group })),
);

const manifestArb: fc.Arbitrary<Manifest> = fc.uniqueArray(nameArb, { minLength: 1, maxLength: 4 }).chain((processNames) =>
  fc.tuple(...processNames.map(processArb)).chain((processList) => {
    const withPort = processList.filter((p) => p.port !== undefined).map((p) => p.name);
    const routesArb: fc.Arbitrary<Route[]> = withPort.length === 0 ? fc.constant([]) : fc.uniqueArray(nameArb, { maxLength: 3 }).chain((names) =>
      fc.tuple(
        fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: names.length, maxLength: names.length }),
        fc.array(fc.constantFrom(...withPort), { minLength: names.length, maxLength: names.length }),
        fc.array(fc.constantFrom('off' as const, 'v2' as const), { minLength: names.length, maxLength: names.length }),
      ).map(([ports, targets, modes]) => names.map((name, i) => ({ name, process: targets[i]!, port: ports[i]!, proxyProtocol: modes[i]! }))));
    const volumesArb: fc.Arbitrary<Volume[]> = fc.uniqueArray(nameArb, { maxLength: 3 }).chain((names) => fc.tuple(...names.map((name, i) => fc.record({
      name: fc.constant(name),
      sizeBytes: fc.integer({ min: 16, max: 16 * 1024 * 1024 }).map((n) => n * Mi),
      // A distinct first segment per volume keeps mounts from overlapping.
      mount: fc.array(fc.stringMatching(/^[a-z0-9_-][a-z0-9._-]{0,8}$/), { maxLength: 3 }).map((parts) => ['', `vol${i}`, ...parts].join('/')),
      process: fc.constantFrom(...processNames),
      backupEnabled: fc.boolean(),
    }, { noNullPrototype: true }))));
    return fc.record({ app: nameArb, routes: routesArb, volumes: volumesArb, secrets: secretsArb }, { noNullPrototype: true }).map(({ app, routes, volumes, secrets }) => ({
      app,
      processes: Object.fromEntries(processList.map((p) => [p.name, p])),
      routes: Object.fromEntries(routes.map((r) => [r.name, r])),
      volumes: Object.fromEntries(volumes.map((v) => [v.name, v])),
      secrets,
    }));
  }));

test('any generated valid manifest, written as TOML, parses back to the same normalised manifest', () => {
  fc.assert(fc.property(manifestArb, (manifest) => {
    const text = manifestToToml(manifest);
    assert.deepEqual(parseManifest(text, 'platform.toml'), manifest);
    assert.equal(manifestToToml(parseManifest(text, 'platform.toml')), text);
  }), { numRuns: 100 });
});

test('sizes are written in the largest unit that divides them exactly', () => {
  assert.equal(exactQuantity(512 * Mi), '512Mi');
  assert.equal(exactQuantity(1536 * Mi), '1536Mi');
  assert.equal(exactQuantity(2 * 1024 * Mi), '2Gi');
  assert.equal(exactQuantity(UNITS.Ti), '1Ti');
  assert.throws(() => exactQuantity(1000), RangeError);
});
