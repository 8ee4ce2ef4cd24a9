// Registry authentication: WWW-Authenticate challenges, Basic credentials, and Bearer tokens from the
// distribution token service, cached per registry and scope until shortly before they expire.

export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** Parses `Bearer realm="...",service="...",scope="..."` (quoted or token values, commas inside quotes). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  const re = /\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  const rest = m[2] ?? '';
  let match: RegExpExecArray | null;
  while (re.lastIndex < rest.length && (match = re.exec(rest)) !== null) {
    params[match[1]!.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

export function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

interface CachedToken {
  readonly authorization: string;
  readonly expiresAtMs: number;
}

/** Tokens per `registry scope`; `now` is a parameter so expiry is testable without waiting. */
export class TokenCache {
  readonly #tokens = new Map<string, CachedToken>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get(registry: string, scope: string): string | undefined {
    const t = this.#tokens.get(`${registry} ${scope}`);
    if (t === undefined) return undefined;
    if (t.expiresAtMs <= this.#now()) {
      this.#tokens.delete(`${registry} ${scope}`);
      return undefined;
    }
    return t.authorization;
  }

  /** Keeps the token until 30 s before it expires (token spec: 60 s when the service gives no expires_in). */
  set(registry: string, scope: string, authorization: string, expiresInS: number): void {
    const lifetime = Math.max(0, expiresInS - 30) * 1000;
    this.#tokens.set(`${registry} ${scope}`, { authorization, expiresAtMs: this.#now() + lifetime });
  }

  delete(registry: string, scope: string): void {
    this.#tokens.delete(`${registry} ${scope}`);
  }
}
