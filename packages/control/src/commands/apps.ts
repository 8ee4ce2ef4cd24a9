// Commands on apps, their environments, releases, deploys and scaling.
import { ENV_NAMES, parseManifest, parseMemoryQuantity, userError, type EnvName, type Problem, type ReleaseProcess } from '@trc/core';
import { aggregates, type AppState, type EnvState, type InstanceState, type ReleaseState } from '../state/state.ts';
import { notFound, requireApp, requireOrg, visibleOrg, type Actor } from './actor.ts';
import type { Control } from './control.ts';
import { nameProblem } from './names.ts';
import { newId } from './tokens.ts';
import { invalid } from './validate.ts';
import { checkReference, PINNED_DIGEST } from '../images/resolver.ts';
import { admit, FAILED, place, runningOf, stopChange, volumesFor, type InstanceGroup } from './placement.ts';
import { DEFAULT_ROLLING, leaveChange } from './rolling.ts';

const withVolumes = (volumes: string[] | undefined): { volumes?: string[] } => (volumes === undefined ? {} : { volumes });

export interface AppView {
  readonly name: string;
  readonly org: string;
  readonly createdAt: string;
  readonly envs: Record<string, EnvView>;
}

export interface EnvView {
  readonly name: EnvName;
  readonly release: number | null;
  readonly scale: Record<string, number>;
  readonly secretsVersion: number | null;
  readonly restarts: EnvState['restarts'];
  /** The rolling deploy in progress, if any. */
  readonly rollout: EnvState['rollout'];
}

export function envView(e: EnvState): EnvView {
  return { name: e.name, release: e.release, scale: { ...e.scale }, secretsVersion: e.secrets?.version ?? null, restarts: { ...e.restarts }, rollout: e.rollout === null ? null : { ...e.rollout } };
}

function appView(a: AppState): AppView {
  const envs: Record<string, EnvView> = {};
  for (const e of Object.values(a.envs)) envs[e.name] = envView(e);
  return { name: a.name, org: a.org, createdAt: a.createdAt, envs };
}

export function requireEnv(app: AppState, env: string): EnvState {
  // Own keys only: `constructor` or `__proto__` must not pass for an environment.
  const found = Object.hasOwn(app.envs, env) ? app.envs[env] : undefined;
  if (found === undefined) throw notFound(`environment "${app.name}/${env}"`);
  return found;
}

/** Creates the app with its two environments, prod and staging. App names are unique platform-wide. */
export async function createApp(control: Control, actor: Actor, input: { org: string; name: string }): Promise<AppView> {
  const state = await control.read();
  requireOrg(state, actor, input.org);
  const problems = nameProblem(input.name, 'name', 'app name');
  if (problems.length > 0) throw invalid(problems);
  if (state.apps.has(input.name)) throw userError('TRC_ALREADY_EXISTS', `app "${input.name}" exists already`, 'app names are unique across the platform: pick another');
  const aggregateId = aggregates.app(input.name);
  const payload = { app: input.name, org: input.org };
  await control.commit(actor, [
    {
      aggregateId,
      expectedVersion: control.version(aggregateId),
      changes: [{ type: 'AppCreated', payload }, ...ENV_NAMES.map((env) => ({ type: 'EnvironmentCreated' as const, payload: { ...payload, env } }))],
    },
  ]);
  return appView((await control.read()).apps.get(input.name)!);
}

export async function listApps(control: Control, actor: Actor): Promise<AppView[]> {
  const state = await control.read();
  const org = visibleOrg(actor);
  if (org === null) return [];
  return [...state.apps.values()].filter((a) => org === undefined || a.org === org).map(appView);
}

export async function getApp(control: Control, actor: Actor, name: string): Promise<AppView> {
  return appView(requireApp(await control.read(), actor, name));
}

export async function deleteApp(control: Control, actor: Actor, name: string): Promise<void> {
  const state = await control.read();
  const app = requireApp(state, actor, name);
  const stops = [...state.instances.values()].filter((i) => i.app === name && i.desired === 'running').map((i) => stopChange(i, 'deploy'));
  const routes = [...state.routes.values()].filter((r) => r.app === name).map((r) => ({ type: 'RouteDeleted' as const, payload: { app: name, org: app.org, env: r.env, route: r.name } }));
  const addresses = [...state.ipv4.values()].filter((a) => a.app === name).map((a) => ({ type: 'Ipv4AddressReleased' as const, payload: { address: a.address, app: name, org: app.org, env: a.env } }));
  const aggregateId = aggregates.app(name);
  // Routes and addresses go with the app, in the same atomic append.
  await control.commit(actor, [
    { aggregateId, expectedVersion: control.version(aggregateId), changes: [...stops, { type: 'AppDeleted', payload: { app: name, org: app.org } }] },
    ...(routes.length === 0 ? [] : [{ aggregateId: aggregates.routes, expectedVersion: control.version(aggregates.routes), changes: routes }]),
    ...(addresses.length === 0 ? [] : [{ aggregateId: aggregates.ipv4, expectedVersion: control.version(aggregates.ipv4), changes: addresses }]),
  ]);
}

export interface ProcessInput {
  readonly cpu: number;
  readonly memory: string;
  readonly count: number;
}

/** An image and either the app's platform.toml text (`manifest`) or its process types spelled out. */
export interface ReleaseInput {
  readonly image: string;
  readonly processes?: Readonly<Record<string, ProcessInput>>;
  readonly manifest?: string;
}

export const MAX_COUNT = 1000;

function checkProcesses(input: Readonly<Record<string, ProcessInput>>): { processes: Record<string, ReleaseProcess>; problems: Problem[] } {
  const problems: Problem[] = [];
  const processes: Record<string, ReleaseProcess> = {};
  const names = Object.keys(input);
  if (names.length === 0) problems.push({ path: 'processes', code: 'TRC_RELEASE_INVALID', message: 'a release needs at least one process type', hint: 'e.g. {"web": {"cpu": 1, "memory": "512Mi", "count": 1}}' });
  for (const [name, p] of Object.entries(input)) {
    const path = `processes.${name}`;
    problems.push(...nameProblem(name, path, 'process type'));
    const memory = parseMemoryQuantity(p.memory);
    if (!memory.ok) problems.push({ path: `${path}.memory`, code: 'TRC_INVALID_INPUT', message: memory.message, hint: memory.hint });
    // cgroup cpu.weight is 100 per vCPU: a finer value would be silently rounded, so refuse it.
    if (!(p.cpu > 0) || Math.round(p.cpu * 100) !== p.cpu * 100) problems.push({ path: `${path}.cpu`, code: 'TRC_INVALID_INPUT', message: `cpu ${p.cpu} is not a positive multiple of 0.01 vCPU`, hint: 'e.g. 0.25, 0.5, 1, 2' });
    if (!Number.isInteger(p.count) || p.count < 0 || p.count > MAX_COUNT) problems.push({ path: `${path}.count`, code: 'TRC_INVALID_INPUT', message: `count must be a whole number from 0 to ${MAX_COUNT}` });
    if (memory.ok) processes[name] = { cpu: p.cpu, memoryBytes: memory.bytes, count: p.count };
  }
  return { processes, problems };
}

/** A release pins an OCI image by digest, so every instance of it, and every restart, runs the same bytes. */
export async function createRelease(control: Control, actor: Actor, appName: string, input: ReleaseInput): Promise<ReleaseState> {
  requireApp(await control.read(), actor, appName);
  const problems: Problem[] = [];
  checkReference(input.image);
  let digest = PINNED_DIGEST.exec(input.image)?.[1];
  if (digest === undefined) {
    // Resolved before the state is read for the append, so the slow registry call holds no version.
    if (control.deps.resolver !== undefined) digest = await control.deps.resolver.resolve(input.image);
    else problems.push({ path: 'image', code: 'TRC_RELEASE_INVALID', message: `image "${input.image.slice(0, 200)}" is not pinned to a digest`, hint: 'give it as name@sha256:<64 hex digits> (`skopeo inspect` prints the digest)' });
  }
  let processes: Record<string, ReleaseProcess> = {};
  if ((input.manifest === undefined) === (input.processes === undefined)) {
    problems.push({ path: 'manifest', code: 'TRC_RELEASE_INVALID', message: 'give either manifest (the platform.toml text) or processes, not both or neither', hint: 'send {"image": ..., "manifest": "<platform.toml>"}' });
  } else if (input.manifest !== undefined) {
    // A manifest error is the user's to fix and carries its own problems; it goes out as it is.
    const manifest = parseManifest(input.manifest, 'platform.toml');
    if (manifest.app !== appName) problems.push({ path: 'manifest.app', code: 'TRC_RELEASE_INVALID', message: `the manifest is for app "${manifest.app}", not "${appName}"`, hint: 'deploy it to the app it names, or change `app` in platform.toml' });
    for (const p of Object.values(manifest.processes)) processes[p.name] = { cpu: p.cpu, memoryBytes: p.memoryBytes, count: p.count };
  } else {
    const checked = checkProcesses(input.processes!);
    problems.push(...checked.problems);
    processes = checked.processes;
  }
  if (problems.length > 0) throw invalid(problems);
  const app = requireApp(await control.read(), actor, appName);
  const version = (app.releases.at(-1)?.version ?? 0) + 1;
  const aggregateId = aggregates.app(appName);
  await control.commit(actor, [
    { aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'ReleaseCreated', payload: { app: appName, org: app.org, version, image: input.image, digest: digest!, processes, ...(input.manifest === undefined ? {} : { manifest: input.manifest }) } }] },
  ]);
  return (await control.read()).apps.get(appName)!.releases.find((r) => r.version === version)!;
}

export async function listReleases(control: Control, actor: Actor, appName: string): Promise<ReleaseState[]> {
  return [...requireApp(await control.read(), actor, appName).releases];
}

/**
 * Starts a deploy of a release to an environment. Two concurrent deploys of one app append against the
 * same app version, so exactly one wins and the other gets TRC_CONFLICT.
 *
 * Instances of the process types the release keeps are replaced by a rolling rollout (deploys.ts), one
 * step per reconciler pass; only what has nothing to replace happens now: new process types (and missing
 * instances) are placed, surplus instances and those of process types the release dropped are stopped.
 */
export async function deploy(control: Control, actor: Actor, appName: string, envName: string, input: { release: number }): Promise<{ deployId: string; release: number; env: EnvName; instances: number; rolling: number }> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const env = requireEnv(app, envName);
  const release = app.releases.find((r) => r.version === input.release);
  if (release === undefined) throw notFound(`release ${input.release} of app "${appName}"`);
  const all = runningOf(state, app.name, env.name);
  const deployId = newId('dep', control.deps.random);
  // Admission counts the new release in full against everything else: the old instances are on their way out.
  const exclude = new Set(all.map((i) => i.id));
  const stops: InstanceState[] = all.filter((i) => !(i.processType in release.processes));
  let rolling = 0;
  const planned = Object.entries(release.processes).map(([processType, p]): { group: InstanceGroup; full: number } => {
    const count = env.scale[processType] ?? p.count;
    const mine = all.filter((i) => i.processType === processType);
    // Instances of this very release that exited or fail their health check are replaced too: a redeploy retries.
    const current = mine.filter((i) => i.release === release.version && !FAILED.has(i.actual));
    const old = mine.filter((i) => !current.includes(i));
    const keepCurrent = current.slice(0, count);
    const keepOld = old.slice(0, count - keepCurrent.length);
    stops.push(...current.slice(count), ...old.slice(keepOld.length));
    rolling += keepOld.length;
    const fill = count - keepCurrent.length - keepOld.length;
    const held = new Set(all.filter((i) => !keepCurrent.includes(i) && !keepOld.includes(i)).map((i) => i.id));
    const volumes = fill > 0 ? volumesFor(state, app.name, env.name, processType, fill, held) : undefined;
    const group: InstanceGroup = {
      app: app.name, org: app.org, env: env.name, processType, release: release.version, digest: release.digest, bundleVersion: env.secrets?.version ?? 0,
      cpu: p.cpu, memoryBytes: p.memoryBytes, count: fill, reason: 'deploy', deployId, ...(volumes === undefined ? {} : { volumes }),
    };
    return { group, full: count };
  });
  admit(state, app.org, exclude, { memoryBytes: planned.reduce((sum, g) => sum + g.full * g.group.memoryBytes, 0), instances: planned.reduce((sum, g) => sum + g.full, 0) });
  const placed = place(state, planned.map((g) => g.group), new Set(stops.map((i) => i.id)), control.deps.random);
  const aggregateId = aggregates.app(appName);
  await control.commit(actor, [
    {
      aggregateId,
      expectedVersion: control.version(aggregateId),
      changes: [{ type: 'DeployStarted', payload: { deployId, app: appName, org: app.org, env: env.name, release: input.release } }, ...stops.map((i) => stopChange(i, 'deploy')), ...placed],
    },
  ]);
  return { deployId, release: input.release, env: env.name, instances: placed.length, rolling };
}

export async function scale(control: Control, actor: Actor, appName: string, envName: string, input: { processType: string; count: number }): Promise<EnvView> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const env = requireEnv(app, envName);
  if (env.release === null) throw userError('TRC_NOT_DEPLOYED', `environment "${appName}/${env.name}" has no release deployed`, 'deploy a release first');
  const release = app.releases.find((r) => r.version === env.release)!;
  if (!(input.processType in release.processes)) throw notFound(`process type "${input.processType}" in release ${release.version}`);
  if (!Number.isInteger(input.count) || input.count < 0 || input.count > MAX_COUNT) throw invalid([{ path: 'count', code: 'TRC_INVALID_INPUT', message: `count must be a whole number from 0 to ${MAX_COUNT}` }]);
  const running = runningOf(state, app.name, env.name, input.processType);
  const proc = release.processes[input.processType]!;
  const more = Math.max(0, input.count - running.length);
  const group: InstanceGroup = {
    app: app.name, org: app.org, env: env.name, processType: input.processType, release: release.version, digest: release.digest, bundleVersion: env.secrets?.version ?? 0,
    cpu: proc.cpu, memoryBytes: proc.memoryBytes, count: more, reason: 'scale',
    ...(more > 0 ? withVolumes(volumesFor(state, app.name, env.name, input.processType, more, new Set())) : {}),
  };
  if (more > 0) admit(state, app.org, new Set(), { memoryBytes: more * proc.memoryBytes, instances: more });
  const placed = place(state, [group], new Set(), control.deps.random);
  // Scaling down takes the newest instances first. A serving one drains (the edges drop it in this very append,
  // its established connections get the grace, the reconciler stops it after); the others stop at once.
  const grace = control.deps.drainGraceMs ?? DEFAULT_ROLLING.drainGraceMs;
  const stopped = running.slice(input.count).reverse().map((i) => leaveChange(i, 'scale', grace));
  const aggregateId = aggregates.app(appName);
  await control.commit(actor, [
    {
      aggregateId,
      expectedVersion: control.version(aggregateId),
      changes: [{ type: 'ProcessScaled', payload: { app: appName, org: app.org, env: env.name, processType: input.processType, count: input.count } }, ...placed, ...stopped],
    },
  ]);
  return envView(requireEnv((await control.read()).apps.get(appName)!, env.name));
}
