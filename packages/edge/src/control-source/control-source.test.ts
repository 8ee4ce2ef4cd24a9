// ControlPlaneRouteSource's follow loop against a SCRIPTED CONTROL PLANE STAND-IN (an in-memory ControlApi):
// a lost event, a silent stream and a precise count of reloads cannot be produced on demand with the real
// control plane, which control-plane.test.ts uses for everything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteTable } from '../config/route-table.ts';
import type { ControlApi, StreamedEvent } from './control-client.ts';
import { ControlPlaneRouteSource } from './control-source.ts';
import { parseControlTable } from './table.ts';
import { waitFor } from '../testing/loopback.ts';

class ScriptedControlPlane implements ControlApi {
  seq = 1;
  backends: string[] = ['127.0.0.1:9001'];
  tableCalls = 0;
  follows: number[] = [];
  #listeners = new Set<(e: StreamedEvent) => void>();
  #endStream: (() => void) | undefined;

  async table(): Promise<unknown> {
    this.tableCalls += 1;
    return {
      seq: this.seq,
      watch: ['RouteCreated', 'InstanceStateReported'],
      routes: [{ name: 'shop/prod/www', listen: { address: null, port: 8443 }, proxyProtocol: 'off', backendExpectsProxyProtocol: false, healthCheck: null, backends: this.backends.map((address) => ({ address, instanceId: address })) }],
    };
  }

  follow(afterSeq: number, _types: readonly string[], signal: AbortSignal, onEvent: (e: StreamedEvent) => void): Promise<void> {
    this.follows.push(afterSeq);
    return new Promise((resolve) => {
      const end = (): void => {
        this.#listeners.delete(onEvent);
        resolve();
      };
      this.#listeners.add(onEvent);
      this.#endStream = end;
      signal.addEventListener('abort', end, { once: true });
    });
  }

  async reportHealth(): Promise<void> {}

  /** A change and its event; `lost` keeps the event from the stream, as a bug or a race could. */
  change(backends: string[], type = 'InstanceStateReported', lost = false): void {
    this.seq += 1;
    this.backends = backends;
    if (!lost) for (const l of this.#listeners) l({ seq: this.seq, type });
  }

  dropStream(): void {
    this.#endStream?.();
  }
}

function follow(cp: ScriptedControlPlane, options: ConstructorParameters<typeof ControlPlaneRouteSource>[1]) {
  const source = new ControlPlaneRouteSource(cp, { publicAddress: '127.0.0.1', ...options });
  const applied: RouteTable[] = [];
  const logs: string[] = [];
  const backends = (): string[] => (applied.at(-1)?.routes[0]?.backends ?? []).map((b) => `${b.host}:${b.port}`);
  return { source, applied, logs, backends, started: source.start({ apply: async (t) => void applied.push(t), log: (l) => logs.push(l) }) };
}

test('a burst of events causes one reload (debounced), and only changed tables are applied', async () => {
  const cp = new ScriptedControlPlane();
  const f = follow(cp, { debounceMs: 30, resyncMs: 60_000 });
  await f.started;
  assert.equal(f.applied.length, 1);
  for (let i = 0; i < 20; i++) cp.change(['127.0.0.1:9001', '127.0.0.1:9002']);
  await waitFor('the reload', () => f.applied.length === 2);
  assert.deepEqual(f.backends(), ['127.0.0.1:9001', '127.0.0.1:9002']);
  assert.equal(cp.tableCalls, 2);
  // An event of a type the table does not name, or one that changes nothing here, applies nothing.
  cp.change(['127.0.0.1:9001', '127.0.0.1:9002'], 'SecretBundleVersioned');
  cp.change(['127.0.0.1:9001', '127.0.0.1:9002']);
  await waitFor('the second reload', () => cp.tableCalls === 3);
  await f.source.stop();
  assert.equal(f.applied.length, 2);
});

test('a lost event is repaired by the periodic full resync', async () => {
  const cp = new ScriptedControlPlane();
  const f = follow(cp, { debounceMs: 10, resyncMs: 100 });
  await f.started;
  cp.change(['127.0.0.1:9003'], 'InstanceStateReported', true);
  await waitFor('the resync', () => f.backends()[0] === '127.0.0.1:9003', 3000);
  await f.source.stop();
});

test('a dropped stream reconnects with backoff from the last position, and reloads what it may have missed', async () => {
  const cp = new ScriptedControlPlane();
  const f = follow(cp, { debounceMs: 10, resyncMs: 60_000, backoffMinMs: 20, backoffMaxMs: 80 });
  await f.started;
  await waitFor('following', () => cp.follows.length === 1);
  cp.change(['127.0.0.1:9004']);
  await waitFor('the change', () => f.backends()[0] === '127.0.0.1:9004');
  cp.dropStream();
  cp.change(['127.0.0.1:9005'], 'InstanceStateReported', true);
  await waitFor('the reconnect and reload', () => cp.follows.length === 2 && f.backends()[0] === '127.0.0.1:9005');
  assert.deepEqual(cp.follows, [1, 2]);
  // Drops in a row wait longer each time, up to the cap (bounded: five drops).
  for (let i = 0; i < 5; i++) {
    const n = cp.follows.length;
    cp.dropStream();
    await waitFor('another reconnect', () => cp.follows.length === n + 1);
  }
  assert.equal(f.logs.filter((l) => /reconnecting/.test(l)).length, 6);
  await f.source.stop();
});

test('the table without a dedicated address listens on the public address; a shape it does not know is TRC_EDGE_CONTROL_TABLE_INVALID', () => {
  const options = { publicAddress: '::1', defaultHealthCheck: { kind: 'tcp' as const, path: '', intervalMs: 5000, timeoutMs: 1000 }, drainGraceMs: 1000 };
  const t = parseControlTable({ seq: 3, watch: ['RouteCreated'], routes: [{ name: 'a/prod/r', listen: { address: null, port: 80 }, proxyProtocol: 'v2', backendExpectsProxyProtocol: true, healthCheck: null, backends: [{ address: '[::1]:81' }] }] }, options);
  assert.deepEqual(t.table.routes[0]!.listen, { host: '::1', port: 80, family: 6 });
  assert.deepEqual(t.table.routes[0]!.healthCheck, options.defaultHealthCheck);
  assert.equal(t.table.routes[0]!.proxyProtocol, 'v2');
  assert.throws(() => parseControlTable({ seq: 1, watch: [], routes: [{ name: 'x', listen: { address: 'example.com', port: 1 }, proxyProtocol: 'v2', backends: [] }] }, options), (e: { code: string; problems: { path: string }[] }) => {
    assert.equal(e.code, 'TRC_EDGE_CONTROL_TABLE_INVALID');
    assert.deepEqual(e.problems.map((p) => p.path), ['routes[0].listen']);
    return true;
  });
  assert.throws(() => parseControlTable({ routes: 'no' }, options), { code: 'TRC_EDGE_CONTROL_TABLE_INVALID' });
});
