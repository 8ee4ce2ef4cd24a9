// The node agent: converges the instances running on this node to the control plane's assignments.
// Assignments arrive through the event stream (any event naming the node triggers a pass) with a periodic
// full resync as the safety net; passes run one at a time, and the starts they launch run concurrently, at most
// `maxConcurrentStarts` at once. See README.md for the flow.
import { performance } from 'node:perf_hooks';
import { isTrcError, type ErrorCode } from '@trc/core';
import { HealthMonitor } from '../health/monitor.ts';
import type { InstanceNetwork } from '../network/network.ts';
import type { ExitInfo, RuntimeDriver } from '../runtime/runtime.ts';
import type { Assignment, ControlPlane, NodeCapabilities, NodeCapacity, ReportedState, StreamedEvent } from './control-client.ts';
import { planInstance } from './instance-plan.ts';
import type { InstanceStarter, PhaseTimings } from './instance-starter.ts';
import type { InstanceRecord, PendingReport, RecordStore } from './records.ts';
import { StartSlots } from './start-slots.ts';

/** What the agent needs of the starter (InstanceStarter). */
export type Starter = Pick<InstanceStarter, 'start' | 'cleanup'>;

export interface AgentOptions {
  readonly control: ControlPlane;
  readonly driver: RuntimeDriver;
  readonly network: InstanceNetwork;
  readonly starter: Starter;
  readonly records: RecordStore;
  readonly capacity: NodeCapacity;
  /** Reported at start and every 12th heartbeat (the control plane keeps them in memory only). */
  readonly capabilities: NodeCapabilities;
  readonly heartbeatMs?: number;
  /** The safety net: a full pass even when no event arrived. */
  readonly resyncMs?: number;
  /** Default true; false leaves only the periodic resync. */
  readonly eventStream?: boolean;
  readonly stopGraceMs?: number;
  /**
   * Starts running at once (spec through runc start; health checks do not count). Default 8: a start mostly
   * waits on processes (ip, nft, runc), so on 2 cores 6 at once finished a burst of 6 sooner than 4 or 2 did
   * (PERFORMANCE.md); the bound keeps a burst of hundreds from forking them all at once.
   */
  readonly maxConcurrentStarts?: number;
  readonly log?: (line: string) => void;
  /** Called when an instance first passes its health check, with the time each phase took (benchmarks). */
  readonly onHealthy?: (id: string, timings: PhaseTimings) => void;
}

/** What adoption found when the agent started. */
export interface AdoptionSummary {
  readonly running: readonly { id: string; pid: number | undefined }[];
  readonly exited: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Events that cannot change this node's assignments need no pass: a pulled image, or an instance reported
 * starting, running, healthy or unhealthy (the control plane's reaction to a report, such as a rolling
 * replacement, comes as events of its own). A report of stopped or exited can remove the instance from the
 * assignments, so it still triggers one. In a burst of starts these are most of the events, and each pass
 * re-reads every assignment of the node.
 */
export function changesAssignments(event: StreamedEvent): boolean {
  if (event.type === 'ImagePulled') return false;
  if (event.type === 'InstanceStateReported') return event.payload.state === 'stopped' || event.payload.state === 'exited';
  return true;
}

/** A start still running after this long is told to the control plane as `starting` (see #launch). */
const STARTING_REPORT_AFTER_MS = 250;

export class Agent {
  readonly #o: AgentOptions;
  readonly #log: (line: string) => void;
  readonly #monitors = new Map<string, HealthMonitor>();
  readonly #starting = new Map<string, Promise<void>>();
  readonly #slots: StartSlots;
  /** Stops run in the background too: a 10 s grace period must not hold up the starts behind it. */
  readonly #removing = new Map<string, Promise<void>>();
  readonly #stopping = new Set<string>();
  readonly #exitHandled = new Set<string>();
  /** Starts that failed: not retried until the agent restarts (the control plane decides what next). */
  readonly #failed = new Set<string>();
  readonly #timings = new Map<string, PhaseTimings>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #abort = new AbortController();
  #pass: Promise<void> = Promise.resolve();
  #flushing: Promise<void> = Promise.resolve();
  #queued = false;
  #lastSeq = 0;
  #beats = 0;
  #capabilitiesSent = false;
  #admin: { readonly url: string; readonly token: string } | undefined;
  #stopped = false;
  #streamDone: Promise<void> = Promise.resolve();

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#log = options.log ?? (() => undefined);
    this.#slots = new StartSlots(options.maxConcurrentStarts ?? 8);
  }

  /** The runtime calls this once per instance that stopped (also for exits adoption found). */
  handleExit(id: string, exit: ExitInfo): void {
    this.#monitors.get(id)?.stop();
    this.#monitors.delete(id);
    if (this.#stopping.has(id) || this.#exitHandled.has(id)) return;
    const record = this.#o.records.get(id);
    if (record === undefined || record.exited === true) return;
    this.#exitHandled.add(id);
    this.#log(`instance ${id} ${exit.message}`);
    const report: PendingReport = exit.reason === 'memory limit exceeded' ? { state: 'exited', detail: exit.message, oom: true } : { state: 'exited', detail: exit.message };
    void this.#o.records.update(id, { exited: true }).catch(() => undefined).then(() => this.#report(id, report));
  }

  /**
   * Takes over what a previous agent left: the runtime's instances (never killed or started twice), their
   * networks, and their health checks; instances whose record is gone are removed.
   */
  async adopt(): Promise<AdoptionSummary> {
    const { driver, network, records, starter } = this.#o;
    await records.load();
    const report = await driver.adopt();
    const running = report.running.filter((i) => records.get(i.id) !== undefined);
    // An exit the previous agent saw but did not get to report (the runtime tells each exit only once).
    for (const info of report.exited) this.handleExit(info.id, info.exit ?? { reason: 'unknown', exitCode: undefined, message: 'stopped while the agent was away' });
    const net = await network.reconcile(running.map((i) => ({ instanceId: i.id, orgId: records.get(i.id)!.org })));
    const removed: string[] = [];
    for (const id of [...net.lost, ...report.running.filter((i) => records.get(i.id) === undefined).map((i) => i.id)]) {
      await this.#remove(id, 'lost');
      removed.push(id);
    }
    // Created but never started: the start was cut short; cleaned up here, started afresh by a pass.
    for (const { id } of report.created) {
      await starter.cleanup(id);
      await records.delete(id);
      removed.push(id);
    }
    for (const r of records.all()) {
      if (removed.includes(r.id)) continue;
      const info = running.find((i) => i.id === r.id);
      if (info !== undefined) this.#watch(r);
      else if (r.exited !== true && !report.exited.some((e) => e.id === r.id)) {
        // Neither running nor exited in the runtime: its start never finished. Clean it up; a pass restarts it.
        await starter.cleanup(r.id);
        await records.delete(r.id);
        removed.push(r.id);
      }
    }
    return { running: running.filter((i) => !removed.includes(i.id)).map((i) => ({ id: i.id, pid: i.pid })), exited: report.exited.map((i) => i.id), removed };
  }

  /**
   * The admin endpoint the control plane reads instance logs from; registered with the capabilities (at the
   * first heartbeat, every 12th, and after the control plane was away). Call before run().
   */
  setAdmin(url: string, token: string): void {
    this.#admin = { url, token };
  }

  /** Heartbeats, the event stream and the resync timer; the first pass runs at once. */
  async run(): Promise<void> {
    await this.#heartbeat();
    this.#timers.push(setInterval(() => void this.#heartbeat(), this.#o.heartbeatMs ?? 5_000));
    this.#timers.push(setInterval(() => this.resync(), this.#o.resyncMs ?? 30_000));
    if (this.#o.eventStream !== false) this.#streamDone = this.#follow();
    this.resync();
    await this.#pass;
  }

  /** No instance is starting or waiting for a start slot: background work (the namespace pool's refill) may run. */
  get startsIdle(): boolean {
    return !this.#stopped && this.#starting.size === 0 && this.#slots.busy === 0 && this.#slots.waiting === 0;
  }

  /** Stops timers, health checks and the stream. Instances keep running: a new agent adopts them. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#abort.abort();
    for (const m of this.#monitors.values()) m.stop();
    this.#monitors.clear();
    await this.#pass.catch(() => undefined);
    await Promise.allSettled([...this.#starting.values(), ...this.#removing.values()]);
    await this.#streamDone.catch(() => undefined);
  }

  /** Queues one full pass (coalesced: at most one waits behind the running one). */
  resync(): Promise<void> {
    if (this.#stopped) return this.#pass;
    if (this.#queued) return this.#pass;
    this.#queued = true;
    this.#pass = this.#pass.then(async () => {
      this.#queued = false;
      if (this.#stopped) return;
      await this.#converge().catch((error: unknown) => this.#log(`pass failed: ${describe(error)}`));
    });
    return this.#pass;
  }

  /** Resolves once no start is in flight and no pass is queued (tests, benchmarks). */
  async settled(): Promise<void> {
    for (let i = 0; i < 100 && (this.#starting.size > 0 || this.#removing.size > 0 || this.#queued); i++) {
      await Promise.allSettled([...this.#starting.values(), ...this.#removing.values()]);
      await this.#pass;
    }
  }

  async #converge(): Promise<void> {
    const { control, records } = this.#o;
    const assignments = await control.assignments();
    await this.#flushReports();
    const byId = new Map(assignments.map((a) => [a.id, a]));
    for (const a of assignments) {
      const known = records.get(a.id) !== undefined;
      if (this.#removing.has(a.id)) continue;
      if (a.desired === 'running' && !known && !this.#starting.has(a.id) && !this.#failed.has(a.id)) this.#launch(a);
      else if (a.desired === 'stopped' && known && !this.#starting.has(a.id)) this.#removeInBackground(a.id, 'stopped');
      else if (a.desired === 'stopped' && !known && !this.#starting.has(a.id) && a.actual !== 'stopped' && a.actual !== 'exited') await this.#send(a.id, { state: 'stopped', detail: 'never started on this node' });
    }
    // Gone from the control plane altogether (an app deleted, a report acknowledged): nothing to keep.
    for (const r of records.all()) if (!byId.has(r.id) && !this.#starting.has(r.id)) this.#removeInBackground(r.id, 'unassigned');
  }

  #removeInBackground(id: string, why: 'stopped' | 'unassigned'): void {
    if (this.#removing.has(id)) return;
    const removal = this.#remove(id, why)
      .catch((error: unknown) => this.#log(`instance ${id} could not be removed: ${describe(error)}`))
      .finally(() => this.#removing.delete(id));
    this.#removing.set(id, removal);
  }

  #launch(a: Assignment): void {
    const timings: PhaseTimings = {};
    const run = async (): Promise<void> => {
      const { control, network, records, starter } = this.#o;
      const release = await this.#slots.acquire();
      // `starting` is told once the process runs (its health check may take a while), or while the start
      // still runs after STARTING_REPORT_AFTER_MS (a pull): a quick start spares the control plane a report
      // (an event appended and streamed) while it serves the start's own requests. Awaited before any later
      // report of this instance, so the control plane never sees `starting` after `healthy`.
      let starting: Promise<boolean> | undefined;
      const slow = setTimeout(() => void (starting = this.#send(a.id, { state: 'starting' })), STARTING_REPORT_AFTER_MS);
      let record: InstanceRecord;
      try {
        if (this.#stopped) return;
        const t0 = performance.now();
        // Neither the secrets file nor the network (its namespace, devices and the org's rules) needs the
        // spec: all three at once. The starter's own attach joins this one; a failed start detaches it.
        const secrets = control.instanceSecrets(a.id);
        secrets.catch(() => undefined);
        network.attachStaged(a.id, a.org).catch(() => undefined);
        // An assignment waiting to be started carries its spec; an older one is asked for it.
        const plan = planInstance(a.spec ?? (await control.instanceSpec(a.id)));
        timings.spec = performance.now() - t0;
        const base: InstanceRecord = { id: plan.id, org: plan.org, app: plan.app, processType: plan.processType, lastReported: 'starting', ...(plan.port === undefined ? {} : { port: plan.port }), ...(plan.healthCheck === undefined ? {} : { healthCheck: plan.healthCheck }) };
        // On disk before the instance runs (a restarted agent adopts by it), written while the start goes on.
        const recorded = records.put(base);
        recorded.catch(() => undefined);
        const attachment = await starter.start(plan, timings, { secrets, beforeRun: recorded });
        timings.path = performance.now() - t0;
        clearTimeout(slow);
        starting ??= this.#send(a.id, { state: 'starting' });
        record = (await records.update(plan.id, { address: attachment.address }))!;
      } finally {
        clearTimeout(slow);
        release();
        await starting;
      }
      this.#timings.set(record.id, timings);
      this.#log(`instance ${record.id} (${record.app}/${record.processType}) started at ${record.address ?? '?'}`);
      this.#watch(record, performance.now());
    };
    const started = run()
      .catch(async (error: unknown) => {
        this.#failed.add(a.id);
        this.#log(`instance ${a.id} did not start: ${describe(error)}`);
        await this.#o.starter.cleanup(a.id).catch(() => undefined);
        await this.#o.records.delete(a.id);
        await this.#send(a.id, { state: 'exited', detail: `start failed: ${describe(error)}` });
      })
      .finally(() => {
        this.#starting.delete(a.id);
        // The assignment may have changed while it started (a stop, a replacement).
        void this.resync();
      });
    this.#starting.set(a.id, started);
  }

  /** Health: the manifest's check, probed from the host at the instance's address; none means healthy once running. */
  #watch(record: InstanceRecord, startedAt?: number): void {
    if (this.#stopped) return;
    const healthy = (detail: string): void => {
      const t = this.#timings.get(record.id);
      if (t !== undefined && startedAt !== undefined && t.health === undefined) {
        t.health = performance.now() - startedAt;
        this.#o.onHealthy?.(record.id, t);
      }
      if (this.#o.records.get(record.id)?.lastReported !== 'healthy') void this.#report(record.id, { state: 'healthy', detail });
    };
    if (record.healthCheck === undefined || record.port === undefined || record.address === undefined) {
      healthy('running (no health check)');
      return;
    }
    const monitor = new HealthMonitor({
      target: { host: record.address, port: record.port },
      check: record.healthCheck,
      onTransition: (state, detail) => (state === 'healthy' ? healthy(detail) : void this.#report(record.id, { state: 'unhealthy', detail })),
    });
    this.#monitors.set(record.id, monitor);
    monitor.start();
  }

  /** Stops (SIGTERM, then SIGKILL after the grace period) and removes an instance; reports it when asked to stop. */
  async #remove(id: string, why: 'stopped' | 'unassigned' | 'lost'): Promise<void> {
    const { driver, records, starter } = this.#o;
    this.#stopping.add(id);
    this.#monitors.get(id)?.stop();
    this.#monitors.delete(id);
    try {
      const info = await driver.inspect(id).catch(() => undefined);
      if (info !== undefined && (info.state === 'running' || info.state === 'paused')) await driver.stop(id, { graceMs: this.#o.stopGraceMs ?? 10_000 });
      await starter.cleanup(id);
      const record = records.get(id);
      await records.delete(id);
      if (why === 'stopped') await this.#send(id, { state: 'stopped' });
      if (why === 'lost' && record !== undefined) await this.#send(id, { state: 'exited', detail: 'its network namespace was gone when the agent restarted' });
      this.#log(`instance ${id} removed (${why})`);
    } finally {
      this.#stopping.delete(id);
    }
  }

  /** Queues a report in the instance's record (so a restart still sends it), then sends the queue. Never throws. */
  async #report(id: string, report: PendingReport): Promise<void> {
    try {
      const record = this.#o.records.get(id);
      if (record !== undefined) await this.#o.records.update(id, { lastReported: report.state, pending: [...(record.pending ?? []), report] });
      await this.#flushReports();
    } catch (error) {
      this.#log(`report ${report.state} of ${id} not queued: ${describe(error)}`);
    }
  }

  /** Sends every queued report in order, one flush at a time; one the control plane could not take stays for the next pass. */
  #flushReports(): Promise<void> {
    const run = async (): Promise<void> => {
      for (const r of this.#o.records.all()) {
        for (let i = 0; i < 100; i++) {
          const next = this.#o.records.get(r.id)?.pending?.[0];
          if (next === undefined || !(await this.#send(r.id, next))) break;
          const current = this.#o.records.get(r.id);
          if (current !== undefined) await this.#o.records.update(r.id, { pending: (current.pending ?? []).slice(1) });
        }
      }
    };
    this.#flushing = this.#flushing.then(run, run);
    return this.#flushing;
  }

  /** True once delivered, or refused for good (the instance is no longer the control plane's). */
  async #send(id: string, report: PendingReport): Promise<boolean> {
    try {
      if (report.oom === true) await this.#o.control.reportOom(id);
      else await this.#o.control.reportState(id, report.state as ReportedState, report.detail);
      return true;
    } catch (error) {
      if (isTrcError(error) && error.code === 'TRC_AGENT_CONTROL_REJECTED') {
        this.#log(`report ${report.oom === true ? 'oom' : report.state} of ${id} refused: ${describe(error)}`);
        return true;
      }
      this.#log(`report ${report.state} of ${id} not delivered yet: ${describe(error)}`);
      return false;
    }
  }

  async #heartbeat(): Promise<void> {
    try {
      await this.#o.control.heartbeat(this.#o.capacity);
      if (!this.#capabilitiesSent || this.#beats % 12 === 0) {
        await this.#o.control.reportCapabilities(this.#o.capabilities);
        if (this.#admin !== undefined) await this.#o.control.registerAdmin(this.#admin.url, this.#admin.token);
        this.#capabilitiesSent = true;
      }
      this.#beats++;
    } catch (error) {
      // A control plane that was away may have restarted: tell it the capabilities again.
      this.#capabilitiesSent = false;
      this.#log(`heartbeat failed: ${describe(error)}`);
    }
  }

  /**
   * Follows the events naming this node; each one that can change what the node must run triggers a pass.
   * Reconnects after a second when cut.
   */
  async #follow(): Promise<void> {
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        await this.#o.control.followEvents(this.#lastSeq, (event) => {
          this.#lastSeq = Math.max(this.#lastSeq, event.seq);
          if (changesAssignments(event)) void this.resync();
        }, this.#abort.signal);
      } catch (error) {
        if (attempt === 0 || attempt % 30 === 0) this.#log(`event stream: ${describe(error)}`);
      }
      if (this.#stopped) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        this.#abort.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }
}

function describe(error: unknown): string {
  if (isTrcError(error)) return `${error.code as ErrorCode}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
