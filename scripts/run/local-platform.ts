// The whole platform on one host, started in order (registry, image, control plane, agent, edge, deploy)
// and stopped in reverse (instances, edge, agent, host clean-up, registry, control plane).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type { Child } from './child.ts';
import { PlatformCli } from './cli.ts';
import { APP, deployExample, ensureOrg, ORG_TOKEN_FILE, ROUTE, stopInstances, waitHealthy, waitRoute } from './deploy.ts';
import { cleanHost, findLeftovers, hostIsClean, mountSecretsTmpfs } from './host.ts';
import { buildAndPushExample, EXAMPLE_DIR } from './image.ts';
import { hostNames, type HostNames, type RunOptions } from './options.ts';
import { agentHasJoined, startAgent, startControl, startEdge } from './programs.ts';
import { startRegistry } from './registry.ts';

export interface Reachable {
  readonly url: string;
  readonly answer: string;
}

export class LocalPlatform {
  readonly options: RunOptions;
  readonly names: HostNames;
  readonly configHome: string;
  readonly #log: (line: string) => void;
  #registry: Child | undefined;
  #control: Child | undefined;
  #agent: Child | undefined;
  #edge: Child | undefined;
  #cli: PlatformCli | undefined;
  #agentStateDir = '';
  readonly #pids: number[] = [];
  readonly #abort = new AbortController();

  constructor(options: RunOptions, log: (line: string) => void) {
    this.options = options;
    this.names = hostNames(options.name);
    this.configHome = path.join(options.dataDir, 'config');
    this.#log = log;
  }

  get logDir(): string {
    return path.join(this.options.dataDir, 'logs');
  }

  get agentTokenFile(): string {
    return path.join(this.#agentStateDir, 'admin.token');
  }

  /** Each program's pid goes to the log (the test checks that none is left after a stop) and to a file. */
  #started(child: Child): void {
    this.#log(`started ${child.name} (pid ${child.pid ?? '?'}, log ${child.logFile})`);
    if (child.pid !== undefined) this.#pids.push(child.pid);
    writeFileSync(this.#pidFile, `${JSON.stringify(this.#pids)}\n`);
  }

  get #pidFile(): string {
    return path.join(this.options.dataDir, 'pids.json');
  }

  /** Programs of a run that was itself killed outright (SIGKILL) keep running, detached: end them first. */
  async #killStale(): Promise<void> {
    let pids: unknown;
    try {
      pids = JSON.parse(readFileSync(this.#pidFile, 'utf8'));
    } catch {
      return;
    }
    for (const pid of Array.isArray(pids) ? pids : []) {
      if (typeof pid !== 'number') continue;
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      // Only ours: the pid may have been reused by an unrelated process since.
      if (!/docker-registry|packages\/(control|agent|edge)\/src\/main\.ts/.test(cmdline)) continue;
      this.#log(`ending ${pid}, left running by a previous run that was killed`);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await sleep(40);
    }
    rmSync(this.#pidFile, { force: true });
  }

  /** Makes a start in progress give up at its next step or wait (a signal arrived). */
  abort(): void {
    this.#abort.abort(new Error('stopped by a signal'));
  }

  async start(): Promise<Reachable> {
    const o = this.options;
    const step = (): void => this.#abort.signal.throwIfAborted();
    mkdirSync(this.logDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.configHome, { recursive: true, mode: 0o700 });
    await this.#killStale();
    this.#log(`data in ${o.dataDir}; logs in ${this.logDir}`);

    const registry = await startRegistry(o.dataDir, o.registryPort, path.join(this.logDir, 'registry.log'));
    this.#registry = registry.child;
    this.#started(registry.child);
    step();
    const image = await buildAndPushExample(registry.host);
    this.#log(`registry on ${registry.host}; example image ${image}`);

    const control = await startControl(o);
    this.#control = control.child;
    this.#started(control.child);
    this.#log(`control plane on ${control.url} (SQLite in ${path.join(o.dataDir, 'control')})`);
    step();
    const operator = new PlatformCli(this.configHome, control.url, control.operatorToken);

    // Whatever a run killed outright left on the host goes; the deploy below starts the example afresh.
    cleanHost(this.names, this.#log, path.join(o.dataDir, 'agent'));
    if (control.fresh) {
      // The agent's node token and the org token belong to an event log that is gone.
      rmSync(path.join(o.dataDir, 'agent'), { recursive: true, force: true });
      rmSync(path.join(o.dataDir, ORG_TOKEN_FILE), { force: true });
    }
    mountSecretsTmpfs(this.names);
    const joinToken = agentHasJoined(o) ? undefined : (await operator.json<{ token: string }>(['nodes', 'join-token', o.name])).token;
    const agent = await startAgent(o, this.names, control.url, joinToken);
    this.#agent = agent.child;
    this.#started(agent.child);
    this.#agentStateDir = agent.stateDir;
    step();
    this.#log(`node agent "${o.name}" running; admin on ${agent.adminUrl}`);

    this.#edge = await startEdge(o, control.url, control.operatorToken);
    this.#started(this.#edge);
    step();
    this.#log(`edge proxy following the control plane; admin on http://127.0.0.1:${o.edgeAdminPort}`);

    const orgToken = await ensureOrg(operator, o.dataDir);
    const cli = operator.as(orgToken);
    this.#cli = cli;
    await deployExample(cli, { image, manifest: path.join(EXAMPLE_DIR, 'platform.toml'), greeting: o.greeting, routePort: o.routePort, log: this.#log });
    step();
    await waitHealthy(cli, 90_000, this.#abort.signal);
    const url = `http://127.0.0.1:${o.routePort}/`;
    const answer = await waitRoute(url, 60_000, this.#abort.signal);
    // The user's CLI config: logged in as the demo org, in the data dir (login reads TRC_TOKEN from the environment).
    await cli.ok(['login', '--url', control.url]);
    return { url, answer };
  }

  /**
   * Stops everything. The instances are stopped too (scaled to 0, then whatever is left removed by name),
   * so the host is clean; the next run scales web back to 1. `force` skips the graceful steps.
   */
  async stop(force: boolean): Promise<void> {
    const o = this.options;
    if (force) {
      for (const c of [this.#edge, this.#agent, this.#registry, this.#control]) c?.kill();
    } else if (this.#cli !== undefined && this.#agent?.running === true && this.#control?.running === true) {
      this.#log(`stopping the ${APP} instances`);
      if (!(await stopInstances(this.#cli, 20_000))) this.#log('the instances did not stop in time; removing them directly');
    }
    const grace = force ? 0 : 1;
    await this.#edge?.stop(5_000 * grace);
    await this.#agent?.stop(15_000 * grace);
    cleanHost(this.names, this.#log, path.join(o.dataDir, 'agent'));
    await this.#registry?.stop(5_000 * grace);
    await this.#control?.stop(10_000 * grace);
    rmSync(this.#pidFile, { force: true });
    const left = findLeftovers(this.names, path.join(o.dataDir, 'agent'));
    if (!hostIsClean(left)) this.#log(`left on the host: ${JSON.stringify(left)}`);
    this.#log(`stopped; state kept in ${o.dataDir} (remove it to start afresh)`);
  }

  /** What to print once the route answers. */
  instructions(reachable: Reachable): string {
    const env = `XDG_CONFIG_HOME=${this.configHome}`;
    return [
      '',
      `The example app is reachable at ${reachable.url}`,
      `  curl ${reachable.url}`,
      `  -> ${reachable.answer}`,
      '',
      'The CLI, logged in as org "demo":',
      `  ${env} bin/platform apps list`,
      `  ${env} bin/platform instances list --app ${APP}`,
      `  ${env} bin/platform events --follow`,
      `  ${env} bin/platform secrets set --app ${APP} GREETING=there     # a rolling restart, then curl again`,
      `  ${env} bin/platform routes status --app ${APP}                   # route "${ROUTE}"`,
      `  ${env} bin/platform logs --agent http://127.0.0.1:${this.options.agentAdminPort} --agent-token-file ${this.agentTokenFile} INSTANCE`,
      '',
      `Logs of the control plane, agent, edge and registry: ${this.logDir}/`,
      'GREETING is a deliberately harmless secret the app shows; real secrets are never echoed (see examples/hello/README.md).',
      'Ctrl-C stops everything, the instances included (a second Ctrl-C forces).',
      '',
    ].join('\n');
  }
}
