// ImageResolver over skopeo (a Debian package, see scripts/system-deps.sh): `skopeo inspect` asks the
// registry for the manifest digest without pulling anything.
import { execFile } from 'node:child_process';
import { userError } from '@trc/core';
import { checkReference, registryHost, type ImageResolver } from '../resolver.ts';

export interface SkopeoOptions {
  readonly binary?: string;
  /** Hosts reached over plain HTTP (default: loopback registries only). */
  readonly insecureHosts?: readonly string[];
  /** A containers-auth.json with registry credentials. */
  readonly authFile?: string;
  readonly timeoutMs?: number;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

export class SkopeoResolver implements ImageResolver {
  readonly #options: SkopeoOptions;

  constructor(options: SkopeoOptions = {}) {
    this.#options = options;
  }

  async resolve(reference: string): Promise<string> {
    checkReference(reference);
    const host = registryHost(reference);
    const insecure = LOOPBACK.test(host) || (this.#options.insecureHosts ?? []).includes(host);
    const args = ['inspect', '--no-tags', '--format', '{{.Digest}}', `--tls-verify=${String(!insecure)}`];
    if (this.#options.authFile !== undefined) args.push('--authfile', this.#options.authFile);
    args.push(`docker://${reference}`);
    return new Promise((resolve, reject) => {
      execFile(this.#options.binary ?? 'skopeo', args, { timeout: this.#options.timeoutMs ?? 30_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
        const digest = stdout.trim();
        if (error === null && /^sha256:[0-9a-f]{64}$/.test(digest)) {
          resolve(digest);
          return;
        }
        const why = (stderr.trim().split('\n').at(-1) ?? '').replace(/^time="[^"]*" level=\w+ msg="?/, '').slice(0, 300) || (error?.message ?? 'no digest');
        reject(userError('TRC_RELEASE_INVALID', `image "${reference}" cannot be resolved to a digest: ${why}`, 'check the name and tag, and that the control plane can reach the registry (or give name@sha256:<digest>)'));
      });
    });
  }
}
