// Secret commands (ADR 0010): each change seals a new bundle version, and in the same atomic append marks
// every running (env, process type) of the deployed release for a rolling restart. No hot reload.
import { userError, type EventPayloads, type Problem } from '@trc/core';
import { aggregates, type AppState, type EnvState } from '../state/state.ts';
import { requireApp, type Actor } from './actor.ts';
import { requireEnv } from './apps.ts';
import type { Change, Control } from './control.ts';
import { invalid } from './validate.ts';
import { isSecretKey } from '@trc/core/secrets-file/index';

function keyProblems(keys: readonly string[], path: string): Problem[] {
  const problems: Problem[] = [];
  for (const key of keys) {
    const shown = JSON.stringify(key.slice(0, 80));
    if (!isSecretKey(key)) problems.push({ path: `${path}.${key.slice(0, 80)}`, code: 'TRC_SECRET_KEY_INVALID', message: `secret key ${shown} may only contain A-Z, 0-9 and _`, hint: 'use upper case, digits and underscores, e.g. DATABASE_URL' });
    else if (/^[0-9]/.test(key)) problems.push({ path: `${path}.${key}`, code: 'TRC_SECRET_KEY_INVALID', message: `secret key ${shown} starts with a digit, so no shell can name it as a variable`, hint: `rename it, e.g. _${key} or S${key}` });
  }
  return problems;
}

/** The (app, env, version) a bundle is bound to, so a sealed bundle cannot be replayed elsewhere. */
export function bundleContext(app: string, env: string, version: number): string {
  return `${app}\0${env}\0${version}`;
}

export function openBundle(control: Control, app: AppState, env: EnvState): Record<string, string> {
  if (env.secrets === null) return {};
  return control.deps.sealer.open(env.secrets.sealed, bundleContext(app.name, env.name, env.secrets.version));
}

async function change(control: Control, actor: Actor, appName: string, envName: string, edit: (values: Record<string, string>) => { changed: string[]; removed: string[] }): Promise<SecretsView> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const env = requireEnv(app, envName);
  const values = openBundle(control, app, env);
  const { changed, removed } = edit(values);
  const version = (env.secrets?.version ?? 0) + 1;
  const names = Object.keys(values).sort();
  const sealed = control.deps.sealer.seal(values, bundleContext(app.name, env.name, version));
  const versioned: EventPayloads['SecretBundleVersioned'] = { app: app.name, org: app.org, env: env.name, version, names, changed, removed, sealed };
  const changes: Change[] = [{ type: 'SecretBundleVersioned', payload: versioned }];
  const release = env.release === null ? undefined : app.releases.find((r) => r.version === env.release);
  if (release !== undefined) {
    for (const processType of Object.keys(release.processes).sort()) {
      if ((env.scale[processType] ?? 0) === 0) continue;
      changes.push({ type: 'RestartRequired', payload: { app: app.name, org: app.org, env: env.name, processType, reason: 'secrets', bundleVersion: version, release: release.version, digest: release.digest } });
    }
  }
  const aggregateId = aggregates.app(app.name);
  await control.commit(actor, [{ aggregateId, expectedVersion: control.version(aggregateId), changes }]);
  return { version, names };
}

export interface SecretsView {
  readonly version: number;
  /** Names only: the API never returns a secret value except through `render`. */
  readonly names: readonly string[];
}

export async function setSecrets(control: Control, actor: Actor, appName: string, envName: string, input: { values: Readonly<Record<string, string>> }): Promise<SecretsView> {
  requireEnv(requireApp(await control.read(), actor, appName), envName);
  const keys = Object.keys(input.values);
  const problems = keyProblems(keys, 'values');
  if (keys.length === 0) problems.push({ path: 'values', code: 'TRC_INVALID_INPUT', message: 'no secret to set', hint: 'give at least one KEY=value' });
  if (problems.length > 0) throw invalid(problems);
  return change(control, actor, appName, envName, (values) => {
    const changed = keys.filter((k) => values[k] !== input.values[k]).sort();
    for (const k of keys) values[k] = input.values[k]!;
    return { changed, removed: [] };
  });
}

export async function unsetSecrets(control: Control, actor: Actor, appName: string, envName: string, input: { keys: readonly string[] }): Promise<SecretsView> {
  const env = requireEnv(requireApp(await control.read(), actor, appName), envName);
  const known = new Set(env.secrets?.names ?? []);
  const missing = input.keys.filter((k) => !known.has(k));
  if (missing.length > 0) throw userError('TRC_NOT_FOUND', `secret ${missing.map((k) => JSON.stringify(k.slice(0, 80))).join(', ')} is not set in ${appName}/${envName}`, 'list the names with `platform secrets list`');
  return change(control, actor, appName, envName, (values) => {
    for (const k of input.keys) delete values[k];
    return { changed: [], removed: [...new Set(input.keys)].sort() };
  });
}

export async function listSecrets(control: Control, actor: Actor, appName: string, envName: string): Promise<SecretsView> {
  const env = requireEnv(requireApp(await control.read(), actor, appName), envName);
  return { version: env.secrets?.version ?? 0, names: env.secrets?.names ?? [] };
}

/** The decrypted bundle, for `secrets render` and for node agents writing an instance's secrets file. */
export async function readSecretValues(control: Control, actor: Actor, appName: string, envName: string): Promise<{ version: number; values: Record<string, string> }> {
  const app = requireApp(await control.read(), actor, appName);
  const env = requireEnv(app, envName);
  return { version: env.secrets?.version ?? 0, values: openBundle(control, app, env) };
}
