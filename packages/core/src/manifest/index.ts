// The app manifest (platform.toml) and its reusable pieces: what @trc/core exports of it.
export { parseManifest, checkManifest, validateManifest, MANIFEST_FIELDS } from './manifest.ts';
export type { Manifest } from './manifest.ts';
export { manifestToToml } from './toml.ts';
export { PROCESS_FIELDS, PROCESS_LIMITS } from './process.ts';
export type { ProcessType } from './process.ts';
export { checkProxyProtocol, parseRoute, readPublicPort, ROUTE_FIELDS } from './route.ts';
export type { ProxyProtocol, Route } from './route.ts';
export { parseHealthCheck, healthCheckToToml, HEALTH_CHECK_FIELDS, HEALTH_CHECK_LIMITS } from './health-check.ts';
export type { HealthCheck } from './health-check.ts';
export { parseDuration, formatDuration, DURATION_UNITS } from './duration.ts';
export type { DurationResult, DurationUnit } from './duration.ts';
export { checkMountPath, normalisePath, RESERVED_MOUNTS, VOLUME_LIMITS } from './volume.ts';
export type { Volume } from './volume.ts';
export { DEFAULT_SECRETS_FILE } from './secrets.ts';
export type { SecretsFile } from './secrets.ts';
export { checkName, isValidName, NAME_RULE } from './names.ts';
export { checkKnownFields, didYouMean, editDistance } from './fields.ts';
