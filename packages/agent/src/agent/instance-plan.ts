// Turns what the control plane says about an instance (its spec and the release's platform.toml) into what
// the agent does: the command, resources, the port and health check to probe, and who may read the secrets.
import { HEALTH_CHECK_LIMITS, parseManifest, userError, type HealthCheck, type InstanceResources } from '@trc/core';
import type { InstanceSpecResponse } from './control-client.ts';

export interface InstancePlan {
  readonly id: string;
  readonly org: string;
  readonly app: string;
  readonly processType: string;
  /** `image@digest`: pulled by digest, so a moved tag never changes what runs. */
  readonly imageRef: string;
  /** The manifest's `cmd`; the image's cmd when absent. */
  readonly command?: readonly string[];
  readonly resources: InstanceResources;
  /** The internal port the health check probes; absent for workers. */
  readonly port?: number;
  /** Absent: the instance counts as healthy as soon as it runs. */
  readonly healthCheck?: HealthCheck;
  readonly secrets: { readonly mode: '0400' } | { readonly mode: '0440'; readonly group: string };
}

/** The repository part of a reference, with any tag or digest removed, then `@digest`. */
export function pinnedReference(image: string, digest: string): string {
  const at = image.indexOf('@');
  let name = at >= 0 ? image.slice(0, at) : image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  return `${name}@${digest}`;
}

export function planInstance(spec: InstanceSpecResponse): InstancePlan {
  const base = {
    id: spec.id, org: spec.org, app: spec.app, processType: spec.processType,
    imageRef: pinnedReference(spec.image, spec.digest),
    resources: { cpu: spec.cpu, memory: spec.memoryBytes },
  };
  if (spec.manifest === undefined) return { ...base, secrets: { mode: '0400' } };
  const manifest = parseManifest(spec.manifest, 'platform.toml');
  const proc = manifest.processes[spec.processType];
  if (proc === undefined) {
    throw userError('TRC_AGENT_INSTANCE_START_FAILED', `release ${spec.release} of ${spec.app} has no process type "${spec.processType}" in its platform.toml`, 'deploy a release whose manifest declares the process type');
  }
  // A port without a health check is still checked: the instance counts once it accepts connections.
  const healthCheck: HealthCheck | undefined = proc.healthCheck ?? (proc.port === undefined ? undefined : { kind: 'tcp', intervalMs: HEALTH_CHECK_LIMITS.interval.default, timeoutMs: HEALTH_CHECK_LIMITS.timeout.default });
  return {
    ...base,
    ...(proc.cmd.length === 0 ? {} : { command: proc.cmd }),
    ...(proc.port === undefined ? {} : { port: proc.port }),
    ...(healthCheck === undefined || proc.port === undefined ? {} : { healthCheck }),
    secrets: manifest.secrets,
  };
}
