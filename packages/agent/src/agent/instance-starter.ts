// Starts one instance from its plan, each phase timed: pull (cache) and prepare the instance's root (an
// overlay over the image's shared tree, see ../rootfs/), make the network namespace and fetch the secrets
// file (these three overlap), stage the secrets, create and start; the rest of the network (devices, routes,
// rules) is made meanwhile, and a gated runtime holds the process until it is done. A failure undoes what
// was done, so a later attempt starts clean.
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { parseSecretsFileOrThrow } from '@trc/core';
import type { ImagePuller, PullProgress, PulledImage } from '../image/index.ts';
import type { InstanceAttachment, InstanceNetwork } from '../network/network.ts';
import type { ImageTree, RootfsProvider } from '../rootfs/rootfs.ts';
import { selectRootfsProvider } from '../rootfs/select-rootfs.ts';
import { isStartGate, type RuntimeDriver, type StartGate } from '../runtime/runtime.ts';
import type { SecretsStager, StagedSecrets } from '../secrets/secrets-stager.ts';
import type { ControlPlane } from './control-client.ts';
import type { InstancePlan } from './instance-plan.ts';
import { PullReporter } from './pull-report.ts';

export type StartPhase = 'pull' | 'network' | 'secrets' | 'create' | 'start';
/**
 * `netns`: until the namespace exists (the rest of `network` overlaps secrets, create and start); `path`: the
 * whole start, spec fetch to running process, as one wall-clock span (the phases overlap); `pooled`: 1 when
 * the namespace was taken from the node's pool, else 0 (a count, so a burst's sum says how many were).
 */
export type PhaseTimings = Partial<Record<StartPhase | 'netns' | 'pooled' | 'spec' | 'health' | 'path', number>>;

export interface InstanceStarterDeps {
  readonly control: ControlPlane;
  readonly puller: ImagePuller;
  readonly driver: RuntimeDriver;
  readonly network: InstanceNetwork;
  readonly stager: SecretsStager;
  /** Holds `<id>/`, each instance's root, and the image trees they share. */
  readonly rootfsDir: string;
  /** Default: overlayfs when usable in rootfsDir, else one unpack per instance (selectRootfsProvider). */
  readonly rootfs?: RootfsProvider;
  /** Where the choice of rootfs provider is said when it is a fallback. */
  readonly log?: (line: string) => void;
  /** Least time between two pull progress reports of one instance within a phase (default 500 ms). */
  readonly progressIntervalMs?: number;
}

export class InstanceStarter {
  readonly #deps: InstanceStarterDeps;
  #rootfs: Promise<RootfsProvider> | undefined;
  /**
   * Pulls of `name@sha256:…` references already done: a digest names immutable content, so the resolved
   * manifest and config are kept instead of being read and parsed again from the blob cache every start.
   */
  readonly #pulled = new Map<string, Promise<PulledImage>>();
  /** Host-side root unmounts still running after a start; a cleanup of the instance waits for its own. */
  readonly #settling = new Map<string, Promise<void>>();

  constructor(deps: InstanceStarterDeps) {
    this.#deps = deps;
    if (deps.rootfs !== undefined) this.#rootfs = Promise.resolve(deps.rootfs);
  }

  #log(line: string): void {
    if (this.#deps.log !== undefined) this.#deps.log(line);
    else process.stderr.write(`${line}\n`);
  }

  /** Chosen on first use (a trial mount), so constructing the starter does no I/O. */
  rootfsProvider(): Promise<RootfsProvider> {
    this.#rootfs ??= selectRootfsProvider({ dir: this.#deps.rootfsDir, log: (line) => this.#log(line) });
    return this.#rootfs;
  }

  /**
   * `secrets`: the instance's secrets file, already being fetched (else fetched here); `beforeRun`: what must
   * be done before the instance's process may run (the agent's record of it).
   */
  async start(plan: InstancePlan, timings: PhaseTimings, options: { secrets?: Promise<Uint8Array>; beforeRun?: Promise<unknown> } = {}): Promise<InstanceAttachment> {
    const { control, puller, driver, network, stager } = this.#deps;
    const timed = async <T>(phase: StartPhase, fn: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await fn();
      } finally {
        timings[phase] = performance.now() - t0;
      }
    };
    let plumbed: Promise<InstanceAttachment> | undefined;
    let networkDone = false;
    let secretsDone = false;
    const startEnded = Promise.withResolvers<void>();
    let rooted: Promise<string> | undefined;
    let staging: Promise<StagedSecrets> | undefined;
    try {
      const provider = await this.rootfsProvider();
      const t0 = performance.now();
      const namespaced = network.attachStaged(plan.id, plan.org).then((staged) => {
        timings.netns = performance.now() - t0;
        timings.pooled = staged.pooled === true ? 1 : 0;
        plumbed = staged.complete.finally(() => {
          timings.network = performance.now() - t0;
        });
        plumbed.then(() => (networkDone = true), () => undefined);
        return staged.attachment;
      });
      namespaced.catch(() => undefined);
      // Secrets readable by root only need nothing from the image: staged as soon as fetched. Readable by a
      // group of the image, they wait for its root (the group is looked up there).
      const group = plan.secrets.mode === '0440' ? plan.secrets.group : undefined;
      const stage = (file: Uint8Array, rootfs?: string): Promise<StagedSecrets> => timed('secrets', async () => {
        const entries = parseSecretsFileOrThrow(file, 'platform.env');
        return stager.stage(plan.id, entries, group === undefined || rootfs === undefined ? { kind: 'root' } : { kind: 'group', group, rootfs });
      });
      const reporter = this.#reporter(plan, startEnded.promise);
      const pulling = this.#pull(plan.imageRef, (e) => reporter.onProgress(e));
      const tree = (p: PulledImage): ImageTree => ({ key: p.manifestDigest, unpack: (into) => puller.unpack(p, into, { onProgress: (e) => reporter.onProgress(e) }) });
      // The root (a mount) goes on while the instance is created; start waits for both.
      rooted = timed('pull', async () => {
        const pulled = await pulling;
        try {
          const rootfs = await provider.prepare(plan.id, tree(pulled));
          reporter.finish(pulled);
          return rootfs;
        } catch (error) {
          // A blob gone from the cache, say: the next start pulls afresh.
          this.#pulled.delete(plan.imageRef);
          throw error;
        }
      });
      rooted.catch(() => undefined);
      // Pull and root, the network and the secrets (fetched, then staged) do not depend on each other: they
      // overlap. prepare() replaces any root, or secrets, a crash mid-start left. The bundle names the
      // namespace and the secrets' directory ahead, so the instance is created and started meanwhile: the gate
      // holds its process until the network and the secrets file are in place.
      const prepared = stager.prepare(plan.id);
      prepared.catch(() => undefined);
      staging = (async (): Promise<StagedSecrets> => {
        const [file] = await Promise.all([options.secrets ?? control.instanceSecrets(plan.id), prepared]);
        // Readable by a group of the image, the group is looked up in its root.
        return stage(file, group === undefined ? undefined : await rooted);
      })();
      staging.then(() => (secretsDone = true), () => undefined);
      const [pulled, shared] = await Promise.all([pulling, pulling.then((p) => provider.tree(tree(p)))]);
      // Without a shared tree the image's files are only in the instance's root.
      const rootfs = shared === undefined ? await rooted : provider.pathOf(plan.id);
      // Gated only while the network or the secrets are still on their way (the usual case: the secrets'
      // round trip; a burst, a slow host): a gate costs a hook process and a release. Without one the
      // process must not run before both are in place: wait here.
      const gate = isStartGate(driver) && !(networkDone && secretsDone) ? driver : undefined;
      if (gate === undefined) {
        await namespaced;
        await plumbed;
        await staging;
      }
      const c = pulled.imageConfig;
      const mounts = stager.mounts(plan.id);
      await Promise.all([
        timed('create', () => driver.create({
          id: plan.id,
          rootfs,
          ...(shared === undefined ? {} : { userFiles: shared }),
          image: { entrypoint: c.entrypoint, cmd: c.cmd, env: c.env, ...(c.user === '' ? {} : { user: c.user }), ...(c.workingDir === '' ? {} : { workingDir: c.workingDir }) },
          ...(plan.command === undefined ? {} : { command: plan.command }),
          hostname: plan.processType,
          resources: plan.resources,
          mounts: [mounts.directory, mounts.exportScript],
          networkNamespace: network.namespacePath(plan.id),
          ...(gate === undefined ? {} : { gated: true }),
        })),
        rooted,
        namespaced,
        prepared,
      ]);
      const attachment = await namespaced;
      await options.beforeRun;
      await timed('start', async () => {
        if (gate === undefined) await driver.start(plan.id);
        else await this.#startGated(gate, plan.id, Promise.all([plumbed!, staging!]));
      });
      // Off the start path: the instance runs in its own mount of the root whether or not this finishes.
      const settle = provider.started(plan.id)
        .catch((error: unknown) => this.#log(`instance ${plan.id}: the host-side mount of its root stays: ${(error as Error).message}`))
        .finally(() => this.#settling.delete(plan.id));
      this.#settling.set(plan.id, settle);
      return attachment;
    } catch (error) {
      // A root still being mounted would be mounted after the clean-up's release, and secrets still being
      // written would be left after its removal.
      await rooted?.catch(() => undefined);
      await staging?.catch(() => undefined);
      await this.cleanup(plan.id);
      throw error;
    } finally {
      startEnded.resolve();
    }
  }

  /**
   * runc sets the instance up (cgroup, namespaces, mounts) while the network and the secrets are finished,
   * and holds the process at its gate until then. A failed attach or secrets fetch fails the gate, so runc
   * aborts, and the start reports that error rather than runc's.
   */
  async #startGated(gate: StartGate, id: string, ready: Promise<unknown>): Promise<void> {
    const started = this.#deps.driver.start(id);
    started.catch(() => undefined);
    const released = ready.then(
      () => gate.releaseGate(id, true),
      async (error: unknown) => {
        await gate.releaseGate(id, false).catch(() => undefined);
        throw error;
      },
    );
    const [start, release] = await Promise.allSettled([started, released]);
    if (release.status === 'rejected') throw release.reason;
    if (start.status === 'rejected') throw start.reason;
  }

  /**
   * Sends an instance's pull progress to the control plane, in order, one request at a time; a report that
   * cannot be delivered is dropped (the next one supersedes it, and the start never waits for them). The one
   * report of a pull that downloaded nothing waits for `startEnded`: the control plane serves the start first.
   */
  #reporter(plan: InstancePlan, startEnded: Promise<void>): PullReporter {
    let chain = Promise.resolve();
    let failed = false;
    return new PullReporter({
      image: plan.imageRef,
      now: () => performance.now(),
      ...(this.#deps.progressIntervalMs === undefined ? {} : { intervalMs: this.#deps.progressIntervalMs }),
      send: (report) => {
        const after = report.phase === 'pulled' && report.cached ? startEnded : undefined;
        chain = chain.then(() => after).then(() => this.#deps.control.reportPullProgress(plan.id, report)).catch((error: unknown) => {
          if (!failed) this.#log(`instance ${plan.id}: pull progress not reported: ${(error as Error).message}`);
          failed = true;
        });
      },
    });
  }

  #pull(ref: string, onProgress: (event: PullProgress) => void): Promise<PulledImage> {
    const known = this.#pulled.get(ref);
    if (known !== undefined) return known;
    const pulling = this.#deps.puller.pull(ref, { onProgress });
    if (!/@sha256:[a-f0-9]{64}$/.test(ref)) return pulling;
    this.#pulled.set(ref, pulling);
    pulling.catch(() => this.#pulled.delete(ref));
    return pulling;
  }

  /** Unmounts the spare roots (the agent stops; instances keep running). */
  async close(): Promise<void> {
    if (this.#rootfs !== undefined) await (await this.#rootfs).close();
  }

  /** Removes everything of an instance: the runtime's copy (killed if running), secrets, network, rootfs. */
  async cleanup(id: string): Promise<void> {
    const { driver, network, stager } = this.#deps;
    await this.#settling.get(id);
    await driver.remove(id, { force: true }).catch((e: { code?: string }) => {
      if (e.code !== 'TRC_RUNTIME_INSTANCE_NOT_FOUND') throw e;
    });
    await stager.remove(id);
    await network.detach(id);
    await (await this.rootfsProvider()).release(id);
  }
}
