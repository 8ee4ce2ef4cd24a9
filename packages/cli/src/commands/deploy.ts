// `platform deploy`: a release from platform.toml and an image reference, deployed and (unless --detach)
// followed through the event stream until its instances are healthy or it fails; and `platform scale`.
import process from 'node:process';
import { userError } from '@trc/core';
import type { CliIo, Command } from '../command.ts';
import type { ApiClient } from '../api/client.ts';
import { clientFor } from '../api/target.ts';
import { EXIT } from '../exit-codes.ts';
import { readInput } from '../input.ts';
import { printJson, printTable } from '../output.ts';
import { APP_FLAG, ENV_FLAG, envOf, required, seg, usage, wholeNumber, withServer } from './common.ts';
import { printEnv, type EnvView, type InstanceView, type ReleaseView } from './apps.ts';
import { describeEvent, type EventView } from './events.ts';
import { PROGRESS_POLL_MS, PullProgressDisplay } from './pull-progress.ts';

const DEFAULT_TIMEOUT_S = 300;
const FAILED_STATES = new Set(['unhealthy', 'exited']);

/** The seq of the deploy's own DeployStarted event: following starts there, not at the log's beginning. */
async function deployStartedSeq(client: ApiClient, app: string, deployId: string): Promise<number> {
  let after = 0;
  for (let page = 0; page < 100_000; page++) {
    const events = await client.call<EventView[]>('GET', `/events?app=${seg(app)}&type=DeployStarted&after=${after}&limit=1000`);
    const mine = events.find((e) => (e.payload as { deployId?: string }).deployId === deployId);
    if (mine !== undefined) return mine.seq;
    if (events.length < 1000) break;
    after = events.at(-1)!.seq;
  }
  throw userError('TRC_CLI_BAD_RESPONSE', `the control plane accepted deploy ${deployId} but its event log has no DeployStarted for it`, 'run `platform events --app APP --type DeployStarted` to look');
}

async function envInstances(client: ApiClient, app: string, env: string): Promise<InstanceView[]> {
  return (await client.call<InstanceView[]>('GET', `/apps/${seg(app)}/instances`)).filter((i) => i.env === env && i.desired === 'running');
}

type Outcome = { ok: true } | { ok: false; reason: string };

/** Follows the app's events from the deploy on: done when every running instance of the env runs the release, healthy. */
async function follow(client: ApiClient, io: CliIo, app: string, env: string, deployId: string, release: number, fromSeq: number, timeoutMs: number, placed: readonly { id: string; processType: string }[]): Promise<Outcome> {
  const controller = new AbortController();
  let outcome: Outcome | undefined;
  const finish = (o: Outcome): void => {
    outcome ??= o;
    controller.abort();
  };
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const interrupt = (): void => finish({ ok: false, reason: 'interrupted (the deploy goes on in the control plane)' });
  process.once('SIGINT', interrupt);
  const mine = new Set<string>();
  let timedOut = false;
  const pulls = new PullProgressDisplay(io);
  for (const p of placed) pulls.track(p.id, p.processType);
  // Pull progress is polled beside the event stream (it is not in the log); bounded by the same signal.
  const polling = (async () => {
    for (let i = 0; i < 1_000_000 && !controller.signal.aborted; i++) {
      await pulls.poll(client, app);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, PROGRESS_POLL_MS);
        controller.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  })();
  try {
    await client.stream(`/events?follow=1&app=${seg(app)}&after=${fromSeq - 1}`, async (item) => {
      const event = item as EventView;
      const p = event.payload as { deployId?: string; env?: string; release?: number; instanceId?: string; state?: string; reason?: string; detail?: string };
      if (event.type === 'InstancePlaced' && p.env === env && p.release === release) {
        mine.add(p.instanceId!);
        pulls.track(p.instanceId!, (p as { processType?: string }).processType ?? 'instance');
      }
      const relevant = (p.deployId !== undefined && p.deployId === deployId) || (p.instanceId !== undefined && mine.has(p.instanceId));
      if (!relevant) return;
      pulls.breakLine();
      io.stderr(`  ${describeEvent(event)}\n`);
      if (event.type === 'DeployFailed') return finish({ ok: false, reason: p.reason ?? 'the deploy failed' });
      if (event.type === 'DeployCompleted') return finish({ ok: true });
      if (event.type === 'InstanceRescheduleBlocked') return finish({ ok: false, reason: `instance ${p.instanceId} cannot be placed: ${p.reason}` });
      if (event.type === 'InstanceStateReported' && FAILED_STATES.has(p.state ?? '')) return finish({ ok: false, reason: `instance ${p.instanceId} is ${p.state}${p.detail === undefined ? '' : ` (${p.detail})`}` });
      const running = await envInstances(client, app, env);
      if (running.length > 0 && running.every((i) => i.release === release && i.actual === 'healthy')) finish({ ok: true });
    }, { signal: controller.signal });
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', interrupt);
    timedOut = controller.signal.aborted;
    controller.abort();
    await polling;
  }
  // The deploy may end between two polls: the last word on each pull is shown before the verdict.
  if (outcome !== undefined) await pulls.poll(client, app);
  if (outcome !== undefined) return outcome;
  if (timedOut) throw userError('TRC_CLI_TIMEOUT', `deploy ${deployId} was not healthy within ${timeoutMs / 1000} s`, 'it goes on in the control plane: watch it with `platform instances list` or `platform events --follow`, or raise --timeout');
  throw userError('TRC_CLI_UNREACHABLE', `the control plane at ${client.url} closed the event stream during deploy ${deployId}`, 'the deploy goes on: watch it with `platform instances list`');
}

export const deploy: Command = {
  noun: 'deploy', verb: '', summary: 'Create a release from platform.toml and an image, deploy it, and follow it until healthy',
  description: [
    'The control plane resolves the image reference to a digest; every instance of the release runs exactly that digest.',
    'Prints the release, its digest and the placements; then follows the deploy until every running instance of the',
    'environment runs the release and is healthy (exit 0), or it fails (exit 1, TRC_CLI_DEPLOY_FAILED) or --timeout passes',
    '(exit 1, TRC_CLI_TIMEOUT). --detach returns right after the deploy has started.',
  ].join('\n'),
  args: [],
  flags: withServer({
    app: APP_FLAG, env: ENV_FLAG,
    image: { type: 'string', description: 'The OCI image: name:tag or name@sha256:digest', valueName: 'REF' },
    manifest: { type: 'string', description: 'The platform.toml file (default: ./platform.toml; - for standard input)', valueName: 'FILE' },
    detach: { type: 'boolean', description: 'Return once the deploy has started' },
    timeout: { type: 'string', description: `Seconds to wait for healthy instances (default ${DEFAULT_TIMEOUT_S})`, valueName: 'SECONDS' },
  }),
  read: true,
  examples: ['platform deploy --app shop --env prod --image registry.example/shop:v42'],
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = envOf(input);
    const image = required(input, 'image', this);
    const timeoutMs = wholeNumber((input.flags.timeout as string | undefined) ?? String(DEFAULT_TIMEOUT_S), '--timeout', this) * 1000;
    const manifest = new TextDecoder('utf-8', { fatal: false }).decode(await readInput(io, (input.flags.manifest as string | undefined) ?? 'platform.toml'));
    const client = clientFor(input, io);
    const release = await client.call<ReleaseView>('POST', `/apps/${seg(app)}/releases`, { image, manifest });
    const started = await client.call<{ deployId: string; release: number; env: string; instances: number }>('POST', `/apps/${seg(app)}/envs/${env}/deploys`, { release: release.version });
    const seq = await deployStartedSeq(client, app, started.deployId);
    const placements = (await envInstances(client, app, env)).filter((i) => i.release === release.version).map((i) => ({ id: i.id, processType: i.processType, node: i.node }));
    if (!input.json) {
      io.stdout(`Release ${release.version} of ${app}: ${release.image}\ndigest: ${release.digest}\nDeploy ${started.deployId} to ${app}/${env}: ${placements.length} instance(s) placed\n`);
      printTable(io, ['INSTANCE', 'PROCESS', 'NODE'], placements.map((p) => [p.id, p.processType, p.node]));
    }
    const result = { deployId: started.deployId, app, env, release: release.version, image: release.image, digest: release.digest, placements };
    if (input.flags.detach === true) {
      if (input.json) printJson(io, { ...result, status: 'started' });
      return EXIT.OK;
    }
    const outcome = await follow(client, io, app, env, started.deployId, release.version, seq, timeoutMs, placements);
    if (!outcome.ok) {
      if (input.json) printJson(io, { ...result, status: 'failed', reason: outcome.reason });
      throw userError('TRC_CLI_DEPLOY_FAILED', `deploy ${started.deployId} of release ${release.version} to ${app}/${env} failed: ${outcome.reason}`, 'see `platform instances list --app APP` and `platform events --app APP`');
    }
    if (input.json) printJson(io, { ...result, status: 'healthy' });
    else io.stdout(`Deploy ${started.deployId}: every instance of ${app}/${env} runs release ${release.version} and is healthy\n`);
    return EXIT.OK;
  },
};

export const scale: Command = {
  noun: 'scale', verb: '', summary: 'Set how many instances of each process type run',
  args: [{ name: 'PROCESS=COUNT', description: 'e.g. web=3 worker=1', variadic: true }],
  flags: withServer({ app: APP_FLAG, env: ENV_FLAG }),
  read: true,
  examples: ['platform scale --app shop --env prod web=3 worker=1'],
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = envOf(input);
    const wanted = input.rest.map((arg) => {
      const m = /^([a-z][a-z0-9-]*)=(.*)$/.exec(arg);
      if (m === null) throw usage(this, `${JSON.stringify(arg.slice(0, 80))} is not PROCESS=COUNT`);
      return { process: m[1]!, count: wholeNumber(m[2]!, `the count of ${m[1]}`, this) };
    });
    const client = clientFor(input, io);
    let view: EnvView | undefined;
    for (const w of wanted) view = await client.call<EnvView>('PUT', `/apps/${seg(app)}/envs/${env}/processes/${seg(w.process)}`, { count: w.count });
    if (input.json) printJson(io, view);
    else printEnv(io, app, view!);
    return EXIT.OK;
  },
};
