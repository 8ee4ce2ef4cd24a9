// WWW-Authenticate parsing and the token cache's expiry (time is a parameter, so nothing waits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCache, basicAuthorization, parseChallenge } from './auth.ts';

test('WWW-Authenticate challenges parse with quoted values, commas inside quotes, and token values', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:team/app:pull,push"'), {
    scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:team/app:pull,push' },
  });
  assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
  assert.deepEqual(parseChallenge('bearer realm=https://a.example/t, service=svc, error="insufficient_scope"'), {
    scheme: 'bearer', params: { realm: 'https://a.example/t', service: 'svc', error: 'insufficient_scope' },
  });
  assert.deepEqual(parseChallenge('Bearer realm="a \\"quoted\\" realm"'), { scheme: 'bearer', params: { realm: 'a "quoted" realm' } });
  assert.equal(parseChallenge(''), undefined);
  assert.equal(basicAuthorization({ username: 'alice', password: 'p:w' }), `Basic ${Buffer.from('alice:p:w').toString('base64')}`);
});

test('tokens are cached per registry and scope until 30 seconds before they expire', () => {
  let now = 1_000_000;
  const cache = new TokenCache(() => now);
  cache.set('r.example', 'repository:a:pull', 'Bearer A', 300);
  cache.set('r.example', 'repository:b:pull', 'Bearer B', 60);
  assert.equal(cache.get('r.example', 'repository:a:pull'), 'Bearer A');
  assert.equal(cache.get('other.example', 'repository:a:pull'), undefined);
  now += 29_000;
  assert.equal(cache.get('r.example', 'repository:b:pull'), 'Bearer B');
  now += 1_000;
  assert.equal(cache.get('r.example', 'repository:b:pull'), undefined, 'a 60 s token is dropped after 30 s');
  assert.equal(cache.get('r.example', 'repository:a:pull'), 'Bearer A');
  now += 240_000;
  assert.equal(cache.get('r.example', 'repository:a:pull'), undefined);
});
