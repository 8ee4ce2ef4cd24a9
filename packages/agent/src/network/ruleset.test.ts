// The nftables ruleset as text: the policy is readable in the expected output, and rendering is deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrcError } from '@trc/core';
import { renderAttach, renderDetach, renderRuleset } from './ruleset.ts';
import { checkNetworkNames, hostInterfaceName } from './names.ts';

const instances = [
  { hostInterface: 'trcv4', address: '10.88.0.4', orgId: 'org-a' },
  { hostInterface: 'trcv2', address: '10.88.0.2', orgId: 'org-a' },
  { hostInterface: 'trcv3', address: '10.88.0.3', orgId: 'org-b' },
];

test('the ruleset replaces only the TRC table atomically: same org allowed, other orgs dropped, host to instance allowed, instance to host only replies and listed ports', () => {
  assert.equal(renderRuleset({ table: 'trc_node1', interfacePrefix: 'trcv', instances, hostTcpPorts: [53, 53, 9100] }), `table inet trc_node1
delete table inet trc_node1
table inet trc_node1 {
\tset sources {
\t\ttype ifname . ipv4_addr
\t\telements = { "trcv2" . 10.88.0.2, "trcv3" . 10.88.0.3, "trcv4" . 10.88.0.4 }
\t}
\tset org_0 {
\t\ttype ipv4_addr
\t\telements = { 10.88.0.2, 10.88.0.4 }
\t}
\tset org_1 {
\t\ttype ipv4_addr
\t\telements = { 10.88.0.3 }
\t}
\tchain prerouting {
\t\ttype filter hook prerouting priority filter; policy accept;
\t\tiifname . ip saddr @sources accept
\t\tiifname "trcv*" drop
\t}
\tchain forward {
\t\ttype filter hook forward priority filter; policy accept;
\t\tiifname "trcv*" oifname "trcv*" jump between_instances
\t\tiifname "trcv*" drop
\t\toifname "trcv*" drop
\t}
\tchain between_instances {
\t\tip saddr @org_0 ip daddr @org_0 accept
\t\tip saddr @org_1 ip daddr @org_1 accept
\t\tdrop
\t}
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\tiifname "trcv*" jump instance_to_host
\t}
\tchain instance_to_host {
\t\tct state established,related accept
\t\ttcp dport { 53, 9100 } accept
\t\tdrop
\t}
}
`);
});

test('with no instances the ruleset has no sets and drops everything from instance interfaces; order of input does not matter', () => {
  const empty = renderRuleset({ table: 't', interfacePrefix: 'v', instances: [] });
  assert.ok(!empty.includes('set org_'));
  assert.match(empty, /chain between_instances \{\n\t\tdrop\n\t\}/);
  assert.match(empty, /chain instance_to_host \{\n\t\tct state established,related accept\n\t\tdrop\n/);
  assert.equal(renderRuleset({ table: 't', interfacePrefix: 'v', instances: [...instances].reverse() }), renderRuleset({ table: 't', interfacePrefix: 'v', instances }));
});

test('an instance is added and removed as set elements in one transaction; a new org gets its set and accept rule first', () => {
  const i = { hostInterface: 'trcv5', address: '10.88.0.5', orgId: 'org-c' };
  assert.equal(renderAttach('trc_node1', i, { n: 2, newOrg: true }), `add set inet trc_node1 org_2 { type ipv4_addr; }
insert rule inet trc_node1 between_instances ip saddr @org_2 ip daddr @org_2 accept
add element inet trc_node1 org_2 { 10.88.0.5 }
add element inet trc_node1 sources { "trcv5" . 10.88.0.5 }
`);
  assert.equal(renderAttach('trc_node1', i, { n: 0, newOrg: false }), 'add element inet trc_node1 org_0 { 10.88.0.5 }\nadd element inet trc_node1 sources { "trcv5" . 10.88.0.5 }\n');
  assert.equal(renderDetach('trc_node1', i, 0), 'delete element inet trc_node1 org_0 { 10.88.0.5 }\ndelete element inet trc_node1 sources { "trcv5" . 10.88.0.5 }\n');
});

test('host names are checked before they reach ip or nft, and interface names fit the kernel limit', () => {
  const base = { subnet: '10.88.0.0/16', table: 'trc_node1', netnsPrefix: 'trc-', interfacePrefix: 'trcv', stateDir: '/x' };
  checkNetworkNames(base);
  for (const bad of [{ table: 'trc-node' }, { table: 'x; flush ruleset' }, { interfacePrefix: 'abcdefghijk' }, { interfacePrefix: 'a b' }, { netnsPrefix: '../x' }, { hostTcpPorts: [0] }]) {
    assert.throws(() => checkNetworkNames({ ...base, ...bad }), (e) => isTrcError(e) && e.code === 'TRC_NETWORK_CONFIG_INVALID', JSON.stringify(bad));
  }
  assert.ok(hostInterfaceName({ ...base, interfacePrefix: 'abcdefghij' }, 2 ** 24 - 2).length <= 15);
});
