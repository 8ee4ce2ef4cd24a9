// Node registration, heartbeats and liveness: a node that stops heartbeating is marked down, and back up.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestControl, operator, orgActor } from '../test-support/control.ts';
import { createJoinToken, createOrg } from './orgs.ts';
import { heartbeat, listNodes, markSilentNodesDown, registerNode } from './nodes.ts';
import type { Actor } from './actor.ts';

const t = await makeTestControl('nodes');
after(() => t.close());
const { control } = t;
const capacity = { cores: 8, memoryBytes: 16 * 2 ** 30, reservedMemoryBytes: 2 ** 30 };

test('a node registers with a join token and reports its capacity; other tokens may not', async () => {
  const joinToken = await createJoinToken(control, operator, { name: 'rack' });
  const join: Actor = { kind: 'join', tokenId: joinToken.id };
  const reg = await registerNode(control, join, { name: 'n1', ...capacity });
  assert.match(reg.token, /^trc_node_/);
  await assert.rejects(registerNode(control, join, { name: 'n1', ...capacity }), { code: 'TRC_ALREADY_EXISTS' });
  await assert.rejects(registerNode(control, join, { name: 'n2', cores: 0, memoryBytes: 1, reservedMemoryBytes: 5 }), (e: { problems: unknown[] }) => e.problems.length === 2);
  await createOrg(control, operator, { name: 'acme' });
  await assert.rejects(registerNode(control, orgActor('acme'), { name: 'n3', ...capacity }), { code: 'TRC_FORBIDDEN' });
  await registerNode(control, join, { name: 'n2', ...capacity });
});

test('a node that stops heartbeating is marked down, and a heartbeat brings it back up', async () => {
  const seen = new Map<string, number>();
  const start = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));
  const at = (s: number) => new Date(start.getTime() + s * 1000);
  const n1: Actor = { kind: 'node', node: 'n1', tokenId: 'tok_n1' };
  await heartbeat(control, n1, 'n1', capacity, at(10), seen);
  await assert.rejects(heartbeat(control, n1, 'n2', capacity, at(10), seen), { code: 'TRC_NOT_FOUND' });
  // n2 never heartbeats: counted from the control plane's start.
  assert.deepEqual(await markSilentNodesDown(control, at(25), start, seen, 20_000), ['n2']);
  assert.deepEqual(await markSilentNodesDown(control, at(31), start, seen, 20_000), ['n1']);
  assert.deepEqual(await markSilentNodesDown(control, at(60), start, seen, 20_000), []);
  const down = await listNodes(control, operator);
  assert.deepEqual(down.map((n) => [n.name, n.status]), [['n1', 'down'], ['n2', 'down']]);
  assert.match(down[0]!.downReason ?? '', /no heartbeat for 21s/);
  const back = await heartbeat(control, n1, 'n1', { ...capacity, cores: 16 }, at(61), seen);
  assert.deepEqual([back.status, back.cores], ['up', 16]);
  assert.deepEqual((await t.store.read({ aggregateId: 'node:n1' })).map((e) => e.type), ['NodeRegistered', 'ApiTokenCreated', 'NodeMarkedDown', 'NodeCapacityReported', 'NodeMarkedUp']);
  assert.equal((await control.verify()).ok, true);
});
