// The append-only registry of event types. A type is a past-tense name; entries are only ever added at the
// end, never renamed, reordered or reused, because stored logs refer to them forever (registry.test.ts pins it).

export const EVENT_TYPES = [
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
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && KNOWN.has(value);
}

/** The 1-based position of a type in the registry: stable forever, usable as a compact tag. */
export function eventTypeNumber(type: EventType): number {
  return EVENT_TYPES.indexOf(type) + 1;
}
