// platform.toml end to end: the documented example, every problem reported at once, cross-references
// between sections, unknown fields at every level, and TOML syntax errors with line and column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatError, isTrcError, type TrcError } from '../errors/errors.ts';
import { checkManifest, parseManifest, validateManifest, type Manifest } from './manifest.ts';

const example = readFileSync(new URL('../../../../docs/examples/platform.toml', import.meta.url), 'utf8');
const Mi = 2 ** 20;
const Gi = 2 ** 30;

function errorOf(text: string): TrcError {
  const r = checkManifest(text, 'platform.toml');
  assert.equal(r.ok, false, 'expected the manifest to be refused');
  return (r as { error: TrcError }).error;
}

function problemsOf(text: string): [string, string][] {
  return errorOf(text).problems.map((p) => [p.path, p.code]);
}

const minimal = 'app = "shop"\n[processes.web]\ncmd = ["web"]\nmemory = "512Mi"\nport = 8080\n';

test('the example docs/examples/platform.toml parses to a typed, normalised manifest with defaults filled in', () => {
  const expected: Manifest = {
    app: 'shop',
    processes: {
      web: { name: 'web', cmd: ['caddy', 'run', '--config', '/etc/caddy/Caddyfile'], count: 3, cpu: 0.5, memoryBytes: 512 * Mi, port: 8080, healthCheck: { kind: 'http', path: '/healthz', intervalMs: 10_000, timeoutMs: 2_000 } },
      worker: { name: 'worker', cmd: ['/bin/sh', '-c', 'node worker.js --queue default'], count: 1, cpu: 0.25, memoryBytes: 256 * Mi },
      db: { name: 'db', cmd: ['postgres', '-D', '/var/lib/postgresql/data'], count: 1, cpu: 2, memoryBytes: 2 * Gi, port: 5432, healthCheck: { kind: 'tcp', intervalMs: 5_000, timeoutMs: 1_000 } },
    },
    routes: {
      www: { name: 'www', process: 'web', port: 443, proxyProtocol: 'v2' },
      db: { name: 'db', process: 'db', port: 5432, proxyProtocol: 'off' },
    },
    volumes: {
      pgdata: { name: 'pgdata', sizeBytes: 20 * Gi, mount: '/var/lib/postgresql', process: 'db', backupEnabled: true },
      scratch: { name: 'scratch', sizeBytes: 512 * Mi, mount: '/var/cache/worker', process: 'worker', backupEnabled: false },
    },
    secrets: { mode: '0440', group: 'app' },
  };
  assert.deepEqual(parseManifest(example, 'platform.toml'), expected);
});

test('a minimal manifest gets the defaults: count 1, cpu 1, no routes, no volumes, secrets 0400', () => {
  assert.deepEqual(parseManifest(minimal, 'platform.toml'), {
    app: 'shop',
    processes: { web: { name: 'web', cmd: ['web'], count: 1, cpu: 1, memoryBytes: 512 * Mi, port: 8080 } },
    routes: {},
    volumes: {},
    secrets: { mode: '0400' },
  });
});

test('a manifest with several mistakes reports every problem together, each with its path and code', () => {
  const text = [
    'app = "My_Shop"',
    'region = "eu"',
    '[secrets]',
    'mode = "0440"',
    '[processes.web]',
    'cmd = "node server.js"',
    'memory = "512MB"',
    'cpu = 0.125',
    'port = 8080',
    'health_check = { kind = "http", path = "healthz", timeout = "20s" }',
    '[processes.worker]',
    'cmd = ["node", "worker.js"]',
    'count = -1',
    'memroy = "1Gi"',
    '[routes.db]',
    'process = "worker"',
    'port = 5432',
    'proxy_protocol = "v2"',
    '[routes.www]',
    'process = "wbe"',
    'port = 5432',
    '[volumes.data]',
    'size = "10GB"',
    'mount = "/run/secrets"',
    'process = "web"',
  ].join('\n');
  const error = errorOf(text);
  assert.equal(error.code, 'TRC_MANIFEST_INVALID');
  assert.equal(error.kind, 'user');
  assert.equal(error.status, 400);
  assert.equal(error.message, 'platform.toml has 16 problems');
  assert.deepEqual(error.problems.map((p) => [p.path, p.code]), [
    ['region', 'TRC_MANIFEST_UNKNOWN_FIELD'],
    ['app', 'TRC_MANIFEST_INVALID_NAME'],
    ['processes.web.cpu', 'TRC_MANIFEST_INVALID_CPU'],
    ['processes.web.memory', 'TRC_MANIFEST_INVALID_QUANTITY'],
    ['processes.web.health_check.path', 'TRC_HEALTH_CHECK_INVALID'],
    ['processes.web.health_check.timeout', 'TRC_HEALTH_CHECK_INVALID'],
    ['processes.worker.memroy', 'TRC_MANIFEST_UNKNOWN_FIELD'],
    ['processes.worker.count', 'TRC_MANIFEST_OUT_OF_RANGE'],
    ['processes.worker.memory', 'TRC_MANIFEST_MISSING_FIELD'],
    ['routes.db.proxy_protocol', 'TRC_ROUTE_PROXY_UNACKNOWLEDGED'],
    ['routes.db.process', 'TRC_ROUTE_TARGET_NO_PORT'],
    ['routes.www.process', 'TRC_MANIFEST_UNKNOWN_PROCESS'],
    ['routes.www.port', 'TRC_ROUTE_PORT_CONFLICT'],
    ['volumes.data.size', 'TRC_MANIFEST_INVALID_QUANTITY'],
    ['volumes.data.mount', 'TRC_VOLUME_INVALID_MOUNT_PATH'],
    ['secrets.mode', 'TRC_MANIFEST_SECRETS_MODE'],
  ]);
  assert.ok(error.problems.every((p) => p.hint !== undefined && p.hint.length > 0), 'every problem has a hint');
  const text2 = formatError(error);
  assert.match(text2, /^TRC_MANIFEST_INVALID: platform.toml has 16 problems\n/);
  assert.match(text2, /\n {2}processes\.web\.memory: "512MB" is not a binary quantity \(hint: did you mean "512Mi"\?\)\n/);
  assert.match(text2, /\n {2}routes\.www\.process: route "www" targets process type "wbe", which the manifest does not define \(hint: did you mean "web"\?\)\n/);
});

test('a TOML syntax error is one TRC_MANIFEST_SYNTAX problem with the file, line and column', () => {
  const error = errorOf('app = "shop"\n\n[processes.web]\nmemory = 512Mi\n');
  assert.equal(error.code, 'TRC_MANIFEST_INVALID');
  assert.equal(error.message, 'platform.toml is not valid TOML (line 4, column 13)');
  assert.deepEqual(error.details, { file: 'platform.toml', line: 4, column: 13 });
  assert.equal(error.problems.length, 1);
  assert.equal(error.problems[0]!.code, 'TRC_MANIFEST_SYNTAX');
  assert.match(error.problems[0]!.message, /^platform\.toml:4:13: /);
  assert.throws(() => parseManifest('[processes\n', 'app/platform.toml'), (e: unknown) => isTrcError(e) && e.code === 'TRC_MANIFEST_INVALID' && /^app\/platform\.toml:1:\d+: /.test(e.problems[0]!.message));
});

test('unknown fields are refused at every level with a did-you-mean hint', () => {
  const text = [
    'app = "shop"',
    'proceses = {}',
    'memory = "1Gi"',
    '[secrets]',
    'grup = "app"',
    '[processes.web]',
    'cmd = "x"',
    'memory = "512Mi"',
    'port = 80',
    'helth_check = {}',
    '[processes.web.health_check]',
    'timout = "1s"',
    '[routes.www]',
    'process = "web"',
    'port = 443',
    'proxy_protocl = "v2"',
    '[volumes.data]',
    'size = "1Gi"',
    'mount = "/data"',
    'process = "web"',
    'backups_enabled = false',
  ].join('\n');
  assert.deepEqual(errorOf(text).problems.map((p) => [p.path, p.code, p.hint]), [
    ['proceses', 'TRC_MANIFEST_UNKNOWN_FIELD', 'did you mean "processes"?'],
    ['memory', 'TRC_MANIFEST_UNKNOWN_FIELD', '"memory" belongs to a process type: put it under [processes.<name>]'],
    ['processes.web.helth_check', 'TRC_MANIFEST_UNKNOWN_FIELD', 'did you mean "health_check"?'],
    ['processes.web.health_check.timout', 'TRC_MANIFEST_UNKNOWN_FIELD', 'did you mean "timeout"?'],
    ['routes.www.proxy_protocl', 'TRC_MANIFEST_UNKNOWN_FIELD', 'did you mean "proxy_protocol"?'],
    ['volumes.data.backups_enabled', 'TRC_MANIFEST_UNKNOWN_FIELD', 'did you mean "backup_enabled"?'],
    ['secrets.grup', 'TRC_MANIFEST_UNKNOWN_FIELD', 'did you mean "group"?'],
  ]);
});

test('wrong types are refused at every level, and [[routes]] arrays get a hint to key sections by name', () => {
  assert.deepEqual(problemsOf('app = 1\nprocesses = "web"\nsecrets = "0400"\n'), [
    ['app', 'TRC_MANIFEST_WRONG_TYPE'],
    ['processes', 'TRC_MANIFEST_WRONG_TYPE'],
    ['secrets', 'TRC_MANIFEST_WRONG_TYPE'],
  ]);
  const arrays = errorOf(`${minimal}[[routes]]\nname = "www"\nprocess = "web"\nport = 443\n`).problems;
  assert.deepEqual(arrays.map((p) => [p.path, p.code, p.hint]), [['routes', 'TRC_MANIFEST_WRONG_TYPE', 'write each one as its own section: [routes.<name>]']]);
  assert.deepEqual(problemsOf(`${minimal}[routes]\nwww = 443\n`), [['routes.www', 'TRC_MANIFEST_WRONG_TYPE']]);
  assert.deepEqual(problemsOf('app = "shop"\n[processes]\nweb = "node server.js"\n'), [['processes.web', 'TRC_MANIFEST_WRONG_TYPE']]);
  const date = errorOf(`app = 2026-01-01\n${minimal.replace('app = "shop"\n', '')}`).problems;
  assert.deepEqual(date.map((p) => [p.path, p.message]), [['app', 'must be a string, not a date']]);
});

test('app is required, is a DNS label, and at least one process type is declared', () => {
  assert.deepEqual(problemsOf('[processes.web]\ncmd = "x"\nmemory = "64Mi"\n'), [['app', 'TRC_MANIFEST_MISSING_FIELD']]);
  assert.deepEqual(problemsOf('app = "shop"\n'), [['processes', 'TRC_MANIFEST_MISSING_FIELD']]);
  assert.deepEqual(problemsOf('app = "shop"\n[processes]\n'), [['processes', 'TRC_MANIFEST_MISSING_FIELD']]);
  assert.deepEqual(problemsOf('app = "shop-"\n[processes.Web]\ncmd = "x"\nmemory = "64Mi"\n'), [['app', 'TRC_MANIFEST_INVALID_NAME'], ['processes.Web', 'TRC_MANIFEST_INVALID_NAME']]);
});

test('a route targets a declared process type that has a port, and public ports are unique', () => {
  const worker = '[processes.worker]\ncmd = "x"\nmemory = "64Mi"\n';
  assert.deepEqual(problemsOf(`${minimal}${worker}[routes.a]\nprocess = "worker"\nport = 80\n`), [['routes.a.process', 'TRC_ROUTE_TARGET_NO_PORT']]);
  assert.deepEqual(problemsOf(`${minimal}[routes.a]\nprocess = "api"\nport = 80\n`), [['routes.a.process', 'TRC_MANIFEST_UNKNOWN_PROCESS']]);
  assert.deepEqual(problemsOf(`${minimal}[routes.a]\nprocess = "web"\nport = 80\n[routes.b]\nprocess = "web"\nport = 80\n`), [['routes.b.port', 'TRC_ROUTE_PORT_CONFLICT']]);
  assert.deepEqual(Object.keys(parseManifest(`${minimal}[routes.a]\nprocess = "web"\nport = 80\n[routes.b]\nprocess = "web"\nport = 443\n`, 'p').routes), ['a', 'b']);
});

test('a volume targets a declared process type, and volumes of one process type do not overlap', () => {
  const vol = (name: string, mount: string, process = 'web') => `[volumes.${name}]\nsize = "1Gi"\nmount = "${mount}"\nprocess = "${process}"\n`;
  assert.deepEqual(problemsOf(`${minimal}${vol('a', '/data', 'db')}`), [['volumes.a.process', 'TRC_MANIFEST_UNKNOWN_PROCESS']]);
  assert.deepEqual(problemsOf(`${minimal}${vol('a', '/data')}${vol('b', '/data')}`), [['volumes.b.mount', 'TRC_VOLUME_MOUNT_CONFLICT']]);
  assert.deepEqual(problemsOf(`${minimal}${vol('a', '/data')}${vol('b', '/data/sub')}`), [['volumes.b.mount', 'TRC_VOLUME_MOUNT_CONFLICT']]);
  const ok = parseManifest(`${minimal}[processes.db]\ncmd = "x"\nmemory = "64Mi"\n${vol('a', '/data')}${vol('b', '/data', 'db')}${vol('c', '/database')}`, 'p');
  assert.deepEqual(Object.keys(ok.volumes), ['a', 'b', 'c']);
});

test('validateManifest checks an already-decoded manifest, such as a JSON request body', () => {
  const r = validateManifest(JSON.parse('{"app":"shop","processes":{"web":{"cmd":["web"],"memory":"1Gi"}}}'));
  assert.ok(r.ok);
  assert.equal(r.value.processes.web?.memoryBytes, Gi);
  assert.deepEqual(validateManifest([]), { ok: false, problems: [{ path: '', code: 'TRC_MANIFEST_WRONG_TYPE', message: 'must be a table, not an array' }] });
});

