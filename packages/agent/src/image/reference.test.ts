// Image reference parsing: registry, repository, tag and digest, with the distribution grammar's defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isTrcError } from '@trc/core';
import { formatReference, manifestReference, parseReference } from './reference.ts';

const D = `sha256:${'a'.repeat(64)}`;

test('references parse into registry, repository, tag and digest; the tag defaults to latest', () => {
  const cases: [string, string, string, string | undefined, string | undefined][] = [
    ['registry.example:5000/team/app:1.2', 'registry.example:5000', 'team/app', '1.2', undefined],
    ['127.0.0.1:5000/app', '127.0.0.1:5000', 'app', 'latest', undefined],
    ['localhost/a/b/c', 'localhost', 'a/b/c', 'latest', undefined],
    [`registry.example/team/app@${D}`, 'registry.example', 'team/app', undefined, D],
    [`registry.example/team/app:v1@${D}`, 'registry.example', 'team/app', 'v1', D],
    ['[::1]:5000/app:v2', '[::1]:5000', 'app', 'v2', undefined],
    ['busybox', 'docker.io', 'library/busybox', 'latest', undefined],
    ['busybox:1.36', 'docker.io', 'library/busybox', '1.36', undefined],
    ['team/app', 'docker.io', 'team/app', 'latest', undefined],
    ['docker.io/busybox', 'docker.io', 'library/busybox', 'latest', undefined],
    ['index.docker.io/team/app', 'docker.io', 'team/app', 'latest', undefined],
    ['my-registry.example/a.b/c_d/e__f/g-h:tag_1.x-y', 'my-registry.example', 'a.b/c_d/e__f/g-h', 'tag_1.x-y', undefined],
  ];
  for (const [text, registry, repository, tag, digest] of cases) {
    assert.deepEqual(parseReference(text), { registry, repository, tag, digest }, text);
  }
  assert.equal(manifestReference(parseReference(`r.example/app:v1@${D}`)), D, 'a digest wins over a tag');
  assert.equal(manifestReference(parseReference('r.example/app')), 'latest');
});

test('malformed references are refused with TRC_IMAGE_REFERENCE_INVALID and a hint', () => {
  for (const bad of ['', 'App', 'team/App', 'app:', 'app:-x', `app@sha256:${'a'.repeat(63)}`, `app@sha512:${'a'.repeat(128)}`, 'a//b', '/app', 'app/', 'r.example/a..b', `app:${'t'.repeat(129)}`, 'bad host!/app', 'x'.repeat(600)]) {
    try {
      parseReference(bad);
      assert.fail(`"${bad}" should be refused`);
    } catch (e) {
      assert.ok(isTrcError(e), String(e));
      assert.equal(e.code, 'TRC_IMAGE_REFERENCE_INVALID', bad);
      assert.ok(e.hint !== undefined);
    }
  }
});

test('formatting a parsed reference and parsing it again gives the same reference', () => {
  const component = fc.stringMatching(/^[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8}){0,2}$/);
  const arb = fc.record({
    registry: fc.constantFrom('registry.example', 'r.example:5000', '127.0.0.1:5000', 'localhost:8080', '[::1]:5000'),
    path: fc.array(component, { minLength: 1, maxLength: 3 }),
    tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
    digest: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`), { nil: undefined }),
  });
  fc.assert(fc.property(arb, ({ registry, path, tag, digest }) => {
    const text = `${registry}/${path.join('/')}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
    const parsed = parseReference(text);
    assert.equal(formatReference(parsed), tag === undefined && digest === undefined ? `${text}:latest` : text);
    assert.deepEqual(parseReference(formatReference(parsed)), parsed);
  }), { numRuns: 300 });
});
