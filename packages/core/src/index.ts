// @trc/core: the platform's pure domain logic. No I/O, no clock, no randomness of its own.
export * from './errors/errors.ts';
export * from './secrets-file/index.ts';
export * from './manifest/index.ts';
export * from './events/index.ts';
export * from './resources/quantity.ts';
export * from './resources/cpu.ts';
export * from './resources/cluster-settings.ts';
export * from './scheduler/index.ts';
export * from './quotas/quotas.ts';
export * from './proxy-v2/index.ts';
export * from './api/node-api.ts';
