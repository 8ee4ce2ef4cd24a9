// The shared event store: PostgreSQL, so several control planes use one log. Appends are serialised by a
// transaction-level advisory lock and numbered under it, so seq order is commit order and a reader following
// by seq never skips an event; a burst shares one transaction (group commit). LISTEN/NOTIFY, backed by a
// bounded poll, tells other control planes about appends.
import pg from 'pg';
import { TrcError } from '@trc/core';
import type { AggregateAppend, Clock, EventListener, EventStore, ReadOptions, StoredEvent, SubscribeOptions } from '../store.ts';
import { closedError, conflictError, storedEvent, unavailableError } from '../append-input.ts';
import { enqueueAppend, rowToStored, type EventRow, type PendingAppend } from '../rows.ts';
import { Subscriptions } from '../subscriptions.ts';
import { schemaSql, lockKeys } from './schema.ts';

export interface PostgresEventStoreOptions {
  /** `postgres://user@host:port/database` */
  readonly url: string;
  readonly clock: Clock;
  /** The schema holding the log (default `trc`); control planes sharing a log use the same one. */
  readonly schema?: string;
  /** How often subscribers check for appends another control plane made, should a notification be lost. */
  readonly pollIntervalMs?: number;
  readonly maxConnections?: number;
  readonly onListenerError?: (error: unknown) => void;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/;

export class PostgresEventStore implements EventStore {
  readonly #pool: pg.Pool;
  readonly #clock: Clock;
  readonly #table: string;
  readonly #channel: string;
  readonly #lockSql: string;
  readonly #subs: Subscriptions;
  readonly #pollIntervalMs: number;
  readonly #url: string;
  readonly #onError: (error: unknown) => void;
  #queue: PendingAppend[] = [];
  #flushing: Promise<void> | undefined;
  #scheduled = false;
  #closed = false;
  #listener: pg.Client | undefined;
  #connectingListener: Promise<void> | undefined;
  #poll: NodeJS.Timeout | undefined;
  #commits = 0;

  private constructor(pool: pg.Pool, options: PostgresEventStoreOptions, schema: string, head: number) {
    this.#pool = pool;
    this.#url = options.url;
    this.#clock = options.clock;
    this.#table = `"${schema}".events`;
    this.#channel = `trc_events_${schema}`;
    const [k1, k2] = lockKeys(schema);
    this.#lockSql = `BEGIN; SELECT pg_advisory_xact_lock(${k1}, ${k2})`;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#onError = options.onListenerError ?? ((e: unknown) => console.error('event subscriber failed:', e));
    this.#subs = new Subscriptions((afterSeq, limit) => this.read({ afterSeq, limit }), head, this.#onError);
  }

  static async open(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const schema = options.schema ?? 'trc';
    if (!IDENTIFIER.test(schema)) throw new TrcError('TRC_INVALID_INPUT', `schema "${schema}" is not a plain lower-case identifier`, { hint: 'Use letters, digits and underscores, starting with a letter.' });
    const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10 });
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    try {
      const client = await pool.connect();
      try {
        const [k1, k2] = lockKeys(schema);
        // Two control planes starting together must not race on CREATE IF NOT EXISTS.
        await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${k1}, ${k2}); ${schemaSql(schema)}; COMMIT`);
        const head = await client.query<{ head: string }>(`SELECT COALESCE(MAX(seq), 0) AS head FROM "${schema}".events`);
        return new PostgresEventStore(pool, options, schema, Number(head.rows[0]!.head));
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => {});
      throw unavailableError(error, 'open');
    }
  }

  append(appends: readonly AggregateAppend[]): Promise<StoredEvent[]> {
    return enqueueAppend(this.#queue, this.#closed, appends, () => this.#schedule());
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing !== undefined || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined;
        // Appends that arrived while this commit was in flight form the next batch.
        this.#schedule();
      });
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const time = this.#clock().toISOString();
    let client: pg.PoolClient | undefined;
    const outcomes: (StoredEvent[] | TrcError)[] = [];
    let head = 0;
    try {
      client = await this.#pool.connect();
      const ids = [...new Set(batch.flatMap((p) => p.appends.map((a) => a.aggregateId)))];
      // One round trip: begin, take the lock, then read head and versions in a statement whose snapshot is
      // taken after the lock is held (each statement of a simple query gets its own). Ids travel as escaped
      // literals because a multi-statement query cannot carry parameters.
      const results = (await client.query(
        `${this.#lockSql};
         SELECT (SELECT COALESCE(MAX(seq), 0) FROM ${this.#table}) AS head,
                (SELECT json_object_agg(aggregate_id, v) FROM (SELECT aggregate_id, MAX(aggregate_version) AS v FROM ${this.#table}
                  WHERE aggregate_id = ANY(ARRAY[${ids.map((id) => pg.escapeLiteral(id)).join(', ')}]::text[]) GROUP BY aggregate_id) a) AS versions`,
      )) as unknown as pg.QueryResult<{ head: string; versions: Record<string, number> | null }>[];
      const state = results.at(-1)!;
      head = Number(state.rows[0]!.head);
      const versions = new Map<string, number>(Object.entries(state.rows[0]!.versions ?? {}));
      const values: string[] = [];
      const lit = pg.escapeLiteral;
      // Under the lock nobody else writes, so each append's conflict check runs here, in batch order, against
      // the versions as the earlier appends of this batch left them: a conflicting append fails alone.
      for (const p of batch) {
        const conflict = p.appends.find((a) => (versions.get(a.aggregateId) ?? 0) !== a.expectedVersion);
        if (conflict !== undefined) {
          outcomes.push(conflictError(conflict.aggregateId, conflict.expectedVersion, versions.get(conflict.aggregateId) ?? 0));
          continue;
        }
        const stored: StoredEvent[] = [];
        for (const a of p.appends) {
          a.events.forEach((e, i) => {
            const event = storedEvent(++head, a.aggregateId, a.expectedVersion + i + 1, time, e);
            stored.push(event);
            values.push(`(${event.seq}, ${lit(e.type)}, ${lit(a.aggregateId)}, ${event.aggregateVersion}, ${lit(e.actor)}, ${lit(time)}, ${lit(e.payload)})`);
          });
          versions.set(a.aggregateId, a.expectedVersion + a.events.length);
        }
        outcomes.push(stored);
      }
      // Second and last round trip: insert, notify (delivered at commit) and commit. Escaped literals again,
      // since parameters would cost a round trip of their own; a failure stops the rest and we roll back.
      await client.query(
        values.length === 0
          ? 'COMMIT'
          : `INSERT INTO ${this.#table} (seq, type, aggregate_id, aggregate_version, actor, time, payload) VALUES ${values.join(', ')};
             SELECT pg_notify(${lit(this.#channel)}, ${lit(String(head))});
             COMMIT`,
      );
      this.#commits++;
    } catch (error) {
      await client?.query('ROLLBACK').catch(() => {});
      const failure = unavailableError(error);
      for (const p of batch) p.reject(failure);
      return;
    } finally {
      client?.release();
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o instanceof TrcError) return p.reject(o);
      p.resolve(o);
      if (o.length > 0) this.#subs.published(o);
    });
  }

  async read(options: ReadOptions = {}): Promise<StoredEvent[]> {
    if (this.#closed) throw closedError();
    const params: unknown[] = [options.afterSeq ?? 0];
    let sql = `SELECT seq, type, aggregate_id, aggregate_version, actor, time, payload FROM ${this.#table} WHERE seq > $1`;
    if (options.aggregateId !== undefined) {
      params.push(options.aggregateId);
      sql += ` AND aggregate_id = $${params.length}`;
    }
    if (options.types !== undefined) {
      params.push(options.types);
      sql += ` AND type = ANY($${params.length})`;
    }
    params.push(options.limit ?? null);
    sql += ` ORDER BY seq LIMIT $${params.length}`;
    const r = await this.#query<EventRow>(sql, params);
    return r.rows.map(rowToStored);
  }

  async aggregateVersion(aggregateId: string): Promise<number> {
    if (this.#closed) throw closedError();
    const r = await this.#query<{ v: number | null }>(`SELECT MAX(aggregate_version) AS v FROM ${this.#table} WHERE aggregate_id = $1`, [aggregateId]);
    return r.rows[0]!.v ?? 0;
  }

  async headSeq(): Promise<number> {
    if (this.#closed) throw closedError();
    const r = await this.#query<{ head: string }>(`SELECT COALESCE(MAX(seq), 0) AS head FROM ${this.#table}`);
    return Number(r.rows[0]!.head);
  }

  async #query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (error) {
      throw unavailableError(error, 'read');
    }
  }

  subscribe(listener: EventListener, options: SubscribeOptions = {}): () => void {
    if (this.#closed) throw closedError();
    const unsubscribe = this.#subs.add(listener, options.afterSeq);
    void this.#ensureListening();
    this.#poll ??= setInterval(() => void this.#pollHead(), this.#pollIntervalMs).unref();
    return () => {
      unsubscribe();
      if (this.#subs.size === 0) this.#stopListening();
    };
  }

  #ensureListening(): Promise<void> {
    if (this.#listener !== undefined || this.#closed) return Promise.resolve();
    this.#connectingListener ??= this.#connectListener().finally(() => {
      this.#connectingListener = undefined;
    });
    return this.#connectingListener;
  }

  async #connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    try {
      client.on('error', () => {
        // A dropped LISTEN connection: the poll keeps subscribers current and reconnects.
        if (this.#listener === client) this.#listener = undefined;
      });
      client.on('notification', (n) => this.#subs.advanced(Number(n.payload)));
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
      if (this.#closed || this.#subs.size === 0) await client.end();
      else this.#listener = client;
    } catch {
      await client.end().catch(() => {});
    }
  }

  /**
   * Resolves once this store hears other control planes' appends as they happen (LISTEN is up); until then,
   * and whenever that connection drops, subscribers still catch up within the poll interval.
   */
  async listening(): Promise<boolean> {
    if (this.#subs.size > 0) await this.#ensureListening();
    return this.#listener !== undefined;
  }

  async #pollHead(): Promise<void> {
    if (this.#closed || this.#subs.size === 0) return;
    try {
      this.#subs.advanced(await this.headSeq());
      await this.#ensureListening();
    } catch (error) {
      this.#onError(error);
    }
  }

  #stopListening(): void {
    if (this.#poll !== undefined) clearInterval(this.#poll);
    this.#poll = undefined;
    const client = this.#listener;
    this.#listener = undefined;
    void client?.end().catch(() => {});
  }

  /** Commits so far (one WAL flush each): how tests see group commit at work. */
  diagnostics(): { commits: number } {
    return { commits: this.#commits };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Appends already accepted are committed, not dropped.
    while (this.#flushing !== undefined || this.#queue.length > 0 || this.#scheduled) {
      if (this.#flushing !== undefined) await this.#flushing;
      else await new Promise((r) => setImmediate(r));
    }
    this.#subs.clear();
    this.#stopListening();
    await this.#pool.end();
  }
}
