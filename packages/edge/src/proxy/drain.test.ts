import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ask, connectTo, freeAddress, namedEcho, readAll, routeSpec, testEdge, waitFor, type TestServer } from '../testing/loopback.ts';
import type { SocketAddress } from '../config/address.ts';

test('a removed backend drains: new connections stop at once, established ones keep working within the grace, then are cut', async () => {
  const a = await namedEcho('a');
  const b = await namedEcho('b');
  await using t = testEdge();
  const listen = await freeAddress();
  await t.edge.applyRoutes({ routes: [routeSpec('d', listen, [a.address], { drainGraceMs: 1500 })] });
  const old = await connectTo(listen);
  assert.equal(await ask(old, 'x'), 'a:x');

  await t.edge.applyRoutes({ routes: [routeSpec('d', listen, [b.address], { drainGraceMs: 1500 })] });
  const fresh = await connectTo(listen);
  assert.equal(await ask(fresh, 'y'), 'b:y', 'new connections go to the new backend');
  assert.equal(await ask(old, 'z'), 'a:z', 'the established connection still works');
  const draining = t.edge.status().routes[0]!.backends.find((x) => x.address === `127.0.0.1:${a.address.port}`);
  assert.equal(draining?.healthy, false);
  assert.match(draining?.reason ?? '', /^draining/);
  assert.equal(draining?.active_connections, 1);

  await once(old, 'close');
  await waitFor('the drained backend to leave /status', () => t.edge.status().routes[0]!.backends.length === 1);
  fresh.destroy();
  await a.close();
  await b.close();
});

test('a rolling restart under steady connection load (backends replaced one by one through applyRoutes) fails zero connections', async () => {
  const servers = new Map<string, TestServer>();
  const start = async (name: string): Promise<SocketAddress> => {
    const s = await namedEcho(name);
    servers.set(name, s);
    return s.address;
  };
  const current = [await start('v1-0'), await start('v1-1'), await start('v1-2')];
  await using t = testEdge(7);
  const listen = await freeAddress();
  const table = (): Parameters<typeof t.edge.applyRoutes>[0] => ({ routes: [routeSpec('web', listen, [...current], { drainGraceMs: 5000 })] });
  await t.edge.applyRoutes(table());

  let ok = 0;
  let failed = 0;
  const landed = new Set<string>();
  let restarting = true;
  const worker = async (): Promise<void> => {
    // Bounded: at most 120 connections per worker, and only while the restart runs (plus one round).
    for (let i = 0; i < 120 && restarting; i++) {
      try {
        const s = await connectTo(listen, { allowHalfOpen: true });
        const answer = readAll(s);
        s.write(`ping${i}`);
        await new Promise((r) => setTimeout(r, 5));
        s.end();
        const text = (await answer).toString();
        assert.match(text, new RegExp(`^v[12]-\\d:ping${i}$`));
        landed.add(text.split(':')[0]!);
        ok += 1;
      } catch {
        failed += 1;
      }
    }
  };
  const load = Promise.all(Array.from({ length: 6 }, worker));

  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 40));
    const old = current[i]!;
    current[i] = await start(`v2-${i}`);
    await t.edge.applyRoutes(table());
    // The old instance stops only once the edge has drained it, as an agent does after the grace period.
    await waitFor(`v1-${i} to drain`, () => !t.edge.status().routes[0]!.backends.some((b) => b.address === `127.0.0.1:${old.port}`), 6000);
    await servers.get(`v1-${i}`)!.close();
  }
  await new Promise((r) => setTimeout(r, 40));
  restarting = false;
  await load;
  assert.equal(failed, 0, `${failed} of ${ok + failed} connections failed`);
  assert.ok(ok >= 20, `${ok} connections ran during the restart`);
  assert.ok([...landed].some((n) => n.startsWith('v1')) && [...landed].some((n) => n.startsWith('v2')), `connections reached both generations: ${[...landed].join(',')}`);
  for (const s of servers.values()) await s.close();
});
