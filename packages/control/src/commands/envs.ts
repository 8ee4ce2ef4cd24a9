// Commands on an app's environments as resources of their own: create one by name, list them, delete an empty one.
import { TrcError, userError, type Problem } from '@trc/core';
import { aggregates, type AppState, type ControlState } from '../state/state.ts';
import { requireApp, type Actor } from './actor.ts';
import { envView, requireEnv, type EnvView } from './apps.ts';
import type { Control } from './control.ts';
import { nameProblem } from './names.ts';
import { invalid } from './validate.ts';

/** The app's environments, sorted by name. */
export async function listEnvs(control: Control, actor: Actor, appName: string): Promise<EnvView[]> {
  const app = requireApp(await control.read(), actor, appName);
  return Object.values(app.envs).map(envView).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function getEnv(control: Control, actor: Actor, appName: string, envName: string): Promise<EnvView> {
  return envView(requireEnv(requireApp(await control.read(), actor, appName), envName));
}

/** Creates an empty environment: no release, no scale, no secrets. Its name is a DNS label, unique in the app. */
export async function createEnv(control: Control, actor: Actor, appName: string, input: { name: string }): Promise<EnvView> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const problems = nameProblem(input.name, 'name', 'environment name');
  if (problems.length > 0) throw invalid(problems);
  if (Object.hasOwn(app.envs, input.name)) throw userError('TRC_ALREADY_EXISTS', `environment "${appName}/${input.name}" exists already`, `pick another name, or use the existing one with --env ${input.name}`);
  const aggregateId = aggregates.app(appName);
  await control.commit(actor, [{ aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'EnvironmentCreated', payload: { app: appName, org: app.org, env: input.name } }] }]);
  return envView(requireEnv((await control.read()).apps.get(appName)!, input.name));
}

/** What still lives in the environment, one problem each; deleting it would orphan them. */
export function envContents(state: ControlState, app: AppState, env: string): Problem[] {
  const problems: Problem[] = [];
  const code = 'TRC_ENV_IN_USE' as const;
  const mine = <T extends { readonly app: string; readonly env: string }>(items: Iterable<T>): T[] => [...items].filter((i) => i.app === app.name && i.env === env);
  for (const i of mine(state.instances.values()).filter((i) => i.desired === 'running')) {
    problems.push(
      i.drainingSince === undefined
        ? { path: `instances.${i.id}`, code, message: `instance ${i.id} (${i.processType}) is running`, hint: `scale it down: platform scale --app ${app.name} --env ${env} ${i.processType}=0` }
        : { path: `instances.${i.id}`, code, message: `instance ${i.id} (${i.processType}) is draining`, hint: 'it stops once its drain grace has passed (the control plane\'s --drain-grace): try again then' },
    );
  }
  for (const r of mine(state.routes.values())) problems.push({ path: `routes.${r.name}`, code, message: `route "${r.name}" exists`, hint: `delete it: platform routes delete --app ${app.name} --env ${env} ${r.name}` });
  for (const v of mine(state.volumes.values())) problems.push({ path: `volumes.${v.name}`, code, message: `volume "${v.name}" exists`, hint: `delete it: platform volumes delete --app ${app.name} --env ${env} ${v.name}` });
  for (const a of mine(state.ipv4.values())) problems.push({ path: `ipv4.${a.address}`, code, message: `IPv4 address ${a.address} is allocated to it`, hint: `release it: platform ips release --app ${app.name} ${a.address}` });
  return problems;
}

/** Deletes an environment that holds nothing any more; its history (deploys, secrets) goes with it. */
export async function deleteEnv(control: Control, actor: Actor, appName: string, envName: string): Promise<void> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const env = requireEnv(app, envName);
  const problems = envContents(state, app, env.name);
  if (problems.length > 0) {
    const named = problems.slice(0, 3).map((p) => p.message).join('; ');
    throw new TrcError('TRC_ENV_IN_USE', `environment "${appName}/${env.name}" is not empty: ${named}${problems.length > 3 ? ` and ${problems.length - 3} more` : ''}`, {
      hint: 'scale its process types to 0, delete its routes and volumes and release its IPv4 addresses first',
      problems,
    });
  }
  const aggregateId = aggregates.app(appName);
  // Routes and addresses live in their own aggregates: asserting their versions (no events) makes a route or
  // address created meanwhile in this environment a TRC_CONFLICT rather than an orphan.
  await control.commit(actor, [
    { aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'EnvironmentDeleted', payload: { app: appName, org: app.org, env: env.name } }] },
    { aggregateId: aggregates.routes, expectedVersion: control.version(aggregates.routes), changes: [] },
    { aggregateId: aggregates.ipv4, expectedVersion: control.version(aggregates.ipv4), changes: [] },
  ]);
}
