// @trc/edge: the L4 edge proxy. Embedders (the control plane later) use Edge and applyRoutes.
export { Edge, type ApplyResult, type EdgeDeps } from './edge.ts';
export type { RouteTable, RouteSpec, HealthCheckSpec, RouteSource } from './config/route-table.ts';
export { ROUTE_DEFAULTS } from './config/route-table.ts';
export { parseRoutesFile, FileRouteSource } from './config/routes-file.ts';
export { parseSocketAddress, formatSocketAddress, type SocketAddress } from './config/address.ts';
export type { EdgeStatus, RouteStatus, BackendStatus } from './admin/status.ts';
export { type EdgeEvent, type EdgeEventSink, type BackendHealthEvent, JsonLinesEventSink, MemoryEventSink } from './events/edge-events.ts';
export { seededRandom, type Random } from './proxy/balancer.ts';
