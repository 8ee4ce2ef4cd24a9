import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { connectTo, echoServer, freeAddress, roundTrip, routeSpec, startServer, testEdge, waitFor } from './testing/loopback.ts';

async function ask(s: Socket, text: string): Promise<string> {
  s.write(text);
  const [chunk] = (await once(s, 'data')) as [Buffer];
  return chunk.toString();
}

test('applyRoutes applies the diff: routes are added, moved and removed, and established connections of changed routes keep working', async () => {
  const backend = await echoServer();
  await using t = testEdge();
  const [a, b, moved] = [await freeAddress(), await freeAddress(), await freeAddress()];
  await t.edge.applyRoutes({ routes: [routeSpec('a', a, [backend.address]), routeSpec('b', b, [backend.address])] });
  const onA = await connectTo(a);
  const onB = await connectTo(b);
  assert.equal(await ask(onA, '1'), '1');
  assert.equal(await ask(onB, '2'), '2');

  // "a" changes its options in place; "b" moves to a new address (the old listener drains); "c" is new.
  const c = await freeAddress('::1');
  const r = await t.edge.applyRoutes({ routes: [routeSpec('a', a, [backend.address], { maxConnections: 5 }), routeSpec('b', moved, [backend.address]), routeSpec('c', c, [backend.address])] });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(t.edge.status().routes.map((x) => [x.name, x.listen]), [['a', `127.0.0.1:${a.port}`], ['b', `127.0.0.1:${moved.port}`], ['c', `[::1]:${c.port}`]]);
  assert.equal(await ask(onA, '3'), '3');
  assert.equal(await ask(onB, '4'), '4', 'a connection to the old address of a moved route finishes its work');
  await assert.rejects(connectTo(b), /ECONNREFUSED/);
  assert.equal((await roundTrip(moved, 'x')).toString(), 'x');
  assert.equal((await roundTrip(c, 'y')).toString(), 'y');

  await t.edge.applyRoutes({ routes: [routeSpec('a', a, [backend.address])] });
  await assert.rejects(connectTo(moved), /ECONNREFUSED/);
  await waitFor('the gauges of the removed route "c" to go', () => !/route="c"/.test(t.edge.metrics.render().split('\n').filter((l) => l.includes('_active') || l.includes('_healthy')).join('\n')));
  assert.equal(await ask(onA, '5'), '5');
  onA.destroy();
  onB.destroy();
  await backend.close();
});

test('a route whose listen address is taken is reported as TRC_EDGE_LISTEN_FAILED and the rest of the table applies', async () => {
  const taken = await startServer('127.0.0.1', () => undefined);
  const backend = await echoServer();
  await using t = testEdge();
  const free = await freeAddress();
  const r = await t.edge.applyRoutes({ routes: [routeSpec('busy', taken.address, [backend.address]), routeSpec('ok', free, [backend.address])] });
  assert.deepEqual(r.errors.map((e) => e.code), ['TRC_EDGE_LISTEN_FAILED']);
  assert.match(r.errors[0]!.message, /route "busy".*already in use/);
  assert.deepEqual(t.edge.status().routes.map((x) => x.name), ['ok']);
  assert.equal((await roundTrip(free, 'z')).toString(), 'z');
  await taken.close();
  await backend.close();
});

test('a route with no available backend closes new connections at once and counts them', async () => {
  await using t = testEdge();
  const listen = await freeAddress();
  await t.edge.applyRoutes({ routes: [routeSpec('empty', listen, [])] });
  const s = await connectTo(listen);
  s.on('error', () => undefined);
  await once(s, 'close');
  assert.equal(t.edge.metrics.get('trc_edge_route_connections_rejected_total', { route: 'empty', reason: 'no_backend' }), 1);
});
