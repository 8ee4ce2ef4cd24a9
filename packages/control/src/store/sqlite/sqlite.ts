// The embedded event store: one SQLite file in the data directory (node:sqlite), WAL with synchronous=FULL so
// an acknowledged append survives a crash, and group commit so a burst of appends shares one transaction/fsync.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TrcError } from '@trc/core';
import type { AggregateAppend, Clock, EventListener, EventStore, ReadOptions, StoredEvent, SubscribeOptions } from '../store.ts';
import { closedError, conflictError, storedEvent, unavailableError, type EncodedAppend } from '../append-input.ts';
import { enqueueAppend, rowToStored, type EventRow, type PendingAppend } from '../rows.ts';
import { Subscriptions } from '../subscriptions.ts';

export const SQLITE_FILE_NAME = 'events.sqlite';

export interface SqliteEventStoreOptions {
  /** The control plane's data directory; the log is `<dataDir>/events.sqlite`. Created if missing. */
  readonly dataDir: string;
  readonly clock: Clock;
  /** Where a throwing subscriber's error goes (default: console.error). */
  readonly onListenerError?: (error: unknown) => void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  aggregate_id TEXT NOT NULL,
  aggregate_version INTEGER NOT NULL,
  actor TEXT NOT NULL,
  time TEXT NOT NULL,
  payload TEXT NOT NULL,
  UNIQUE (aggregate_id, aggregate_version)
) STRICT;`;

export class SqliteEventStore implements EventStore {
  readonly #db: DatabaseSync;
  readonly #clock: Clock;
  readonly #subs: Subscriptions;
  readonly #versionOf: StatementSync;
  readonly #insert: StatementSync;
  readonly #head: StatementSync;
  readonly #tx: Record<'begin' | 'commit' | 'savepoint' | 'release' | 'rollbackTo', StatementSync>;
  readonly #statements = new Map<string, StatementSync>();
  #queue: PendingAppend[] = [];
  #scheduled = false;
  #closed = false;
  #commits = 0;

  private constructor(db: DatabaseSync, options: SqliteEventStoreOptions) {
    this.#db = db;
    this.#clock = options.clock;
    this.#versionOf = db.prepare('SELECT MAX(aggregate_version) AS v FROM events WHERE aggregate_id = ?');
    this.#insert = db.prepare('INSERT INTO events (type, aggregate_id, aggregate_version, actor, time, payload) VALUES (?, ?, ?, ?, ?, ?)');
    this.#head = db.prepare('SELECT COALESCE(MAX(seq), 0) AS head FROM events');
    // Prepared once: a burst runs these for every append, and parsing them each time shows up in profiles.
    this.#tx = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      savepoint: db.prepare('SAVEPOINT one'),
      release: db.prepare('RELEASE one'),
      rollbackTo: db.prepare('ROLLBACK TO one'),
    };
    const onError = options.onListenerError ?? ((e: unknown) => console.error('event subscriber failed:', e));
    this.#subs = new Subscriptions(async (afterSeq, limit) => this.#readSync({ afterSeq, limit }), this.#headSync(), onError);
  }

  static async open(options: SqliteEventStoreOptions): Promise<SqliteEventStore> {
    let db: DatabaseSync;
    try {
      mkdirSync(options.dataDir, { recursive: true });
      db = new DatabaseSync(join(options.dataDir, SQLITE_FILE_NAME));
    } catch (error) {
      throw unavailableError(error, 'open');
    }
    try {
      db.exec('PRAGMA journal_mode = WAL');
      // FULL: the WAL is fsynced at every commit, so an acknowledged append survives power loss.
      db.exec('PRAGMA synchronous = FULL');
      db.exec('PRAGMA busy_timeout = 5000');
      db.exec(SCHEMA);
    } catch (error) {
      db.close();
      throw unavailableError(error, 'open');
    }
    return new SqliteEventStore(db, options);
  }

  append(appends: readonly AggregateAppend[]): Promise<StoredEvent[]> {
    return enqueueAppend(this.#queue, this.#closed, appends, () => {
      if (this.#scheduled) return;
      this.#scheduled = true;
      // Everything appended before the event loop turns joins this commit: one fsync for the burst.
      setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const time = this.#clock().toISOString();
    const outcomes: ({ ok: true; events: StoredEvent[] } | { ok: false; error: unknown })[] = [];
    try {
      this.#tx.begin.run();
      for (const p of batch) {
        // A savepoint per append: a conflicting one rolls back alone and the rest of the batch commits.
        this.#tx.savepoint.run();
        try {
          outcomes.push({ ok: true, events: this.#applyOne(p.appends, time) });
          this.#tx.release.run();
        } catch (error) {
          this.#tx.rollbackTo.run();
          this.#tx.release.run();
          outcomes.push({ ok: false, error: error instanceof TrcError ? error : unavailableError(error) });
        }
      }
      this.#tx.commit.run();
      this.#commits++;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      const failure = unavailableError(error);
      for (const p of batch) p.reject(failure);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) {
        p.resolve(o.events);
        if (o.events.length > 0) this.#subs.published(o.events);
      } else {
        p.reject(o.error);
      }
    });
  }

  #applyOne(appends: readonly EncodedAppend[], time: string): StoredEvent[] {
    for (const a of appends) {
      const actual = (this.#versionOf.get(a.aggregateId) as { v: number | null }).v ?? 0;
      if (actual !== a.expectedVersion) throw conflictError(a.aggregateId, a.expectedVersion, actual);
    }
    const stored: StoredEvent[] = [];
    for (const a of appends) {
      a.events.forEach((e, i) => {
        const version = a.expectedVersion + i + 1;
        const r = this.#insert.run(e.type, a.aggregateId, version, e.actor, time, e.payload);
        stored.push(storedEvent(Number(r.lastInsertRowid), a.aggregateId, version, time, e));
      });
    }
    return stored;
  }

  async read(options: ReadOptions = {}): Promise<StoredEvent[]> {
    if (this.#closed) throw closedError();
    return this.#readSync(options);
  }

  #readSync(options: ReadOptions): StoredEvent[] {
    const where: string[] = ['seq > ?'];
    const params: (string | number)[] = [options.afterSeq ?? 0];
    if (options.aggregateId !== undefined) {
      where.push('aggregate_id = ?');
      params.push(options.aggregateId);
    }
    if (options.types !== undefined) {
      if (options.types.length === 0) return [];
      where.push(`type IN (${options.types.map(() => '?').join(', ')})`);
      params.push(...options.types);
    }
    params.push(options.limit ?? -1);
    const rows = this.#statement(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).all(...params) as unknown as EventRow[];
    return rows.map(rowToStored);
  }

  /** Prepared once per query shape: every command's catch-up read runs one, and preparing it each time cost a quarter of an API write. */
  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      // Shapes differ only in how many types are filtered on; the bound keeps odd callers from growing it forever.
      if (this.#statements.size >= 64) this.#statements.clear();
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async aggregateVersion(aggregateId: string): Promise<number> {
    if (this.#closed) throw closedError();
    return (this.#versionOf.get(aggregateId) as { v: number | null }).v ?? 0;
  }

  async headSeq(): Promise<number> {
    if (this.#closed) throw closedError();
    return this.#headSync();
  }

  #headSync(): number {
    return (this.#head.get() as { head: number }).head;
  }

  subscribe(listener: EventListener, options: SubscribeOptions = {}): () => void {
    if (this.#closed) throw closedError();
    return this.#subs.add(listener, options.afterSeq);
  }

  /** What tests and operators check: commits so far (one fsync each) and the durability settings in force. */
  diagnostics(): { commits: number; journalMode: string; synchronous: number } {
    const journal = this.#db.prepare('PRAGMA journal_mode').get() as { journal_mode: string };
    const sync = this.#db.prepare('PRAGMA synchronous').get() as { synchronous: number };
    return { commits: this.#commits, journalMode: journal.journal_mode, synchronous: sync.synchronous };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Appends already accepted are committed, not dropped.
    this.#flush();
    this.#closed = true;
    this.#subs.clear();
    this.#db.close();
  }
}
