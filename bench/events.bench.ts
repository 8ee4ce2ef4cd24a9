// Durable event appends per second on both event stores, 1 and 32 concurrent writers, against anchors measured
// in this run (pgbench single-row INSERTs on the same PostgreSQL server, same client counts) and quoted ones
// (etcd's published write benchmark). Every append here is acknowledged only once committed and synced.
import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import pg from 'pg';
import type { EventStore } from '../packages/control/src/store/store.ts';
import { SqliteEventStore } from '../packages/control/src/store/sqlite/sqlite.ts';
import { PostgresEventStore } from '../packages/control/src/store/postgres/postgres.ts';
import { POSTGRES_BIN_DIR, startPostgres } from '../packages/control/src/test-support/postgres.ts';

const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 4);
const WRITERS = [1, 32];
const TARGET_SQLITE_32 = 20_000;
// etcd v3 docs, "Benchmarking etcd v3" (op-guide/performance): sequential writes, 1 client: 583/s; 1,000 clients: 44,341/s.
const ETCD = { 1: 583, 32: 44_341 } as Record<number, number>;

/** Appends one small event per call per writer for `SECONDS`; returns durable events per second. */
async function measure(store: EventStore, writers: number, prefix: string): Promise<number> {
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  let events = 0;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      let version = 0;
      while (performance.now() < end) {
        const stored = await store.append([{ aggregateId: `${prefix}:${w}`, expectedVersion: version, events: [{ type: 'BenchAppended', actor: 'bench', payload: { w, version, note: 'a small event payload of typical size' } }] }]);
        version = stored[0]!.aggregateVersion;
        events++;
      }
    }),
  );
  return events / ((performance.now() - start) / 1000);
}

function pgbench(port: number, database: string, clients: number): number | undefined {
  const script = join(mkdtempSync(join(tmpdir(), 'trc-pgbench-')), 'insert.sql');
  writeFileSync(script, "INSERT INTO anchor (type, payload) VALUES ('BenchAppended', '{\"w\":1,\"note\":\"a small event payload of typical size\"}');\n");
  const r = spawnSync(join(POSTGRES_BIN_DIR, 'pgbench'), ['-n', '-f', script, '-c', String(clients), '-j', String(Math.min(clients, 4)), '-T', String(SECONDS), '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', database], { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 });
  rmSync(join(script, '..'), { recursive: true, force: true });
  const tps = /tps = ([\d.]+)/.exec(r.stdout)?.[1];
  if (tps === undefined) console.log(`pgbench failed: ${r.stderr || r.error?.message}`);
  return tps === undefined ? undefined : Number(tps);
}

/** Appends 256 bytes and fsyncs, for one second: the disk's durable-write rate, the floor under every store. */
function fsyncsPerSecond(dir: string): number {
  const fd = openSync(join(dir, 'fsync-probe'), 'w');
  const chunk = Buffer.alloc(256, 1);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 1000) {
    writeSync(fd, chunk);
    fsyncSync(fd);
    n++;
  }
  closeSync(fd);
  return n / ((performance.now() - start) / 1000);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number | undefined): string => (b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);

const server = await startPostgres();
const dataDir = mkdtempSync(join(tmpdir(), 'trc-bench-sqlite-'));
try {
  const url = await server.createDatabase('bench');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query('CREATE TABLE anchor (id bigserial PRIMARY KEY, type text NOT NULL, payload text NOT NULL)');
  // Flushes PostgreSQL's dirty pages now, so its checkpointer does not compete with the next measurement.
  const quiesce = async (): Promise<void> => void (await admin.query('CHECKPOINT'));
  const database = url.slice(url.lastIndexOf('/') + 1);
  const anchors: Record<number, number | undefined> = {};
  const results: { store: string; writers: number; perSecond: number }[] = [];
  const sqlite = await SqliteEventStore.open({ dataDir, clock: () => new Date() });
  const postgres = await PostgresEventStore.open({ url, clock: () => new Date(), schema: 'bench' });
  const fsyncs: number[] = [];
  // Anchor and stores back to back per client count, so a shared disk's drift hits them alike.
  for (const w of WRITERS) {
    fsyncs.push(fsyncsPerSecond(dataDir));
    anchors[w] = pgbench(server.port, database, w);
    await quiesce();
    results.push({ store: 'SQLite (WAL, synchronous=FULL)', writers: w, perSecond: await measure(sqlite, w, `s${w}`) });
    await quiesce();
    results.push({ store: 'PostgreSQL (fsync on, synchronous_commit on)', writers: w, perSecond: await measure(postgres, w, `p${w}`) });
  }
  await sqlite.close();
  await postgres.close();
  await admin.end();

  console.log(`durable events appended per second, ${SECONDS}s per run`);
  for (const c of WRITERS) console.log(`anchor, measured: pgbench single-row INSERT, ${c} client(s), same server: ${anchors[c] === undefined ? 'n/a' : fmt(anchors[c])}/s`);
  const fsyncRate = fsyncs.reduce((a, b) => a + b, 0) / fsyncs.length;
  console.log(`anchor, measured: fsync()s per second on the same disk: ${fmt(fsyncRate)}/s, so ${WRITERS.map((w) => `${w} closed-loop writer(s) at one fsync per group commit can reach at most ${fmt(w * fsyncRate)}/s`).join('; ')}`);
  console.log(`anchor, quoted: etcd v3 writes, 1 client 583/s, 1,000 clients 44,341/s`);
  console.log('');
  console.log('| store | writers | events/s | vs pgbench (same clients) | vs fsync ceiling | vs etcd (quoted) |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.store} | ${r.writers} | ${fmt(r.perSecond)} | ${ratio(r.perSecond, anchors[r.writers])} | ${ratio(r.perSecond, r.writers * fsyncRate)} | ${ratio(r.perSecond, ETCD[r.writers])} |`);
  const s32 = results.find((r) => r.store.startsWith('SQLite') && r.writers === 32)!;
  console.log(`\ntarget: SQLite with 32 writers >= ${fmt(TARGET_SQLITE_32)}/s: ${fmt(s32.perSecond)}/s (${ratio(s32.perSecond, TARGET_SQLITE_32)}) ${s32.perSecond >= TARGET_SQLITE_32 ? 'MET' : 'NOT MET'}`);
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
