// Pins the event registry: entries may only be appended, never removed, renamed or reordered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_TYPES, eventTypeNumber, isEventType } from './registry.ts';

// Append new types at the end of BOTH lists. Editing any existing line here means rewriting history.
const PINNED = [
  'OrgCreated',
  'ApiTokenCreated',
  'ApiTokenRevoked',
  'AppCreated',
  'AppDeleted',
  'EnvironmentCreated',
  'ReleaseCreated',
  'DeployStarted',
  'ProcessScaled',
  'SecretBundleVersioned',
  'RestartRequired',
  'QuotasChanged',
  'NodeRegistered',
  'NodeCapacityReported',
  'NodeMarkedDown',
  'NodeMarkedUp',
  'ClusterSettingsChanged',
  'InstancePlaced',
  'InstanceStopRequested',
  'InstanceStateReported',
  'RestartCompleted',
  'RouteCreated',
  'RouteDeleted',
  'Ipv4PoolChanged',
  'Ipv4AddressAllocated',
  'Ipv4AddressReleased',
  'VolumeCreated',
  'VolumeDeleted',
  'InstanceRescheduleBlocked',
  'BackupPolicyChanged',
  'InstanceOomKilled',
  'DeployCompleted',
  'DeployFailed',
  'DeployRolledBack',
  'RouteBackendMarkedUnhealthy',
  'RouteBackendMarkedHealthy',
  'InstanceDrainStarted',
  'InstanceReplaced',
  'ProcessTypeCrashLooped',
  'ReplacementDeferred',
  'RestartAbandoned',
  'EnvironmentDeleted',
  'ImagePulled',
];

test('the event registry is append-only: every pinned type keeps its position', () => {
  assert.ok(EVENT_TYPES.length >= PINNED.length, 'an event type was removed');
  PINNED.forEach((type, i) => assert.equal(EVENT_TYPES[i], type, `entry ${i + 1} changed`));
  assert.equal(EVENT_TYPES.length, PINNED.length, 'a new type was appended: add it to PINNED too');
});

const IRREGULAR_PAST = new Set(['Set', 'Run', 'Lost', 'Sent', 'Built', 'Began']);

test('event types are unique PascalCase past-tense names', () => {
  assert.equal(new Set(EVENT_TYPES).size, EVENT_TYPES.length);
  for (const type of EVENT_TYPES) {
    assert.match(type, /^(?:[A-Z][a-z0-9]*)+$/, `${type} is not PascalCase`);
    const words = type.match(/[A-Z][a-z0-9]*/g) ?? [];
    // The verb may be followed by a particle (NodeMarkedDown); irregular past tenses are listed.
    assert.ok(words.slice(1).some((w) => w.endsWith('ed') || IRREGULAR_PAST.has(w)), `${type} has no past-tense verb`);
  }
  assert.equal(eventTypeNumber('OrgCreated'), 1);
  assert.equal(isEventType('OrgCreated'), true);
  assert.equal(isEventType('CreateOrg'), false);
  assert.equal(isEventType(7), false);
});
