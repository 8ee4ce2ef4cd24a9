// A client of the OCI distribution API over fetch: ping, manifests (verified against their digest) and
// blob streams, with Basic and Bearer token auth, bounded timeouts and bounded retries.
import { setTimeout as sleep } from 'node:timers/promises';
import { TrcError, userError } from '@trc/core';
import { TokenCache, basicAuthorization, parseChallenge, type RegistryCredentials } from './auth.ts';
import { DigestVerifier, sha256Digest } from './digest.ts';
import { MANIFEST_ACCEPT } from './manifest.ts';
import { apiHost } from './reference.ts';

export interface RegistryClientOptions {
  /** The fetch to use; tests pass one that records requests. */
  readonly fetch?: typeof fetch;
  /** Credentials per registry host, used for Basic auth and at the token service. */
  readonly credentials?: (registry: string) => RegistryCredentials | undefined;
  /** Registries spoken to over plain HTTP; by default only loopback ones (`localhost`, `127.0.0.1`, `[::1]`). */
  readonly plainHttp?: (registry: string) => boolean;
  /** Bound on waiting for response headers and on the silence between two body chunks. */
  readonly timeoutMs?: number;
  /** Extra attempts after a network error, a timeout, a 5xx or a 429. */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly maxManifestBytes?: number;
  readonly now?: () => number;
}

/** Where a repository lives: the registry host and the repository path inside it. */
export interface Repository {
  readonly registry: string;
  readonly repository: string;
}

export interface FetchedManifest {
  readonly digest: string;
  readonly bytes: Uint8Array;
  readonly contentType: string | undefined;
}

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

function isLoopback(registry: string): boolean {
  return /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(registry);
}

function unavailable(registry: string, why: string, cause?: unknown): TrcError {
  return new TrcError('TRC_IMAGE_REGISTRY_UNAVAILABLE', `registry ${registry}: ${why}`, {
    hint: 'Check that the registry is up and reachable from the node, then pull again.', cause, details: { registry },
  });
}

function unauthorized(registry: string, why: string): TrcError {
  return userError('TRC_IMAGE_REGISTRY_UNAUTHORIZED', `registry ${registry}: ${why}`,
    'Check the registry credentials given to the node agent and that they may pull this repository.', { details: { registry } });
}

/** Aborts a request when nothing happened for `ms`; `touch` restarts the clock on each body chunk. */
class IdleTimer {
  readonly controller = new AbortController();
  readonly #ms: number;
  #timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.#ms = ms;
    this.#timer = setTimeout(() => this.controller.abort(new Error(`no response for ${ms} ms`)), ms);
  }

  touch(): void {
    this.#timer.refresh();
  }

  clear(): void {
    clearTimeout(this.#timer);
  }

  get ms(): number {
    return this.#ms;
  }
}

interface Sent {
  readonly response: Response;
  readonly timer: IdleTimer;
}

export class RegistryClient {
  readonly #fetch: typeof fetch;
  readonly #credentials: (registry: string) => RegistryCredentials | undefined;
  readonly #plainHttp: (registry: string) => boolean;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #maxManifestBytes: number;
  readonly #tokens: TokenCache;
  readonly #basic = new Set<string>();

  constructor(options: RegistryClientOptions = {}) {
    this.#fetch = options.fetch ?? fetch;
    this.#credentials = options.credentials ?? (() => undefined);
    this.#plainHttp = options.plainHttp ?? isLoopback;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retries = options.retries ?? 2;
    this.#retryDelayMs = options.retryDelayMs ?? 250;
    this.#maxManifestBytes = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
    this.#tokens = new TokenCache(options.now);
  }

  /** `GET /v2/`: resolves when the registry speaks the distribution API and accepts our credentials. */
  async ping(registry: string): Promise<void> {
    const { response, timer } = await this.#send(registry, '/v2/', {}, '');
    timer.clear();
    await response.body?.cancel();
    if (!response.ok) throw this.#statusError(registry, response, 'the API root /v2/');
  }

  /** Fetches a manifest by tag or digest and verifies it: against the digest asked for, else against Docker-Content-Digest. */
  async getManifest(repo: Repository, reference: string): Promise<FetchedManifest> {
    const what = `manifest ${repo.registry}/${repo.repository}:${reference}`;
    const { response, timer } = await this.#send(repo.registry, `/v2/${repo.repository}/manifests/${reference}`, { accept: MANIFEST_ACCEPT }, pullScope(repo));
    try {
      if (!response.ok) throw this.#statusError(repo.registry, response, what);
      const length = Number(response.headers.get('content-length') ?? NaN);
      if (length > this.#maxManifestBytes) throw tooLarge(what, length, this.#maxManifestBytes);
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of this.#body(repo.registry, response, timer)) {
        size += chunk.byteLength;
        if (size > this.#maxManifestBytes) throw tooLarge(what, size, this.#maxManifestBytes);
        chunks.push(chunk);
      }
      const bytes = Buffer.concat(chunks);
      const expected = reference.startsWith('sha256:') ? reference : response.headers.get('docker-content-digest') ?? undefined;
      let digest = sha256Digest(bytes);
      if (expected !== undefined && expected.startsWith('sha256:')) {
        const verifier = new DigestVerifier(expected, undefined, 'manifest');
        verifier.update(bytes);
        verifier.finish();
        digest = expected;
      }
      return { digest, bytes, contentType: response.headers.get('content-type') ?? undefined };
    } finally {
      timer.clear();
    }
  }

  /** Streams a blob; the caller verifies it (the blob cache does, before anything is kept). */
  async *blob(repo: Repository, digest: string): AsyncGenerator<Uint8Array> {
    const { response, timer } = await this.#send(repo.registry, `/v2/${repo.repository}/blobs/${digest}`, {}, pullScope(repo));
    try {
      if (!response.ok) throw this.#statusError(repo.registry, response, `blob ${digest} of ${repo.repository}`);
      yield* this.#body(repo.registry, response, timer);
    } finally {
      timer.clear();
      if (!response.bodyUsed) await response.body?.cancel().catch(() => undefined);
    }
  }

  async *#body(registry: string, response: Response, timer: IdleTimer): AsyncGenerator<Uint8Array> {
    if (response.body === null) return;
    try {
      for await (const chunk of response.body) {
        timer.touch();
        yield chunk;
      }
    } catch (e) {
      if (e instanceof TrcError) throw e;
      throw unavailable(registry, timer.controller.signal.aborted ? `the response stalled for ${timer.ms} ms` : `the response broke off (${(e as Error).message})`, e);
    }
  }

  #statusError(registry: string, response: Response, what: string): TrcError {
    if (response.status === 404) {
      return userError('TRC_IMAGE_NOT_FOUND', `${what} does not exist (HTTP 404)`, 'Check the name and tag, and that the image was pushed to this registry.', { details: { registry } });
    }
    if (response.status === 401 || response.status === 403) return unauthorized(registry, `${what} was refused (HTTP ${response.status})`);
    return unavailable(registry, `${what} answered HTTP ${response.status}`);
  }

  /** Sends with auth and retries; a 401 is answered once by authenticating as the challenge asks. */
  async #send(registry: string, path: string, headers: Record<string, string>, scope: string): Promise<Sent> {
    const url = `${this.#plainHttp(registry) ? 'http' : 'https'}://${apiHost(registry)}${path}`;
    for (let attempt = 0; ; attempt++) {
      const timer = new IdleTimer(this.#timeoutMs);
      try {
        let response = await this.#fetch(url, { headers: { ...headers, ...this.#authorization(registry, scope) }, signal: timer.controller.signal });
        if (response.status === 401) {
          const challenge = response.headers.get('www-authenticate');
          await response.body?.cancel();
          const authorization = await this.#authenticate(registry, scope, challenge, timer);
          response = await this.#fetch(url, { headers: { ...headers, authorization }, signal: timer.controller.signal });
          if (response.status === 401) {
            this.#tokens.delete(registry, scope);
            await response.body?.cancel();
            throw unauthorized(registry, `the credentials were not accepted for ${path}`);
          }
        }
        if ((response.status >= 500 || response.status === 429) && attempt < this.#retries) {
          timer.clear();
          await response.body?.cancel();
          await sleep(this.#retryDelayMs * 2 ** attempt);
          continue;
        }
        return { response, timer };
      } catch (e) {
        timer.clear();
        if (e instanceof TrcError) throw e;
        if (attempt >= this.#retries) {
          throw unavailable(registry, timer.controller.signal.aborted ? `no answer within ${this.#timeoutMs} ms` : `cannot connect (${(e as Error).message})`, e);
        }
        await sleep(this.#retryDelayMs * 2 ** attempt);
      }
    }
  }

  #authorization(registry: string, scope: string): Record<string, string> {
    const token = this.#tokens.get(registry, scope);
    if (token !== undefined) return { authorization: token };
    const credentials = this.#credentials(registry);
    if (this.#basic.has(registry) && credentials !== undefined) return { authorization: basicAuthorization(credentials) };
    return {};
  }

  async #authenticate(registry: string, scope: string, header: string | null, timer: IdleTimer): Promise<string> {
    const challenge = header === null ? undefined : parseChallenge(header);
    const credentials = this.#credentials(registry);
    if (challenge?.scheme === 'basic') {
      if (credentials === undefined) throw unauthorized(registry, 'it asks for a username and password, and none are configured');
      this.#basic.add(registry);
      return basicAuthorization(credentials);
    }
    const realm = challenge?.params.realm;
    if (challenge?.scheme !== 'bearer' || realm === undefined) throw unauthorized(registry, `it answered 401 without a usable challenge (${header ?? 'none'})`);
    const tokenUrl = new URL(realm);
    if (challenge.params.service !== undefined) tokenUrl.searchParams.set('service', challenge.params.service);
    const tokenScope = challenge.params.scope ?? scope;
    if (tokenScope !== '') tokenUrl.searchParams.set('scope', tokenScope);
    let response: Response;
    try {
      response = await this.#fetch(tokenUrl, { headers: credentials === undefined ? {} : { authorization: basicAuthorization(credentials) }, signal: timer.controller.signal });
    } catch (e) {
      throw unavailable(registry, `its token service ${tokenUrl.origin} cannot be reached (${(e as Error).message})`, e);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw unauthorized(registry, `its token service refused ${credentials === undefined ? 'anonymous access' : `the credentials of "${credentials.username}"`} (HTTP ${response.status})`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw unavailable(registry, `its token service answered HTTP ${response.status}`);
    }
    const text = await response.text();
    if (text.length > 64 * 1024) throw unavailable(registry, 'its token service answered with more than 64 KiB');
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw unavailable(registry, 'its token service did not answer with JSON');
    }
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    if (typeof token !== 'string' || token.length === 0) throw unavailable(registry, 'its token service answered without a token');
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    const authorization = `Bearer ${token}`;
    this.#tokens.set(registry, scope, authorization, expiresIn);
    return authorization;
  }
}

function pullScope(repo: Repository): string {
  return `repository:${repo.repository}:pull`;
}

function tooLarge(what: string, size: number, max: number): TrcError {
  return userError('TRC_IMAGE_TOO_LARGE', `${what} is larger than ${max} bytes (${size} at least)`, 'Build a smaller image config (fewer labels or history entries).');
}
