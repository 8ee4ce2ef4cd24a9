// `platform-control`: the control plane program. Opens the event log (embedded SQLite in the data
// directory), the master key, and serves the /v1 API; prints the operator token once, at first start.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import process from 'node:process';
import { fatalReport, isTrcError, userError } from '@trc/core';
import { SqliteEventStore } from './store/sqlite/sqlite.ts';
import { PostgresEventStore } from './store/postgres/postgres.ts';
import type { EventStore } from './store/store.ts';
import { Control } from './commands/control.ts';
import { bootstrap } from './commands/orgs.ts';
import { reconcileOnce } from './commands/reconcile.ts';
import { AesGcmSealer } from './secrets/sealer.ts';
import { loadOrCreateMasterKey } from './secrets/master-key.ts';
import { buildApi } from './api/server.ts';
import { SkopeoResolver } from './images/skopeo/skopeo.ts';

const USAGE = `usage: platform-control [--data-dir DIR] [--database postgres://...] [--listen HOST:PORT] [--master-key FILE] [--node-timeout SECONDS]

  --data-dir DIR       where the event log lives (default: $TRC_DATA_DIR or ./.data/control)
  --database URL       keep the event log in PostgreSQL (default: $TRC_DATABASE_URL, else embedded SQLite in DIR)
  --listen HOST:PORT   where the API listens (default: 127.0.0.1:7700)
  --master-key FILE    the platform master key, created at first start (default: DIR/master.key)
  --node-timeout SEC   a node silent this long is marked down (default: 30)
  --insecure-registry HOST  a registry reached over plain HTTP (repeatable; loopback always is)
  --max-unavailable N  healthy instances of one process type a rolling deploy or restart may take below its count (default: 0)
  --max-surge N        instances of one process type a rolling deploy or restart may start above its count (default: 1)
  --drain-grace SEC    between an instance leaving the edges' tables and the request to stop it (default: 5)
  --health-deadline SEC  how long a new instance of a rollout may take to become healthy (default: 30 x its health-check interval)`;

function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port > 65535) throw userError('TRC_INVALID_INPUT', `--listen ${text} is not HOST:PORT`, 'e.g. --listen 127.0.0.1:7700');
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, database: { type: 'string' }, listen: { type: 'string' }, 'master-key': { type: 'string' }, 'node-timeout': { type: 'string' }, 'max-unavailable': { type: 'string' }, 'max-surge': { type: 'string' }, 'drain-grace': { type: 'string' }, 'health-deadline': { type: 'string' }, 'insecure-registry': { type: 'string', multiple: true }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const dataDir = values['data-dir'] ?? process.env.TRC_DATA_DIR ?? join(process.cwd(), '.data', 'control');
  const listen = parseListen(values.listen ?? '127.0.0.1:7700');
  const nodeTimeoutMs = Number(values['node-timeout'] ?? '30') * 1000;
  if (!(nodeTimeoutMs > 0)) throw userError('TRC_INVALID_INPUT', '--node-timeout must be a positive number of seconds', 'e.g. --node-timeout 30');

  const maxUnavailable = Number(values['max-unavailable'] ?? '0');
  const maxSurge = Number(values['max-surge'] ?? '1');
  if (!Number.isInteger(maxUnavailable) || maxUnavailable < 0 || !Number.isInteger(maxSurge) || maxSurge < 0 || maxUnavailable + maxSurge < 1) {
    throw userError('TRC_INVALID_INPUT', '--max-unavailable and --max-surge must be whole numbers, at least one of them above 0', 'e.g. --max-surge 1 --max-unavailable 0 (the defaults: never below capacity)');
  }
  const drainGraceMs = Number(values['drain-grace'] ?? '5') * 1000;
  if (!(drainGraceMs >= 0)) throw userError('TRC_INVALID_INPUT', '--drain-grace must be a number of seconds (0 or more)', 'e.g. --drain-grace 5');
  const healthDeadlineMs = values['health-deadline'] === undefined ? undefined : Number(values['health-deadline']) * 1000;
  if (healthDeadlineMs !== undefined && !(healthDeadlineMs > 0)) throw userError('TRC_INVALID_INPUT', '--health-deadline must be a positive number of seconds', 'e.g. --health-deadline 300');

  const database = values.database ?? process.env.TRC_DATABASE_URL;
  if (database !== undefined && !/^postgres(ql)?:\/\//.test(database)) throw userError('TRC_INVALID_INPUT', '--database must be a postgres:// URL', 'leave it out to use the embedded SQLite log');

  const random = (n: number): Uint8Array => randomBytes(n);
  const masterKeyPath = values['master-key'] ?? join(dataDir, 'master.key');
  const masterKey = loadOrCreateMasterKey(masterKeyPath, random);
  if (masterKey.created) console.error(`created the platform master key at ${masterKeyPath}: back it up; without it no secret can be read`);
  const store: EventStore = database === undefined ? await SqliteEventStore.open({ dataDir, clock: () => new Date() }) : await PostgresEventStore.open({ url: database, clock: () => new Date() });
  const resolver = new SkopeoResolver({ insecureHosts: values['insecure-registry'] ?? [] });
  // Scale-downs drain with the grace the reconciler stops drained instances after.
  const control = new Control({ store, random, sealer: new AesGcmSealer(masterKey.key, random), resolver, drainGraceMs });

  const operatorToken = await bootstrap(control);
  if (operatorToken !== undefined) {
    // Shown once: only its hash is kept.
    console.log(`operator token (shown once, store it now): ${operatorToken}`);
  }

  const heartbeats = new Map<string, number>();
  const app = await buildApi({ control, clock: () => new Date(), heartbeats });
  const address = await app.listen({ host: listen.host, port: listen.port });
  console.error(`platform-control listening on ${address} (log: ${database === undefined ? dataDir : 'postgresql'})`);

  // The reconciler: liveness, rescheduling off down nodes, rolling deploys and restarts, one pass at a time.
  // A pass losing a race with a user command (TRC_CONFLICT) simply runs again on the next tick.
  const started = new Date();
  let busy = false;
  const reconcile = async (): Promise<void> => {
    await reconcileOnce(control, new Date(), heartbeats, { startedAt: started, nodeTimeoutMs, maxUnavailable, maxSurge, drainGraceMs, ...(healthDeadlineMs === undefined ? {} : { healthDeadlineMs }) });
  };
  const monitor = setInterval(() => {
    if (busy) return;
    busy = true;
    reconcile()
      .catch((error: unknown) => {
        if (!isTrcError(error) || error.code !== 'TRC_CONFLICT') console.error('reconcile pass failed:', error);
      })
      .finally(() => (busy = false));
  }, Math.min(nodeTimeoutMs / 3, 1000));

  const stop = async (): Promise<void> => {
    clearInterval(monitor);
    await app.close();
    await store.close();
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const { exitCode, report } = fatalReport(error, USAGE);
  console.error(report);
  process.exit(exitCode);
});
