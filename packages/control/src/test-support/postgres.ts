// Starts a real PostgreSQL 15 server for a test file: initdb into a temp dir, run as the `postgres` OS user on
// 127.0.0.1 (and a unix socket in the temp dir), a database per caller, fast shutdown then kill at the end.
import { after } from 'node:test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import pg from 'pg';

export const POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** Directory holding the server's unix socket. */
  readonly socketDir: string;
  readonly pid: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` */
  url(database: string): string;
  /** Creates a fresh database (unique name) and returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly binDir?: string;
  /** Extra `-c name=value` server settings. */
  readonly settings?: Readonly<Record<string, string>>;
}

function missing(what: string): Error {
  return new Error(`PostgreSQL 15 is not installed (${what}). Run 'bash scripts/system-deps.sh' as root (make test does) to install the Debian package 'postgresql'.`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function userIds(name: string): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw missing(`no '${name}' OS user`);
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a PostgreSQL binary as the `postgres` user: PostgreSQL refuses to run as root. */
function asPostgres(binDir: string, program: string, args: readonly string[]): string[] {
  return ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', join(binDir, program), ...args];
}

export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  const binDir = options.binDir ?? POSTGRES_BIN_DIR;
  if (!existsSync(join(binDir, 'initdb')) || !existsSync(join(binDir, 'postgres'))) throw missing(`no initdb/postgres under ${binDir}`);
  const ids = userIds('postgres');
  const root = mkdtempSync(join(tmpdir(), 'trc-pg-'));
  chownSync(root, ids.uid, ids.gid);
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  const init = spawnSync('setpriv', asPostgres(binDir, 'initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']), { encoding: 'utf8', timeout: 60_000 });
  if (init.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  }
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const settings = { max_connections: '200', ...options.settings };
    const args = ['-D', dataDir, '-h', '127.0.0.1', '-p', String(port), '-k', root, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const child = spawn('setpriv', asPostgres(binDir, 'postgres', args), { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-8000);
    });
    // If the test process dies without running `after`, the server must not outlive it.
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    const server = makeServer(child, port, root, () => process.off('exit', killOnExit));
    try {
      await waitReady(server, child);
      return server;
    } catch (error) {
      await server.stop();
      if (attempt >= 3 || !/could not bind|Address already in use/.test(log)) {
        throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log || safeRead(logFile)}`, { cause: error });
      }
    }
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function waitReady(server: PostgresServer, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited (${child.exitCode ?? child.signalCode})`);
    const client = new pg.Client({ connectionString: server.url('postgres') });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (performance.now() > deadline) throw new Error(`not ready within ${READY_TIMEOUT_MS} ms`, { cause: error });
    } finally {
      await client.end().catch(() => {});
    }
    await sleep(100);
  }
}

function makeServer(child: ChildProcess, port: number, root: string, forget: () => void): PostgresServer {
  let databases = 0;
  let stopped: Promise<void> | undefined;
  const url = (database: string): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    host: '127.0.0.1',
    port,
    socketDir: root,
    pid: child.pid ?? -1,
    url,
    async createDatabase(prefix = 'test') {
      const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${++databases}`;
      const admin = new pg.Client({ connectionString: url('postgres') });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGINT'); // fast shutdown: aborts open transactions, then exits cleanly
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timer);
        }
        forget();
        rmSync(root, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** What a test file holds: the server (started on first use) and fresh databases on it. */
export interface TestPostgres {
  server(): Promise<PostgresServer>;
  /** A fresh database on the file's server; returns its URL. */
  database(prefix?: string): Promise<string>;
}

/**
 * For a test file: one server, started on first use and stopped after the file's tests, pass or fail.
 * Lazy rather than a `before` hook so it works from any test, suite or hook without ordering concerns.
 */
export function usePostgres(options: StartOptions = {}): TestPostgres {
  let starting: Promise<PostgresServer> | undefined;
  after(async () => {
    if (starting !== undefined) await (await starting.catch(() => undefined))?.stop();
  });
  const server = (): Promise<PostgresServer> => (starting ??= startPostgres(options));
  return {
    server,
    database: async (prefix) => (await server()).createDatabase(prefix),
  };
}
