// Writes a normalised Manifest back as platform.toml text that parseManifest reads to the same value,
// e.g. to show the effective manifest of a release with its defaults filled in.
import { stringify } from 'smol-toml';
import { UNITS } from '../resources/quantity.ts';
import type { Manifest } from './manifest.ts';
import { healthCheckToToml } from './health-check.ts';

/** Bytes in the largest binary unit that divides them exactly (never rounded, unlike formatMemory). */
export function exactQuantity(bytes: number): string {
  for (const unit of ['Ti', 'Gi', 'Mi', 'Ki'] as const) {
    if (bytes % UNITS[unit] === 0) return `${bytes / UNITS[unit]}${unit}`;
  }
  throw new RangeError(`${bytes} bytes is not a whole number of Ki`);
}

export function manifestToToml(manifest: Manifest): string {
  const processes = Object.fromEntries(Object.values(manifest.processes).map((p) => [p.name, {
    cmd: [...p.cmd],
    count: p.count,
    cpu: p.cpu,
    memory: exactQuantity(p.memoryBytes),
    ...(p.port === undefined ? {} : { port: p.port }),
    ...(p.healthCheck === undefined ? {} : { health_check: healthCheckToToml(p.healthCheck) }),
  }]));
  const routes = Object.fromEntries(Object.values(manifest.routes).map((r) => [r.name, {
    process: r.process,
    port: r.port,
    proxy_protocol: r.proxyProtocol,
    ...(r.proxyProtocol === 'v2' ? { backend_expects_proxy_protocol: true } : {}),
  }]));
  const volumes = Object.fromEntries(Object.values(manifest.volumes).map((v) => [v.name, {
    size: exactQuantity(v.sizeBytes),
    mount: v.mount,
    process: v.process,
    backup_enabled: v.backupEnabled,
  }]));
  const secrets = manifest.secrets.mode === '0440' ? { mode: '0440', group: manifest.secrets.group } : { mode: '0400' };
  return stringify({ app: manifest.app, secrets, processes, routes, volumes });
}
