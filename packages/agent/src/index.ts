// The node agent's public API: the agent itself, its control-plane client and the libraries it assembles.
export { Agent, type AgentOptions, type AdoptionSummary } from './agent/agent.ts';
export { startAgent, type AgentConfig, type RunningAgent } from './agent/assemble.ts';
export { HttpControlPlane, type Assignment, type ControlPlane, type InstanceSpecResponse, type NodeCapacity, type ReportedState, type StreamedEvent } from './agent/control-client.ts';
export { planInstance, pinnedReference, type InstancePlan } from './agent/instance-plan.ts';
export { InstanceStarter, type PhaseTimings, type StartPhase } from './agent/instance-starter.ts';
export { loadIdentity, saveIdentity, type NodeIdentity } from './agent/identity.ts';
export { probe, probeHttp, probeTcp, type ProbeResult, type ProbeTarget } from './health/prober.ts';
export { HealthMonitor, type HealthState } from './health/monitor.ts';
export { createAdminServer, lastLines } from './logs/admin-server.ts';
export { ImagePuller, RegistryClient } from './image/index.ts';
export { createRuncDriver } from './runtime/runc/runc-driver.ts';
export type { RuntimeDriver, InstanceSpec, ExitInfo } from './runtime/runtime.ts';
export { RoutedInstanceNetwork } from './network/routed/routed-network.ts';
export type { InstanceNetwork, NodeNetworkConfig } from './network/network.ts';
export { SecretsStager } from './secrets/secrets-stager.ts';
