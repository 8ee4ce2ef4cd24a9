// bin/platform-edge as a process: standalone mode's exit codes, /status and /metrics, SIGHUP reload, SIGTERM drain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ask, connectTo, freeAddress, namedEcho, startServer, waitFor } from './testing/loopback.ts';
import { formatSocketAddress, type SocketAddress } from './config/address.ts';
import type { EdgeStatus } from './admin/status.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/platform-edge');

interface Run {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  stderr(): string;
}

function run(args: readonly string[]): Run {
  const child = spawn(BIN, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  child.stdout!.resume();
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exit, stderr: () => err };
}

function route(name: string, listen: SocketAddress, backends: readonly SocketAddress[], extra = ''): string {
  return `[[routes]]\nname = "${name}"\nlisten = "${formatSocketAddress(listen)}"\nbackends = [${backends.map((b) => `"${formatSocketAddress(b)}"`).join(', ')}]\ndrain_grace = "5s"\n${extra}\n`;
}

test('an invalid routes file is refused at start: exit code 2 and every problem on stderr, with codes and hints', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trc-edge-main-'));
  try {
    const file = join(dir, 'routes.toml');
    writeFileSync(file, '[[routes]]\nname = "db"\nlisten = "127.0.0.1:15432"\nbackends = ["127.0.0.1:25432"]\nproxy_protocol = "v2"\ncolour = "blue"\n');
    const r = run(['--routes', file, '--admin', '127.0.0.1:1']);
    assert.equal(await r.exit, 2);
    assert.match(r.stderr(), /^TRC_EDGE_ROUTES_INVALID: .* has 2 problems/);
    assert.match(r.stderr(), /routes\[0\]\.proxy_protocol: TRC_ROUTE_PROXY_UNACKNOWLEDGED: route "db" sets proxy_protocol = "v2" but not backend_expects_proxy_protocol = true\n {4}hint: .*backend_expects_proxy_protocol = true/);
    assert.match(r.stderr(), /routes\[0\]\.colour: TRC_MANIFEST_UNKNOWN_FIELD: unknown field "colour"/);
    const usage = run(['--routes']);
    assert.equal(await usage.exit, 2);
    assert.match(usage.stderr(), /^TRC_EDGE_USAGE: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('standalone: /status and /metrics, SIGHUP applies the diff without dropping established connections, SIGTERM drains and exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trc-edge-main-'));
  const one = await namedEcho('one');
  const two = await namedEcho('two');
  const v6 = await startServer('::1', (s) => s.pipe(s));
  let edge: Run | undefined;
  try {
    const file = join(dir, 'routes.toml');
    const listen = await freeAddress();
    const listen6 = await freeAddress('::1');
    const admin = await freeAddress();
    writeFileSync(file, route('app', listen, [one.address]));
    edge = run(['--routes', file, '--admin', formatSocketAddress(admin)]);
    const status = async (): Promise<EdgeStatus> => (await (await fetch(`http://${formatSocketAddress(admin)}/status`)).json()) as EdgeStatus;
    await waitFor('the admin endpoint', () => /route\(s\) up/.test(edge!.stderr()), 10_000);

    const held = await connectTo(listen);
    assert.equal(await ask(held, 'a'), 'one:a');
    assert.deepEqual(await status(), { routes: [{ name: 'app', listen: formatSocketAddress(listen), backends: [{ address: formatSocketAddress(one.address), healthy: true, reason: 'no health check configured', active_connections: 1 }] }] });
    const metrics = await fetch(`http://${formatSocketAddress(admin)}/metrics`);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    for (const family of ['trc_edge_route_connections_total', 'trc_edge_backend_connections_active', 'trc_edge_backend_bytes_in_total', 'trc_edge_backend_bytes_out_total', 'trc_edge_backend_connect_failures_total', 'trc_edge_backend_health_transitions_total']) {
      assert.match(text, new RegExp(`# TYPE ${family} (counter|gauge)`));
    }
    assert.match(text, new RegExp(`trc_edge_backend_connections_active\\{backend="${formatSocketAddress(one.address)}",route="app"\\} 1`));
    assert.match(text, new RegExp(`trc_edge_backend_bytes_in_total\\{backend="${formatSocketAddress(one.address)}",route="app"\\} 1`));

    // Reload: the backend is replaced and an IPv6 route is added.
    writeFileSync(file, route('app', listen, [two.address]) + route('six', listen6, [v6.address]));
    edge.child.kill('SIGHUP');
    await waitFor('the reload', () => /reloaded: 2 route/.test(edge!.stderr()), 10_000);
    assert.equal(await ask(held, 'b'), 'one:b', 'the established connection survived the reload');
    const fresh = await connectTo(listen);
    assert.equal(await ask(fresh, 'c'), 'two:c');
    fresh.destroy();
    const six = await connectTo(listen6);
    assert.equal(await ask(six, 'over v6'), 'over v6');
    six.destroy();

    // An invalid file is refused on reload and the running routes stay.
    writeFileSync(file, '[[routes]]\nname = 1\n');
    edge.child.kill('SIGHUP');
    await waitFor('the refused reload', () => /reload refused/.test(edge!.stderr()), 10_000);
    assert.deepEqual((await status()).routes.map((r) => r.name), ['app', 'six']);

    // SIGTERM: no new connections, the held one may finish, then a clean exit.
    edge.child.kill('SIGTERM');
    await waitFor('the edge to stop accepting', () => /draining connections/.test(edge!.stderr()), 10_000);
    await assert.rejects(connectTo(listen), /ECONNREFUSED/);
    assert.equal(await ask(held, 'd'), 'one:d');
    held.end();
    assert.equal(await edge.exit, 0);
  } finally {
    if (edge !== undefined && edge.child.exitCode === null) edge.child.kill('SIGKILL');
    await one.close();
    await two.close();
    await v6.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
