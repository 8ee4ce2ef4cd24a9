// RuntimeDriver on runc: one OCI bundle per instance under the state directory, run by a detached shim
// (shim.ts says why), limits through runc's linux.resources, OOM read from the instance's memory cgroup.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { readSmallFile, waitForFiles, type FileWait } from './wait-files.ts';
import path from 'node:path';
import { TrcError } from '@trc/core';
import { detectCgroupLayout, type CgroupLayout } from '../../cgroups/layout.ts';
import { detectFeatures, ociResources, readMemoryEvents, type CgroupFeatures } from '../../cgroups/limits.ts';
import { classifyExit } from '../exit.ts';
import { rotateIfNeeded, tailLog, type LogLimits } from '../log-files.ts';
import { checkInstanceId, type AdoptionReport, type ExitInfo, type Freezer, type InstanceInfo, type InstanceSpec, type RuntimeDriver, type StartGate, type StopOptions, type TailOptions } from '../runtime.ts';
import { GATE_FILE, GatePool, releaseGate } from './gate.ts';
import type { ProcessRunner } from '../../spawn/runner.ts';
import { defaultRunner } from '../../spawn/shell-runner.ts';
import { RuncCli } from './runc-cli.ts';
import { readShimStatus, shimAlive, shimIdentity, spawnShim } from './shim.ts';
import { buildOciSpec } from './spec.ts';
import { ImageUsers } from './user.ts';

export interface RuncDriverOptions {
  /** Holds one directory per instance (bundle, logs, exit record). Survives agent restarts. */
  readonly stateDir: string;
  /** runc's own state (`--root`); default `<stateDir>/runc`. A tmpfs such as /run is usual in production. */
  readonly runcRoot?: string;
  readonly runcBinary?: string;
  /** Parent of every instance cgroup; default `/trc`. */
  readonly cgroupParent?: string;
  /** Host root for /proc and /sys/fs/cgroup; default `/`. */
  readonly hostRoot?: string;
  /** Default: detected from `<hostRoot>/proc/self/mountinfo`. */
  readonly cgroupLayout?: CgroupLayout;
  readonly logs?: LogLimits;
  /** How often exits are looked for and logs rotated; default 250ms. */
  readonly pollMs?: number;
  readonly startTimeoutMs?: number;
  readonly commandTimeoutMs?: number;
  /** The shell the start gate's createRuntime hook runs in (default /bin/sh). */
  readonly shell?: string;
  /** coreutils `mkfifo`, for gated instances' start gates. */
  readonly mkfifo?: string;
  /** What runs runc, the shim and mkfifo; default the agent's spawn helper (../../spawn/). */
  readonly runner?: ProcessRunner;
  /** How long a gated instance's hook waits for its release before the start fails; default 30 s. */
  readonly gateTimeoutS?: number;
  /** Called once per instance when the driver sees it has stopped (also for exits found by adopt()). */
  readonly onExit?: (id: string, exit: ExitInfo) => void;
}

/** What the driver keeps about an instance besides the bundle. Never holds env values. */
interface InstanceRecord {
  readonly id: string;
  readonly cgroupsPath: string;
  readonly memoryLimitBytes: number;
  /** Created with a start gate (InstanceSpec.gated). */
  readonly gated?: boolean;
}

const DEFAULT_LOGS: LogLimits = { maxBytes: 10 * 1024 * 1024, keep: 2 };

export async function createRuncDriver(options: RuncDriverOptions): Promise<RuncDriver> {
  const layout = options.cgroupLayout ?? (await detectCgroupLayout(options.hostRoot ?? '/'));
  await mkdir(path.join(options.stateDir, 'instances'), { recursive: true, mode: 0o700 });
  const runcRoot = options.runcRoot ?? path.join(options.stateDir, 'runc');
  await mkdir(runcRoot, { recursive: true, mode: 0o700 });
  const driver = new RuncDriver(options, layout, runcRoot);
  await driver.gates.reset();
  return driver;
}

export class RuncDriver implements RuntimeDriver, Freezer, StartGate {
  readonly name = 'runc';
  readonly #options: RuncDriverOptions;
  readonly #layout: CgroupLayout;
  readonly #features: CgroupFeatures;
  readonly #runc: RuncCli;
  readonly #runner: ProcessRunner;
  /** Start gates made ahead (gate.ts). */
  readonly gates: GatePool;
  readonly #logs: LogLimits;
  readonly #pollMs: number;
  /** Instances this driver started or adopted, watched for exit and log size. */
  readonly #tracked = new Set<string>();
  readonly #finalizing = new Map<string, Promise<ExitInfo>>();
  /** Records of instances (never rewritten after create), read once; gone with the instance. */
  readonly #records = new Map<string, InstanceRecord>();
  /** Created by this driver and neither started, stopped nor removed since: start() need not look for an exit. */
  readonly #unstarted = new Set<string>();
  /** Starts under way here: what a release of their gate waits for before closing its end of the FIFO. */
  readonly #startWaits = new Map<string, FileWait<{ kind: 'running'; pid: number } | { kind: 'ended' }>>();
  readonly #users = new ImageUsers();
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;

  constructor(options: RuncDriverOptions, layout: CgroupLayout, runcRoot: string) {
    this.#options = options;
    this.#layout = layout;
    this.#features = detectFeatures(layout);
    this.#runner = options.runner ?? defaultRunner();
    this.gates = new GatePool(path.join(options.stateDir, 'gates'), this.#runner, options.mkfifo ?? 'mkfifo');
    this.#runc = new RuncCli({ binary: options.runcBinary ?? 'runc', root: runcRoot, timeoutMs: options.commandTimeoutMs ?? 30_000, runner: this.#runner });
    this.#logs = options.logs ?? DEFAULT_LOGS;
    this.#pollMs = options.pollMs ?? 250;
  }

  #dir(id: string): string {
    return path.join(this.#options.stateDir, 'instances', id);
  }

  #file(id: string, name: string): string {
    return path.join(this.#dir(id), name);
  }

  /**
   * The bundle's directory and two small files are written synchronously: a start waits on them, and on a busy
   * node each asynchronous call queues behind the rest of the start's file work for far longer than it takes.
   */
  async create(spec: InstanceSpec): Promise<InstanceInfo> {
    checkInstanceId(spec.id);
    const dir = this.#dir(spec.id);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new TrcError('TRC_RUNTIME_INSTANCE_EXISTS', `instance ${spec.id} exists already on this node`, { hint: 'pick a new id, or remove the old instance first' });
      throw error;
    }
    try {
      const user = await this.#users.resolve(spec);
      const cgroupsPath = `${this.#options.cgroupParent ?? '/trc'}/${spec.id}`;
      const gated = spec.gated === true;
      const gate = gated ? { shell: this.#options.shell ?? '/bin/sh', fifo: this.#file(spec.id, GATE_FILE), timeoutS: this.#gateTimeoutS() } : undefined;
      const config = buildOciSpec({ spec, user, cgroupsPath, resources: ociResources(this.#layout.mode, spec.resources, this.#features), ...(gate === undefined ? {} : { gate }) });
      const record: InstanceRecord = { id: spec.id, cgroupsPath, memoryLimitBytes: spec.resources.memory, ...(gated ? { gated } : {}) };
      // config.json holds the env, secrets included: only root may read it (a new file in a new directory, so
      // the mode given here is its mode, less the umask).
      writeFileSync(this.#file(spec.id, 'config.json'), JSON.stringify(config), { mode: 0o600, flag: 'wx' });
      writeFileSync(this.#file(spec.id, 'instance.json'), JSON.stringify(record));
      if (gate !== undefined) await this.gates.take(gate.fifo);
      this.#records.set(spec.id, record);
      this.#unstarted.add(spec.id);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return { id: spec.id, state: 'created' };
  }

  async #record(id: string): Promise<InstanceRecord> {
    checkInstanceId(id);
    const known = this.#records.get(id);
    if (known !== undefined) return known;
    try {
      const record = JSON.parse(await readFile(this.#file(id, 'instance.json'), 'utf8')) as InstanceRecord;
      this.#records.set(id, record);
      return record;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new TrcError('TRC_RUNTIME_INSTANCE_NOT_FOUND', `instance ${id} does not exist on this node`, { hint: 'list the instances; it may have been removed' });
      throw error;
    }
  }

  #procRoot(): string {
    return path.join(this.#options.hostRoot ?? '/', 'proc');
  }

  #gateTimeoutS(): number {
    return Math.max(1, Math.ceil(this.#options.gateTimeoutS ?? 30));
  }

  async start(id: string): Promise<InstanceInfo> {
    const unstarted = this.#unstarted.delete(id);
    const [record, exit] = await Promise.all([this.#record(id), unstarted ? undefined : this.#readExit(id)]);
    if (exit !== undefined) throw new TrcError('TRC_RUNTIME_INVALID_STATE', `instance ${id} has stopped`, { hint: 'create a new instance to run it again' });
    try {
      // The claim a start waits for before it spawns: synchronous, like the bundle's files.
      writeFileSync(this.#file(id, 'shim.pid'), '', { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new TrcError('TRC_RUNTIME_INVALID_STATE', `instance ${id} was started already`, { hint: 'create a new instance to run it again' });
      throw error;
    }
    // runc writes the pid file (atomically, by rename) once the container's process has been told to exec:
    // the moment a polled `runc state` would first say running.
    const command = [this.#runc.options.binary, ...this.#runc.globalArgs(this.#file(id, 'runc.log')), 'run', '--keep', '--pid-file', this.#file(id, 'pid'), '--bundle', this.#dir(id), id];
    // A gated start also waits for its release, which the hook bounds.
    const timeoutMs = (this.#options.startTimeoutMs ?? 15_000) + (record.gated === true ? this.#gateTimeoutS() * 1000 : 0);
    const started = waitForFiles(this.#dir(id), ['pid', 'status'], () => this.#startOutcome(id), timeoutMs);
    this.#startWaits.set(id, started);
    void started.done.finally(() => this.#startWaits.delete(id)).catch(() => undefined);
    try {
      const pid = await spawnShim(this.#runner, { stdout: this.#file(id, 'stdout.log'), stderr: this.#file(id, 'stderr.log'), status: this.#file(id, 'status') }, command);
      await writeFile(this.#file(id, 'shim.pid'), await shimIdentity(this.#procRoot(), pid));
    } catch (error) {
      started.cancel();
      // Never started: back to created, so it can be started again or removed at once.
      await rm(this.#file(id, 'shim.pid'), { force: true });
      throw error;
    }
    this.#track(id);
    const outcome = await started.done;
    if (outcome === undefined) throw new TrcError('TRC_RUNTIME_FAILED', `instance ${id} did not start within ${timeoutMs}ms`, { hint: 'check runc.log in the instance directory' });
    if (outcome.kind === 'running') return { id, state: 'running', pid: outcome.pid };
    const info = await this.inspect(id);
    if (info.exit?.reason === 'start failed') throw new TrcError('TRC_RUNTIME_FAILED', `instance ${id} ${info.exit.message}`, { hint: 'check the image command, user and working directory' });
    return info;
  }

  /**
   * Lets a gated instance's process run, or (not ok) fails its start: runc aborts at the hook and removes the
   * container, and the instance is stopped with reason 'start failed'.
   */
  async releaseGate(id: string, ok: boolean): Promise<void> {
    const record = await this.#record(id);
    if (record.gated !== true) throw new TrcError('TRC_RUNTIME_INVALID_STATE', `instance ${id} was not created gated`, { hint: 'create the instance with gated: true to hold its start' });
    // The start's own wait when it runs here (an instance left held by an earlier agent has none).
    const own = this.#startWaits.get(id);
    const past = own ?? waitForFiles(this.#dir(id), ['pid', 'status'], () => this.#startOutcome(id), (this.#options.startTimeoutMs ?? 15_000) + this.#gateTimeoutS() * 1000);
    try {
      await releaseGate(this.#file(id, GATE_FILE), ok, past.done);
    } catch (error) {
      if (own === undefined) past.cancel();
      throw error;
    }
  }

  /**
   * Whether start() is done: the shim's status (runc returned: a failed start, or a process that already
   * ended) wins over the pid file, so a start that failed is never reported as running.
   */
  async #startOutcome(id: string): Promise<{ kind: 'running'; pid: number } | { kind: 'ended' } | undefined> {
    // Checked on every change in the directory until runc is done, and the start waits on it: two small local
    // files read synchronously (no thread-pool round trips behind the rest of the start's I/O), a missing one
    // costing a stat, not an error object.
    const status = readSmallFile(this.#file(id, 'status'));
    if (status !== undefined && /^\d+\n$/.test(status)) return { kind: 'ended' };
    const text = readSmallFile(this.#file(id, 'pid'));
    return text !== undefined && /^\d+$/.test(text) ? { kind: 'running', pid: Number(text) } : undefined;
  }

  /** The last error runc logged for the instance (its JSON log), for start failures. */
  async #runcError(id: string): Promise<string | undefined> {
    const text = await readFile(this.#file(id, 'runc.log'), 'utf8').catch(() => '');
    const lines = text.trim().split('\n').reverse();
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { level?: string; msg?: string };
        if (entry.level === 'error' && entry.msg !== undefined) return entry.msg.slice(0, 1000);
      } catch {
        // a partial line
      }
    }
    return undefined;
  }

  async inspect(id: string): Promise<InstanceInfo> {
    await this.#record(id);
    const exit = await this.#readExit(id);
    if (exit !== undefined) return { id, state: 'stopped', exit };
    const shimPid = await readFile(this.#file(id, 'shim.pid'), 'utf8').catch(() => undefined);
    // An empty pid file: start() is between claiming the instance and spawning the shim.
    if (shimPid === undefined || shimPid === '') return { id, state: 'created' };
    const status = await readShimStatus(this.#file(id, 'status'));
    if (status !== undefined) return { id, state: 'stopped', exit: await this.#finalize(id, { status }) };
    const state = await this.#runc.state(id);
    if (state !== undefined && (state.status === 'running' || state.status === 'paused')) return { id, state: state.status, pid: state.pid };
    // runc has no running process: either the shim is about to record the status, or it is gone (a host
    // reboot, someone killed it) and nobody will.
    if ((await shimAlive(this.#procRoot(), shimPid, id))) {
      return { id, state: state === undefined ? 'created' : 'running' };
    }
    const late = await readShimStatus(this.#file(id, 'status'));
    return { id, state: 'stopped', exit: await this.#finalize(id, { status: late }) };
  }

  async #readExit(id: string): Promise<ExitInfo | undefined> {
    try {
      return JSON.parse(await readFile(this.#file(id, 'exit.json'), 'utf8')) as ExitInfo;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Records how the instance ended (once), then deletes the runc container and its cgroup. */
  #finalize(id: string, observed: { status: number | undefined }): Promise<ExitInfo> {
    const running = this.#finalizing.get(id);
    if (running !== undefined) return running;
    const work = (async () => {
      const done = await this.#readExit(id);
      if (done !== undefined) return done;
      const record = await this.#record(id);
      const events = await readMemoryEvents(this.#layout, record.cgroupsPath).catch(() => undefined);
      const stop = await readFile(this.#file(id, 'stop.json'), 'utf8').then((t) => JSON.parse(t) as { graceMs: number; escalated: boolean }, () => undefined);
      let exit = classifyExit({ status: observed.status, oomKills: events?.oomKills, limitHits: events?.limitHits ?? 0, memoryLimitBytes: record.memoryLimitBytes, ...(stop === undefined ? {} : { stop }) });
      const runcError = await this.#runcError(id);
      if (runcError !== undefined) exit = { reason: 'start failed', exitCode: observed.status, message: `failed to start: ${runcError}` };
      await this.#runc.delete(id, true);
      await writeFile(this.#file(id, 'exit.json'), JSON.stringify(exit));
      this.#tracked.delete(id);
      this.#options.onExit?.(id, exit);
      return exit;
    })().finally(() => this.#finalizing.delete(id));
    this.#finalizing.set(id, work);
    return work;
  }

  async wait(id: string, options: { signal?: AbortSignal } = {}): Promise<ExitInfo> {
    for (;;) {
      options.signal?.throwIfAborted();
      const info = await this.inspect(id);
      if (info.exit !== undefined) return info.exit;
      await sleep(this.#pollMs, options.signal);
    }
  }

  async #waitUntil(id: string, ms: number): Promise<ExitInfo | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const info = await this.inspect(id);
      if (info.exit !== undefined) return info.exit;
      if (Date.now() >= deadline) return undefined;
      await sleep(Math.min(this.#pollMs, 50, Math.max(1, deadline - Date.now())));
    }
  }

  async stop(id: string, options: StopOptions): Promise<ExitInfo> {
    this.#unstarted.delete(id);
    const info = await this.inspect(id);
    if (info.exit !== undefined) return info.exit;
    if (info.state === 'created' && !(await this.#started(id))) {
      const exit: ExitInfo = { reason: 'stopped', exitCode: undefined, message: 'stopped before it was started' };
      await writeFile(this.#file(id, 'exit.json'), JSON.stringify(exit));
      return exit;
    }
    if (info.state === 'paused') await this.#runc.resume(id);
    // Held at its gate (an agent that died mid-start, or a start given up): fail the hook; runc then ends.
    if ((await this.#record(id)).gated === true && !(await this.#hasPid(id))) await this.releaseGate(id, false);
    await writeFile(this.#file(id, 'stop.json'), JSON.stringify({ graceMs: options.graceMs, escalated: false }));
    await this.#runc.kill(id, 'TERM');
    const graceful = await this.#waitUntil(id, options.graceMs);
    if (graceful !== undefined) return graceful;
    await writeFile(this.#file(id, 'stop.json'), JSON.stringify({ graceMs: options.graceMs, escalated: true }));
    await this.#runc.kill(id, 'KILL');
    const killed = await this.#waitUntil(id, this.#runc.options.timeoutMs);
    if (killed === undefined) throw new TrcError('TRC_RUNTIME_FAILED', `instance ${id} did not stop after SIGKILL`, { hint: 'check the host for processes stuck in uninterruptible sleep' });
    return killed;
  }

  async #hasPid(id: string): Promise<boolean> {
    return (await readFile(this.#file(id, 'pid'), 'utf8').catch(() => '')) !== '';
  }

  async #started(id: string): Promise<boolean> {
    return (await readFile(this.#file(id, 'shim.pid'), 'utf8').catch(() => undefined)) !== undefined;
  }

  async list(): Promise<InstanceInfo[]> {
    const ids = (await readdir(path.join(this.#options.stateDir, 'instances'))).sort();
    const out: InstanceInfo[] = [];
    for (const id of ids) {
      try {
        out.push(await this.inspect(id));
      } catch (error) {
        // removed meanwhile, or a directory that is not an instance
        if (!(error instanceof TrcError) || (error.code !== 'TRC_RUNTIME_INSTANCE_NOT_FOUND' && error.code !== 'TRC_RUNTIME_INSTANCE_ID_INVALID')) throw error;
      }
    }
    return out;
  }

  async remove(id: string, options: { force?: boolean } = {}): Promise<void> {
    const info = await this.inspect(id);
    if (info.state !== 'stopped' && !(info.state === 'created' && !(await this.#started(id)))) {
      if (options.force !== true) throw new TrcError('TRC_RUNTIME_INVALID_STATE', `instance ${id} is ${info.state}; stop it before removing it`, { hint: 'stop the instance first, or remove it with force' });
      await this.stop(id, { graceMs: 0 });
    }
    this.#tracked.delete(id);
    this.#unstarted.delete(id);
    await this.#runc.delete(id, true);
    await rm(this.#dir(id), { recursive: true, force: true });
    this.#records.delete(id);
  }

  async tail(id: string, options: TailOptions): Promise<string> {
    await this.#record(id);
    const file = this.#file(id, `${options.stream}.log`);
    await rotateIfNeeded(file, this.#logs);
    return tailLog(file, options.maxBytes ?? 64 * 1024);
  }

  async adopt(): Promise<AdoptionReport> {
    const infos = await this.list();
    const known = new Set(infos.map((i) => i.id));
    const unknown = (await this.#runc.list()).map((s) => s.id).filter((id) => !known.has(id)).sort();
    const running: InstanceInfo[] = [];
    const exited: InstanceInfo[] = [];
    const created: InstanceInfo[] = [];
    for (const info of infos) {
      if (info.state === 'stopped') exited.push(info);
      else if (info.state === 'created') created.push(info);
      else {
        running.push(info);
        this.#track(info.id);
      }
    }
    return { running, exited, created, unknown };
  }

  async freeze(id: string): Promise<void> {
    const info = await this.inspect(id);
    if (info.state !== 'running') throw new TrcError('TRC_RUNTIME_INVALID_STATE', `instance ${id} is ${info.state}, not running`, { hint: 'only a running instance can be frozen' });
    await this.#runc.pause(id);
  }

  async thaw(id: string): Promise<void> {
    const info = await this.inspect(id);
    if (info.state !== 'paused') throw new TrcError('TRC_RUNTIME_INVALID_STATE', `instance ${id} is ${info.state}, not frozen`, { hint: 'only a frozen instance can be thawed' });
    await this.#runc.resume(id);
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#tracked.clear();
  }

  #track(id: string): void {
    this.#tracked.add(id);
    if (this.#timer !== undefined) return;
    // Unreferenced: watching never keeps the agent alive by itself.
    this.#timer = setInterval(() => void this.#tick(), this.#pollMs);
    this.#timer.unref();
  }

  /**
   * Rotates the logs of watched instances and records the exits that happened. It runs for every instance
   * every pollMs, so it looks with synchronous stat calls on the local state directory: no thread-pool hop and
   * no error object for a file that is not there (an exit status, usually); the async work is for what found.
   */
  async #tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      for (const id of [...this.#tracked]) {
        if (!existsSync(this.#dir(id))) {
          // removed meanwhile
          this.#tracked.delete(id);
          continue;
        }
        try {
          for (const stream of ['stdout.log', 'stderr.log']) {
            const file = this.#file(id, stream);
            if ((statSync(file, { throwIfNoEntry: false })?.size ?? 0) > this.#logs.maxBytes) await rotateIfNeeded(file, this.#logs);
          }
          if (!existsSync(this.#file(id, 'status'))) continue;
          const status = await readShimStatus(this.#file(id, 'status'));
          if (status !== undefined) await this.#finalize(id, { status });
        } catch {
          // removed meanwhile; the next inspect reports anything real
          this.#tracked.delete(id);
        }
      }
    } finally {
      this.#ticking = false;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
