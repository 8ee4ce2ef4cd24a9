// Routes and the PROXY protocol rules of ADR 0009: opt-in, acknowledged, never silently ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkProxyProtocol, parseRoute } from './route.ts';

test('proxy_protocol defaults to "off"', () => {
  assert.deepEqual(checkProxyProtocol({ process: 'web', port: 443 }, 'routes.www', 'www'), { proxyProtocol: 'off', problems: [] });
  assert.deepEqual(checkProxyProtocol({ proxy_protocol: 'off' }, 'routes.www', 'www'), { proxyProtocol: 'off', problems: [] });
});

test('proxy_protocol = "v2" with backend_expects_proxy_protocol = true is accepted', () => {
  assert.deepEqual(checkProxyProtocol({ proxy_protocol: 'v2', backend_expects_proxy_protocol: true }, 'routes.db', 'db'), { proxyProtocol: 'v2', problems: [] });
});

test('proxy_protocol = "v2" without the acknowledgement is TRC_ROUTE_PROXY_UNACKNOWLEDGED, explaining the byte stream changes', () => {
  for (const raw of [{ proxy_protocol: 'v2' }, { proxy_protocol: 'v2', backend_expects_proxy_protocol: false }]) {
    assert.deepEqual(checkProxyProtocol(raw, 'routes.db', 'db'), {
      proxyProtocol: 'off',
      problems: [{
        path: 'routes.db.proxy_protocol',
        code: 'TRC_ROUTE_PROXY_UNACKNOWLEDGED',
        message: 'route "db" sets proxy_protocol = "v2" but not backend_expects_proxy_protocol = true',
        hint: 'PROXY v2 prepends a binary header to the byte stream your server receives; set backend_expects_proxy_protocol = true once your server accepts PROXY v2',
      }],
    });
  }
});

test('backend_expects_proxy_protocol = true with proxy_protocol "off" is refused as a value that would be ignored', () => {
  for (const raw of [{ backend_expects_proxy_protocol: true }, { proxy_protocol: 'off', backend_expects_proxy_protocol: true }]) {
    const r = checkProxyProtocol(raw, 'routes.db', 'db');
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.code, 'TRC_ROUTE_PROXY_IGNORED');
    assert.equal(r.problems[0]!.path, 'routes.db.backend_expects_proxy_protocol');
  }
});

test('other proxy_protocol values and wrong types are refused', () => {
  const table: [Record<string, unknown>, string, string, RegExp?][] = [
    [{ proxy_protocol: 'V2' }, 'routes.db.proxy_protocol', 'TRC_ROUTE_PROXY_INVALID', /did you mean "v2"/],
    [{ proxy_protocol: 'v1' }, 'routes.db.proxy_protocol', 'TRC_ROUTE_PROXY_INVALID', /"off".*"v2"/],
    [{ proxy_protocol: true }, 'routes.db.proxy_protocol', 'TRC_MANIFEST_WRONG_TYPE'],
    [{ proxy_protocol: 'v2', backend_expects_proxy_protocol: 'true' }, 'routes.db.backend_expects_proxy_protocol', 'TRC_MANIFEST_WRONG_TYPE', /without quotes/],
  ];
  for (const [raw, path, code, hint] of table) {
    const r = checkProxyProtocol(raw, 'routes.db', 'db');
    assert.deepEqual(r.problems.map((p) => [p.path, p.code]), [[path, code]], JSON.stringify(raw));
    if (hint !== undefined) assert.match(r.problems[0]!.hint ?? '', hint);
  }
});

test('a route needs a process and a public port from 1 to 65535, and a DNS-label name', () => {
  assert.deepEqual(parseRoute({ process: 'web', port: 443 }, 'routes.www', 'www'), { value: { name: 'www', process: 'web', port: 443, proxyProtocol: 'off' }, problems: [] });
  const r = parseRoute({ port: 70000, proxy: 'v2' }, 'routes.Web_1', 'Web_1');
  assert.deepEqual(r.problems.map((p) => [p.path, p.code]), [
    ['routes.Web_1', 'TRC_MANIFEST_INVALID_NAME'],
    ['routes.Web_1.proxy', 'TRC_MANIFEST_UNKNOWN_FIELD'],
    ['routes.Web_1.process', 'TRC_MANIFEST_MISSING_FIELD'],
    ['routes.Web_1.port', 'TRC_MANIFEST_OUT_OF_RANGE'],
  ]);
  assert.equal(r.problems[0]!.hint, 'did you mean "web-1"?');
  assert.equal(r.problems[1]!.hint, 'did you mean "proxy_protocol"?');
  assert.equal(parseRoute('web', 'routes.x', 'x').problems[0]!.code, 'TRC_MANIFEST_WRONG_TYPE');
});
