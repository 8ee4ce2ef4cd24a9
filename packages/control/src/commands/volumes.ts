// Local volumes (ADR 0011) and the cluster-level backup policy. A volume lives on one node, chosen by the
// scheduler when it is created; the instance mounting it always runs there.
import { TrcError, parseMemoryQuantity, userError } from '@trc/core';
import { aggregates, routeKey, type BackupPolicy, type VolumeState } from '../state/state.ts';
import { notFound, requireApp, requireOperator, type Actor } from './actor.ts';
import { requireEnv } from './apps.ts';
import type { Control } from './control.ts';
import { nameProblem } from './names.ts';
import { planPlacements } from './placement.ts';
import { invalid } from './validate.ts';

export interface BackupPolicyInput {
  readonly enabled: boolean;
  readonly intervalHours: number;
  readonly retention: number;
  /** `app/env` pairs exempted from backups. */
  readonly disabledEnvs: readonly string[];
}

export async function createVolume(control: Control, actor: Actor, appName: string, envName: string, input: { name: string; processType: string; size: string; backupEnabled?: boolean }): Promise<VolumeState> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const env = requireEnv(app, envName);
  const problems = nameProblem(input.name, 'name', 'volume name');
  const size = parseMemoryQuantity(input.size);
  if (!size.ok) problems.push({ path: 'size', code: 'TRC_INVALID_INPUT', message: size.message, hint: size.hint });
  const release = env.release === null ? undefined : app.releases.find((r) => r.version === env.release);
  if (release === undefined) throw userError('TRC_NOT_DEPLOYED', `environment "${appName}/${env.name}" has no release deployed`, 'deploy a release with the process type first');
  const proc = release.processes[input.processType];
  if (proc === undefined) problems.push({ path: 'processType', code: 'TRC_INVALID_INPUT', message: `process type "${input.processType}" is not in release ${release.version}` });
  if (problems.length > 0 || !size.ok || proc === undefined) throw invalid(problems);
  if (state.volumes.has(routeKey(appName, env.name, input.name))) throw userError('TRC_ALREADY_EXISTS', `volume "${input.name}" exists already in ${appName}/${env.name}`, 'pick another name');
  // The node that could run one more instance of the process type holds the volume.
  const plan = planPlacements(state, [{ app: app.name, org: app.org, env: env.name, processType: input.processType, release: release.version, digest: release.digest, bundleVersion: 0, cpu: proc.cpu, memoryBytes: proc.memoryBytes, count: 1, reason: 'scale' }], new Set(), control.deps.random)[0]!;
  const failure = plan.failures[0];
  if (failure !== undefined) throw new TrcError(failure.code, `no node can hold volume "${input.name}": ${failure.message}`, { ...(failure.hint === undefined ? {} : { hint: failure.hint }) });
  const placed = plan.placed[0]!.payload as { node: string };
  const aggregateId = aggregates.app(appName);
  await control.commit(actor, [
    {
      aggregateId,
      expectedVersion: control.version(aggregateId),
      changes: [{ type: 'VolumeCreated', payload: { app: appName, org: app.org, env: env.name, volume: input.name, processType: input.processType, sizeBytes: size.bytes, backupEnabled: input.backupEnabled ?? true, node: placed.node } }],
    },
  ]);
  return (await control.read()).volumes.get(routeKey(appName, env.name, input.name))!;
}

export async function listVolumes(control: Control, actor: Actor, appName: string): Promise<VolumeState[]> {
  const state = await control.read();
  requireApp(state, actor, appName);
  return [...state.volumes.values()].filter((v) => v.app === appName);
}

export async function deleteVolume(control: Control, actor: Actor, appName: string, envName: string, name: string): Promise<void> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const env = requireEnv(app, envName);
  const volume = state.volumes.get(routeKey(appName, env.name, name));
  if (volume === undefined) throw notFound(`volume "${name}" in ${appName}/${env.name}`);
  if ([...state.instances.values()].some((i) => i.desired === 'running' && i.volume === volume.id)) throw userError('TRC_VOLUME_IN_USE', `volume "${name}" is mounted by a running instance`, 'scale the process type down first');
  const aggregateId = aggregates.app(appName);
  await control.commit(actor, [{ aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'VolumeDeleted', payload: { app: appName, org: app.org, env: env.name, volume: name, node: volume.node } }] }]);
}

export async function setBackupPolicy(control: Control, actor: Actor, input: BackupPolicyInput): Promise<BackupPolicy> {
  requireOperator(actor, 'change the backup policy');
  const problems = input.disabledEnvs.filter((e) => !/^[a-z][a-z0-9-]*\/(prod|staging)$/.test(e)).map((e) => ({ path: 'disabledEnvs', code: 'TRC_INVALID_INPUT' as const, message: `"${e.slice(0, 80)}" is not app/env`, hint: 'e.g. shop/staging' }));
  if (problems.length > 0) throw invalid(problems);
  await control.read();
  await control.commit(actor, [{ aggregateId: aggregates.platform, expectedVersion: control.version(aggregates.platform), changes: [{ type: 'BackupPolicyChanged', payload: { ...input, disabledEnvs: [...new Set(input.disabledEnvs)].sort() } }] }]);
  return (await control.read()).backupPolicy;
}

/** Whether a volume of (app, env) is backed up, and how: the cluster policy, the env exemption, the volume's opt-out. */
export async function envBackups(control: Control, actor: Actor, appName: string, envName: string): Promise<{ enabled: boolean; intervalHours: number; retention: number; volumes: { name: string; backedUp: boolean }[] }> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const env = requireEnv(app, envName);
  const policy = state.backupPolicy;
  const enabled = policy.enabled && !policy.disabledEnvs.includes(`${appName}/${env.name}`);
  const volumes = [...state.volumes.values()].filter((v) => v.app === appName && v.env === env.name).map((v) => ({ name: v.name, backedUp: enabled && v.backupEnabled }));
  return { enabled, intervalHours: policy.intervalHours, retention: policy.retention, volumes };
}
