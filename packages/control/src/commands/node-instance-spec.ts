// What a node agent needs to run one of its instances beyond the assignment: the release's image reference,
// its process type's resources, and the platform.toml text (cmd, port, health check, secrets file mode).
import type { NodeInstanceSpec } from '@trc/core';
import type { ControlState, InstanceState } from '../state/state.ts';
import { forbidden, notFound, type Actor } from './actor.ts';
import type { Control } from './control.ts';

export type { NodeInstanceSpec };

/** Only the node the instance is placed on may read its spec; any other node sees TRC_NOT_FOUND. */
export async function nodeInstanceSpec(control: Control, actor: Actor, node: string, instanceId: string): Promise<NodeInstanceSpec> {
  if (actor.kind !== 'node' || actor.node !== node) throw actor.kind === 'node' ? notFound(`node "${node}"`) : forbidden('read instance specs (only the node running it may)');
  const state = await control.read();
  const instance = state.instances.get(instanceId);
  if (instance === undefined || instance.node !== node) throw notFound(`instance "${instanceId}" on node "${node}"`);
  const spec = specOf(state, instance);
  if (spec === undefined) throw notFound(`release ${instance.release} of app "${instance.app}"`);
  return spec;
}

/** The spec of a placed instance (undefined if its release is gone); an instance's spec never changes. */
export function specOf(state: ControlState, instance: InstanceState): NodeInstanceSpec | undefined {
  const release = state.apps.get(instance.app)?.releases.find((r) => r.version === instance.release);
  if (release === undefined) return undefined;
  return {
    id: instance.id, app: instance.app, org: instance.org, env: instance.env, processType: instance.processType, release: instance.release,
    image: release.image, digest: instance.digest, bundleVersion: instance.bundleVersion, cpu: instance.cpu, memoryBytes: instance.memoryBytes,
    ...(release.manifest === undefined ? {} : { manifest: release.manifest }),
  };
}
