// IPAM rules without root: subnet parsing, round-robin allocation, conflicts, exhaustion, and the state file.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { isTrcError } from '@trc/core';
import { allocate, emptyIpamState, parseSubnet, release, type IpamState } from './ipam.ts';
import { IPAM_FILE, loadIpamState, saveIpamState } from './ipam-file.ts';

const work = mkdtempSync(path.join(tmpdir(), 'trc-ipam-'));
after(() => rmSync(work, { recursive: true, force: true }));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isTrcError(error) ? error.code : 'not a TrcError';
  }
  return undefined;
}

test('parseSubnet accepts IPv4 CIDRs from /8 to /29 without host bits and names the gateway', () => {
  assert.deepEqual(parseSubnet('10.88.0.0/16'), { cidr: '10.88.0.0/16', network: 0x0a580000, prefix: 16, gateway: '10.88.0.1', size: 65536 });
  assert.equal(parseSubnet('192.168.7.248/29').gateway, '192.168.7.249');
  for (const bad of ['10.88.0.0', '10.88.0.1/16', '10.88.0.0/30', '10.0.0.0/7', '256.0.0.0/8', 'fd00::/64', ' 10.88.0.0/16', '10.88.0.0/16 ']) {
    assert.equal(code(() => parseSubnet(bad)), 'TRC_NETWORK_CONFIG_INVALID', bad);
  }
});

test('addresses are handed out round-robin, never the network, gateway or broadcast, and a freed address is reused last', () => {
  const subnet = parseSubnet('10.9.0.0/29'); // offsets 2..6 are instance addresses
  let state = emptyIpamState(subnet);
  const take = (id: string, org = 'o'): string => {
    const r = allocate(subnet, state, id, org);
    state = r.state;
    return r.allocation.address;
  };
  assert.deepEqual(['a', 'b', 'c'].map((id) => take(id)), ['10.9.0.2', '10.9.0.3', '10.9.0.4']);
  state = release(state, 'b');
  assert.deepEqual(['d', 'e'].map((id) => take(id)), ['10.9.0.5', '10.9.0.6']);
  assert.equal(take('f'), '10.9.0.3');
  assert.equal(code(() => take('g')), 'TRC_NETWORK_ADDRESSES_EXHAUSTED');
  assert.equal(take('a'), '10.9.0.2', 'attaching again for the same org returns the same address');
  assert.equal(code(() => take('a', 'other')), 'TRC_NETWORK_INSTANCE_CONFLICT');
});

test('property: any sequence of allocations and releases keeps addresses unique and inside the instance range', () => {
  const subnet = parseSubnet('10.1.2.0/28');
  const op = fc.record({ release: fc.boolean(), id: fc.integer({ min: 0, max: 20 }) });
  fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
    let state: IpamState = emptyIpamState(subnet);
    for (const o of ops) {
      if (o.release) state = release(state, `i${o.id}`);
      else if (state.allocations.length < 13 || state.allocations.some((a) => a.instanceId === `i${o.id}`)) state = allocate(subnet, state, `i${o.id}`, 'o').state;
      else assert.equal(code(() => allocate(subnet, state, `i${o.id}`, 'o')), 'TRC_NETWORK_ADDRESSES_EXHAUSTED');
      const offsets = state.allocations.map((a) => a.offset);
      assert.equal(new Set(offsets).size, offsets.length);
      assert.ok(offsets.every((x) => x >= 2 && x <= 14));
    }
  }), { numRuns: 300 });
});

test('the state file round-trips, starts empty, and a corrupt or foreign file is refused', async () => {
  const subnet = parseSubnet('10.88.0.0/16');
  const dir = path.join(work, 'state');
  assert.deepEqual(await loadIpamState(dir, subnet), emptyIpamState(subnet));
  const { state } = allocate(subnet, allocate(subnet, emptyIpamState(subnet), 'web-1', 'org-a').state, 'web-2', 'org-b');
  await saveIpamState(dir, state);
  assert.deepEqual(await loadIpamState(dir, subnet), state);
  await assert.rejects(loadIpamState(dir, parseSubnet('10.89.0.0/16')), { code: 'TRC_NETWORK_STATE_INVALID' });
  const corrupt = (text: string): Promise<IpamState> => {
    writeFileSync(path.join(dir, IPAM_FILE), text);
    return loadIpamState(dir, subnet);
  };
  await assert.rejects(corrupt('{'), { code: 'TRC_NETWORK_STATE_INVALID' });
  const dup = { ...state, allocations: [state.allocations[0], { ...state.allocations[0], instanceId: 'web-3' }] };
  await assert.rejects(corrupt(JSON.stringify(dup)), { code: 'TRC_NETWORK_STATE_INVALID' });
  const outside = { ...state, allocations: [{ ...state.allocations[0], offset: 65535, address: '10.88.255.255' }] };
  await assert.rejects(corrupt(JSON.stringify(outside)), { code: 'TRC_NETWORK_STATE_INVALID' });
  const mismatched = { ...state, allocations: [{ ...state.allocations[0], address: '10.88.0.9' }] };
  await assert.rejects(corrupt(JSON.stringify(mismatched)), { code: 'TRC_NETWORK_STATE_INVALID' });
});

test('an allocation keeps the pooled names it took; a state file giving one pooled namespace to two instances is refused', async () => {
  const subnet = parseSubnet('10.88.0.0/16');
  const dir = path.join(work, 'pooled');
  const pooled = { netns: 'trc-_p0', hostInterface: 'trcv_0' };
  const { state, allocation } = allocate(subnet, emptyIpamState(subnet), 'web-1', 'org-a', pooled);
  assert.equal(allocation.netns, 'trc-_p0');
  assert.equal(allocation.hostInterface, 'trcv_0');
  await saveIpamState(dir, state);
  assert.deepEqual(await loadIpamState(dir, subnet), state);
  const twice = allocate(subnet, state, 'web-2', 'org-a', pooled).state;
  writeFileSync(path.join(dir, IPAM_FILE), JSON.stringify(twice));
  await assert.rejects(loadIpamState(dir, subnet), { code: 'TRC_NETWORK_STATE_INVALID' });
  const half = { ...state, allocations: [{ ...state.allocations[0], hostInterface: undefined }] };
  writeFileSync(path.join(dir, IPAM_FILE), JSON.stringify(half));
  await assert.rejects(loadIpamState(dir, subnet), { code: 'TRC_NETWORK_STATE_INVALID' });
});
