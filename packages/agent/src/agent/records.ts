// What the agent remembers of each instance across its own restarts (org, address, port, health check,
// last reported state, reports not yet delivered): one small JSON file per instance, never secret values.
import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { TrcError, type HealthCheck } from '@trc/core';
import type { ReportedState } from './control-client.ts';

/** A report the control plane has not acknowledged yet (it was unreachable): sent at the next pass. */
export interface PendingReport {
  readonly state: ReportedState;
  readonly detail?: string;
  /** Send POST .../oom (the control plane words the "memory limit exceeded" event itself). */
  readonly oom?: boolean;
}

export interface InstanceRecord {
  readonly id: string;
  readonly org: string;
  readonly app: string;
  readonly processType: string;
  readonly address?: string;
  readonly port?: number;
  readonly healthCheck?: HealthCheck;
  readonly lastReported?: ReportedState;
  readonly pending?: readonly PendingReport[];
  /** The runtime said it stopped; kept (logs readable) until the control plane lets it go. */
  readonly exited?: boolean;
}

export class RecordStore {
  readonly #dir: string;
  readonly #records = new Map<string, InstanceRecord>();
  /** Writes go one at a time, so two updates of one record never interleave their rename. */
  #writes: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.#dir = dir;
  }

  async load(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    for (const name of (await readdir(this.#dir)).sort()) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.#dir, name);
      let record: InstanceRecord;
      try {
        record = JSON.parse(await readFile(file, 'utf8')) as InstanceRecord;
      } catch (error) {
        throw new TrcError('TRC_AGENT_STATE_INVALID', `${file} is not an instance record`, { hint: 'remove it: the agent then stops that instance', cause: error });
      }
      if (typeof record.id !== 'string' || typeof record.org !== 'string') throw new TrcError('TRC_AGENT_STATE_INVALID', `${file} is not an instance record`, { hint: 'remove it: the agent then stops that instance' });
      this.#records.set(record.id, record);
    }
  }

  get(id: string): InstanceRecord | undefined {
    return this.#records.get(id);
  }

  all(): InstanceRecord[] {
    return [...this.#records.values()];
  }

  async put(record: InstanceRecord): Promise<void> {
    this.#records.set(record.id, record);
    const file = path.join(this.#dir, `${record.id}.json`);
    await this.#serial(async () => {
      // Deleted meanwhile: do not bring it back.
      if (this.#records.get(record.id) === undefined) return;
      // Synchronous: a small file a start waits for (and every report updates), in a queue every instance
      // shares; asynchronous calls there would queue behind the rest of a burst's file work.
      writeFileSync(`${file}.tmp`, JSON.stringify(this.#records.get(record.id)), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    });
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const next = this.#writes.then(fn, fn);
    this.#writes = next.catch(() => undefined);
    return next;
  }

  async update(id: string, change: Partial<InstanceRecord>): Promise<InstanceRecord | undefined> {
    const current = this.#records.get(id);
    if (current === undefined) return undefined;
    const next = { ...current, ...change };
    await this.put(next);
    return next;
  }

  async delete(id: string): Promise<void> {
    this.#records.delete(id);
    await this.#serial(() => rm(path.join(this.#dir, `${id}.json`), { force: true }));
  }
}
