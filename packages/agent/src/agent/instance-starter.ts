// Starts one instance from its plan, each phase timed: pull (cache) and unpack a per-instance rootfs, attach
// the network and fetch the secrets file (these three overlap), stage the secrets, create and start.
// A failure undoes what was done, so a later attempt starts clean.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseSecretsFileOrThrow } from '@trc/core';
import type { ImagePuller } from '../image/index.ts';
import type { InstanceAttachment, InstanceNetwork } from '../network/network.ts';
import type { RuntimeDriver } from '../runtime/runtime.ts';
import type { SecretsStager } from '../secrets/secrets-stager.ts';
import type { ControlPlane } from './control-client.ts';
import type { InstancePlan } from './instance-plan.ts';

export type StartPhase = 'pull' | 'network' | 'secrets' | 'create' | 'start';
export type PhaseTimings = Partial<Record<StartPhase | 'spec' | 'health', number>>;

export interface InstanceStarterDeps {
  readonly control: ControlPlane;
  readonly puller: ImagePuller;
  readonly driver: RuntimeDriver;
  readonly network: InstanceNetwork;
  readonly stager: SecretsStager;
  /** Holds `<id>/`, each instance's own unpacked rootfs. */
  readonly rootfsDir: string;
}

export class InstanceStarter {
  readonly #deps: InstanceStarterDeps;

  constructor(deps: InstanceStarterDeps) {
    this.#deps = deps;
  }

  rootfsOf(id: string): string {
    return path.join(this.#deps.rootfsDir, id);
  }

  async start(plan: InstancePlan, timings: PhaseTimings): Promise<InstanceAttachment> {
    const { control, puller, driver, network, stager } = this.#deps;
    const timed = async <T>(phase: StartPhase, fn: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await fn();
      } finally {
        timings[phase] = performance.now() - t0;
      }
    };
    const rootfs = this.rootfsOf(plan.id);
    try {
      // A rootfs left by a crash mid-start is not trusted: unpack afresh.
      await rm(rootfs, { recursive: true, force: true });
      // Pull/unpack, network and the secrets fetch do not depend on each other: they overlap.
      const [image, attachment, secretsFile] = await Promise.all([
        timed('pull', () => puller.pull(plan.imageRef, { rootfs })),
        timed('network', () => network.attach(plan.id, plan.org)),
        control.instanceSecrets(plan.id),
      ]);
      const staged = await timed('secrets', async () => {
        const entries = parseSecretsFileOrThrow(secretsFile, 'platform.env');
        await stager.remove(plan.id);
        return stager.stage(plan.id, entries, plan.secrets.mode === '0440' ? { kind: 'group', group: plan.secrets.group, rootfs } : { kind: 'root' });
      });
      const c = image.imageConfig;
      await timed('create', () => driver.create({
        id: plan.id,
        rootfs,
        image: { entrypoint: c.entrypoint, cmd: c.cmd, env: c.env, ...(c.user === '' ? {} : { user: c.user }), ...(c.workingDir === '' ? {} : { workingDir: c.workingDir }) },
        ...(plan.command === undefined ? {} : { command: plan.command }),
        hostname: plan.processType,
        resources: plan.resources,
        mounts: [staged.file, staged.exportScript],
        networkNamespace: attachment.netnsPath,
      }));
      await timed('start', () => driver.start(plan.id));
      return attachment;
    } catch (error) {
      await this.cleanup(plan.id);
      throw error;
    }
  }

  /** Removes everything of an instance: the runtime's copy (killed if running), secrets, network, rootfs. */
  async cleanup(id: string): Promise<void> {
    const { driver, network, stager } = this.#deps;
    await driver.remove(id, { force: true }).catch((e: { code?: string }) => {
      if (e.code !== 'TRC_RUNTIME_INSTANCE_NOT_FOUND') throw e;
    });
    await stager.remove(id);
    await network.detach(id);
    await rm(this.rootfsOf(id), { recursive: true, force: true });
  }
}
