// Starts Debian's docker-registry (distribution 2.8) for a test: loopback only, a free port, storage in a
// temp dir, stopped for sure. Options: Bearer token auth through a small token server on loopback (an
// openssl self-signed certificate, JWTs signed with node:crypto), or Basic auth through a loopback proxy.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface TestUser {
  readonly username: string;
  readonly password: string;
}

export interface RegistryOptions {
  /** Bearer auth per the distribution token spec; `users` may pull and push; anonymous may pull when `anonymousPull`. */
  readonly token?: { readonly users: readonly TestUser[]; readonly anonymousPull?: boolean };
  /** Basic auth in front of the registry (a loopback proxy that checks the credentials). */
  readonly basic?: TestUser;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`: what image references name, and where clients connect. */
  readonly host: string;
  /** The registry's storage root (distribution's filesystem driver layout). */
  readonly storage: string;
  /** Requests the token server answered, as `scope` strings (`''` when none was asked for). */
  readonly tokenRequests: string[];
  /** An Authorization header value allowing push and pull of `repository` (for the image builder). */
  authorization(repository: string): string | undefined;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const SERVICE = 'trc-test-registry';
const ISSUER = 'trc-test-token-issuer';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve((server.address() as AddressInfo).port));
  });
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A JWT the registry accepts: ES256, the signing certificate in x5c (it is also the root of trust). */
function signToken(key: KeyObject, certDer: Buffer, subject: string, access: { type: string; name: string; actions: string[] }[]): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', x5c: [certDer.toString('base64')] }));
  const claims = b64url(JSON.stringify({ iss: ISSUER, sub: subject, aud: SERVICE, iat: now - 5, nbf: now - 5, exp: now + 300, jti: randomBytes(8).toString('hex'), access }));
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${header}.${claims}.${b64url(signature)}`;
}

function basicUser(req: IncomingMessage): TestUser | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
  if (m === null) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'trc-registry-'));
  const storage = join(dir, 'storage');
  const servers: Server[] = [];
  const tokenRequests: string[] = [];
  let child: ChildProcess | undefined;
  let key: KeyObject | undefined;
  let certDer: Buffer | undefined;
  const stop = async (): Promise<void> => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      if (await Promise.race([exited.then(() => false), sleep(3000).then(() => true)])) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await Promise.all(servers.splice(0).map(closeServer));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    let auth = '';
    if (options.token !== undefined) {
      const { users, anonymousPull = false } = options.token;
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'),
        '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=trc-test-token'], { stdio: 'ignore', timeout: 10_000 });
      key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
      certDer = new X509Certificate(readFileSync(join(dir, 'cert.pem'))).raw;
      const tokenServer = createServer((req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const scopes = url.searchParams.getAll('scope');
        tokenRequests.push(scopes.join(' '));
        const presented = basicUser(req);
        const user = presented === undefined ? undefined : users.find((u) => u.username === presented.username && u.password === presented.password);
        if (presented !== undefined && user === undefined || url.searchParams.get('service') !== SERVICE) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
          return;
        }
        const access = scopes.flatMap((s) => {
          const [type, name, actions] = s.split(':');
          if (type !== 'repository' || name === undefined || actions === undefined) return [];
          const granted = actions.split(',').filter((a) => user !== undefined || (anonymousPull && a === 'pull'));
          return granted.length === 0 ? [] : [{ type, name, actions: granted }];
        });
        const token = signToken(key!, certDer!, user?.username ?? '', access);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
      });
      servers.push(tokenServer);
      const tokenPort = await listen(tokenServer);
      auth = `auth:\n  token:\n    realm: http://127.0.0.1:${tokenPort}/token\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n    rootcertbundle: ${join(dir, 'cert.pem')}\n`;
    }
    const config = join(dir, 'config.yml');
    writeFileSync(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\n`
      + `  cache:\n    blobdescriptor: inmemory\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(16).toString('hex')}\n${auth}`);
    child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
    let output = '';
    const collect = (c: Buffer): void => {
      if (output.length < 16384) output += c.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let spawnError: Error | undefined;
    child.once('error', (e) => {
      spawnError = e;
    });
    const deadline = performance.now() + 15_000;
    while (!(await canConnect(port))) {
      if (spawnError !== undefined) throw new Error(`docker-registry did not start: ${spawnError.message}`);
      if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}):\n${output}`);
      if (performance.now() > deadline) throw new Error(`docker-registry did not listen on 127.0.0.1:${port} in time:\n${output}`);
      await sleep(25);
    }
    let host = `127.0.0.1:${port}`;
    if (options.basic !== undefined) host = `127.0.0.1:${await startBasicProxy(options.basic, port, servers)}`;
    const basic = options.basic;
    return {
      host,
      storage,
      tokenRequests,
      authorization: (repository) => {
        if (key !== undefined && certDer !== undefined) return `Bearer ${signToken(key, certDer, 'builder', [{ type: 'repository', name: repository, actions: ['pull', 'push'] }])}`;
        if (basic !== undefined) return `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`;
        return undefined;
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A reverse proxy on loopback that answers 401 with a Basic challenge unless the request carries `user`'s credentials. */
async function startBasicProxy(user: TestUser, upstreamPort: number, servers: Server[]): Promise<number> {
  const proxy = createServer((req, res) => {
    const presented = basicUser(req);
    if (presented?.username !== user.username || presented.password !== user.password) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="trc-test-registry"', 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const upstream = httpRequest({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  servers.push(proxy);
  return listen(proxy);
}
