// Starts a server process for a test or bench and stops it for sure: readiness is a TCP connect,
// bounded in attempts, and stopping escalates from SIGTERM to SIGKILL after a timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Endpoints that must accept TCP connections before the process counts as started. */
  readonly ready: readonly Endpoint[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Upper bound for readiness; the process is killed and start fails after it. */
  readonly readyTimeoutMs?: number;
  /**
   * The process ends by itself after this long (coreutils `timeout`), even if the test that started it
   * crashed before stopping it. Default 300 s: longer than any test or bench that starts one.
   */
  readonly maxLifetimeSec?: number;
}

/** A process started by a test; `stop` is idempotent and always leaves the process dead. */
export interface RunningProcess {
  readonly name: string;
  /** The pid of the `timeout` guard; the server is its only child (see processTree in the bench). */
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr interleaved), for failure messages. */
  output(): string;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const MAX_OUTPUT = 64 * 1024;

export async function startProcess(options: StartOptions): Promise<RunningProcess> {
  const lifetime = String(options.maxLifetimeSec ?? 300);
  const child = spawn('timeout', ['--kill-after=5', lifetime, options.command, ...options.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  let out = '';
  const collect = (chunk: Buffer): void => {
    if (out.length < MAX_OUTPUT) out += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), sleep(3000).then(() => true)]);
    if (timedOut) {
      // The whole group: `timeout` and the server under it (it made itself the group leader).
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
    }
  };
  const running: RunningProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    child,
    output: () => out,
    stop,
    [Symbol.asyncDispose]: stop,
  };

  const deadline = performance.now() + (options.readyTimeoutMs ?? 10_000);
  for (const endpoint of options.ready) {
    for (;;) {
      if (spawnError !== undefined) throw new Error(`${options.name} did not start: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${options.name} exited (${child.exitCode ?? child.signalCode}) before listening on ${endpoint.host}:${endpoint.port}:\n${out}`);
      }
      if (await canConnect(endpoint)) break;
      if (performance.now() > deadline) {
        await stop();
        throw new Error(`${options.name} did not listen on ${endpoint.host}:${endpoint.port} in time:\n${out}`);
      }
      await sleep(25);
    }
  }
  return running;
}

export function canConnect(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port });
    socket.setTimeout(1000);
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
