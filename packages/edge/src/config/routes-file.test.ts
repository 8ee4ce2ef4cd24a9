import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoutesFile } from './routes-file.ts';

const EXAMPLE = `
[[routes]]
name = "db"
listen = "127.0.0.1:15432"            # or "[::1]:15432", or a dedicated public IPv4
backends = ["127.0.0.1:25432"]
proxy_protocol = "v2"                  # "off" (default) | "v2"
backend_expects_proxy_protocol = true  # required with "v2"
[routes.health_check]                  # optional
kind = "http"                          # "tcp" | "http"
path = "/healthz"
interval = "1s"
`;

test('the documented example parses, with the per-route defaults filled in', () => {
  const r = parseRoutesFile(EXAMPLE, 'routes.toml');
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.error.problems));
  assert.deepEqual(r.table.routes, [{
    name: 'db',
    listen: { host: '127.0.0.1', port: 15432, family: 4 },
    backends: [{ host: '127.0.0.1', port: 25432, family: 4 }],
    proxyProtocol: 'v2',
    connectTimeoutMs: 5000,
    idleTimeoutMs: 3_600_000,
    maxConnections: 10_000,
    drainGraceMs: 30_000,
    healthCheck: { kind: 'http', path: '/healthz', intervalMs: 1000, timeoutMs: 1000 },
  }]);
  const custom = parseRoutesFile('[[routes]]\nname = "x"\nlisten = "[::1]:8080"\nbackends = []\nconnect_timeout = "250ms"\nidle_timeout = "5m"\nmax_connections = 3\ndrain_grace = "0s"\n', 'f');
  assert.ok(custom.ok);
  assert.deepEqual({ ...custom.table.routes[0]!, listen: undefined }, { name: 'x', listen: undefined, backends: [], proxyProtocol: 'off', connectTimeoutMs: 250, idleTimeoutMs: 300_000, maxConnections: 3, drainGraceMs: 0 });
});

test('a v2 route without backend_expects_proxy_protocol is refused with TRC_ROUTE_PROXY_UNACKNOWLEDGED and its hint', () => {
  const r = parseRoutesFile(EXAMPLE.replace('backend_expects_proxy_protocol = true', ''), 'routes.toml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.error.code, 'TRC_EDGE_ROUTES_INVALID');
  assert.deepEqual(r.error.problems.map((p) => [p.path, p.code]), [['routes[0].proxy_protocol', 'TRC_ROUTE_PROXY_UNACKNOWLEDGED']]);
  assert.match(r.error.problems[0]!.hint ?? '', /backend_expects_proxy_protocol = true/);
});

test('unknown fields and every other problem are reported at once, each with its path and code', () => {
  const text = `
[[routes]]
name = "Web"
listen = "localhost:80"
backends = ["127.0.0.1:1", "127.0.0.1:1", "::1:5"]
proxy_protocol = "V2"
idle = "1s"
max_connections = 0
[routes.health_check]
kind = "http"
interval = "1"
colour = "red"

[[routes]]
name = "b"
listen = "127.0.0.1:9000"

[[routes]]
name = "b"
listen = "127.0.0.1:9000"
backends = []
extra = true
`;
  const r = parseRoutesFile(text, 'routes.toml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.error.problems.map((p) => `${p.path} ${p.code}`).sort(), [
    'routes[0].backends[1] TRC_EDGE_DUPLICATE_BACKEND',
    'routes[0].backends[2] TRC_EDGE_INVALID_ADDRESS',
    'routes[0].health_check.colour TRC_MANIFEST_UNKNOWN_FIELD',
    'routes[0].health_check.interval TRC_MANIFEST_INVALID_DURATION',
    'routes[0].idle TRC_MANIFEST_UNKNOWN_FIELD',
    'routes[0].listen TRC_EDGE_INVALID_ADDRESS',
    'routes[0].max_connections TRC_MANIFEST_OUT_OF_RANGE',
    'routes[0].name TRC_MANIFEST_INVALID_NAME',
    'routes[0].proxy_protocol TRC_ROUTE_PROXY_INVALID',
    'routes[1].backends TRC_MANIFEST_MISSING_FIELD',
    'routes[2].extra TRC_MANIFEST_UNKNOWN_FIELD',
  ]);
  assert.match(r.error.message, /11 problems; no route was changed/);
});

test('duplicate route names and listen addresses are refused; bad TOML is a syntax error with its position', () => {
  const twice = parseRoutesFile('[[routes]]\nname = "a"\nlisten = "127.0.0.1:1"\nbackends = []\n[[routes]]\nname = "a"\nlisten = "127.0.0.1:1"\nbackends = []\n', 'f');
  assert.ok(!twice.ok);
  if (!twice.ok) assert.deepEqual(twice.error.problems.map((p) => p.code), ['TRC_EDGE_DUPLICATE_ROUTE', 'TRC_EDGE_LISTEN_CONFLICT']);
  const bad = parseRoutesFile('[[routes]\nname = ', 'f');
  assert.ok(!bad.ok);
  if (!bad.ok) {
    assert.equal(bad.error.code, 'TRC_EDGE_ROUTES_SYNTAX');
    assert.match(bad.error.message, /line 1/i);
  }
  const empty = parseRoutesFile('', 'f');
  assert.ok(empty.ok && empty.table.routes.length === 0);
});
