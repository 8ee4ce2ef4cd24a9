// The image config (OCI image-spec config / Docker container config), typed for the runtime drivers.
import { userError } from '@trc/core';

export interface ExposedPort {
  readonly port: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
}

/** What the runtime needs from an image config. Absent fields are empty, never undefined. */
export interface ImageConfig {
  readonly os: string;
  readonly architecture: string;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  /** `KEY=value` entries in image order. */
  readonly env: readonly string[];
  /** `user`, `uid`, `user:group` or `uid:gid`; empty means root. */
  readonly user: string;
  /** Empty means `/`. */
  readonly workingDir: string;
  readonly exposedPorts: readonly ExposedPort[];
  readonly labels: Readonly<Record<string, string>>;
  /** Digests of the uncompressed layers, in order; each layer is checked against its entry while it unpacks. */
  readonly diffIds: readonly string[];
}

function bad(why: string): Error {
  return userError('TRC_IMAGE_MANIFEST_INVALID', `the image config is invalid: ${why}`, 'Rebuild the image with a standard builder (docker, buildah, kaniko).');
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad(`${field} is not a list of strings`);
  return v;
}

function text(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad(`${field} is not a string`);
  return v;
}

function ports(v: unknown): ExposedPort[] {
  if (v === undefined || v === null) return [];
  if (typeof v !== 'object' || Array.isArray(v)) throw bad('config.ExposedPorts is not an object');
  return Object.keys(v).map((key) => {
    const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key);
    const port = Number(m?.[1]);
    if (m === null || port < 1 || port > 65535) throw bad(`config.ExposedPorts has "${key}", not port[/tcp|udp|sctp]`);
    return { port, protocol: (m[2] ?? 'tcp') as ExposedPort['protocol'] };
  });
}

export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad('it is not UTF-8 JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('it is not a JSON object');
  const d = doc as Record<string, unknown>;
  const c = (d.config ?? {}) as Record<string, unknown>;
  if (typeof c !== 'object' || Array.isArray(c)) throw bad('config is not an object');
  const rootfs = (d.rootfs ?? {}) as Record<string, unknown>;
  const labels: Record<string, string> = {};
  if (c.Labels !== undefined && c.Labels !== null) {
    if (typeof c.Labels !== 'object') throw bad('config.Labels is not an object');
    for (const [k, v] of Object.entries(c.Labels)) {
      if (typeof v !== 'string') throw bad(`config.Labels.${k} is not a string`);
      labels[k] = v;
    }
  }
  return {
    os: text(d.os, 'os'),
    architecture: text(d.architecture, 'architecture'),
    entrypoint: strings(c.Entrypoint, 'config.Entrypoint'),
    cmd: strings(c.Cmd, 'config.Cmd'),
    env: strings(c.Env, 'config.Env'),
    user: text(c.User, 'config.User'),
    workingDir: text(c.WorkingDir, 'config.WorkingDir'),
    exposedPorts: ports(c.ExposedPorts),
    labels,
    diffIds: strings(rootfs.diff_ids, 'rootfs.diff_ids'),
  };
}
