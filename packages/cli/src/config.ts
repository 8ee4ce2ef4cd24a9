// Where `platform` keeps the control plane URL and token: $XDG_CONFIG_HOME/trc/config.json, readable by the user alone.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userError } from '@trc/core';

export interface CliConfig {
  readonly url?: string;
  readonly token?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `$XDG_CONFIG_HOME/trc/config.json`, else `~/.config/trc/config.json` (XDG Base Directory). */
export function configPath(env: Env): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  if (xdg !== undefined && xdg.startsWith('/')) return join(xdg, 'trc', 'config.json');
  if (env.HOME === undefined || env.HOME === '') throw userError('TRC_CLI_CONFIG_INVALID', 'neither XDG_CONFIG_HOME nor HOME is set, so there is no config directory', 'set XDG_CONFIG_HOME, or use TRC_URL and TRC_TOKEN');
  return join(env.HOME, '.config', 'trc', 'config.json');
}

export function readConfig(env: Env): CliConfig {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return {};
    throw e;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  const ok = typeof doc === 'object' && doc !== null && !Array.isArray(doc)
    && Object.entries(doc).every(([k, v]) => (k === 'url' || k === 'token') && typeof v === 'string');
  if (!ok) throw userError('TRC_CLI_CONFIG_INVALID', `${path} is not a TRC CLI config ({"url": ..., "token": ...})`, 'run `platform logout` and `platform login` again, or fix the file');
  return doc as CliConfig;
}

/** Written 0600 in a 0700 directory: the file holds a bearer token. */
export function writeConfig(env: Env, config: CliConfig): string {
  const path = configPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // An existing file keeps its old mode through writeFileSync.
  chmodSync(path, 0o600);
  return path;
}

export function removeConfig(env: Env): boolean {
  const path = configPath(env);
  try {
    readFileSync(path);
  } catch {
    return false;
  }
  rmSync(path, { force: true });
  return true;
}
