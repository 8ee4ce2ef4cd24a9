// The event type registry and payload contract, re-exported for @trc/core.
export * from './registry.ts';
export * from './payloads.ts';
