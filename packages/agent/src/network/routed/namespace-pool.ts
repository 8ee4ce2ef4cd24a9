// A bounded pool of pre-made instance namespaces (veth pair and host side included, no address, route or
// rule): an attach that takes one skips the namespace's making. Refilled in the background only while no
// start is in progress, so a burst never competes with it for the CPU.
import type { PooledNames } from '../ipam.ts';

export interface PoolEntry extends PooledNames {
  readonly slot: number;
}

export interface NamespacePoolOptions {
  /** How many entries to keep ready; 0 disables the pool. */
  readonly size: number;
  /** Quiet time after the last start-related activity before a refill begins. */
  readonly delayMs: number;
  /** Names of slot k. */
  readonly names: (slot: number) => PooledNames;
  /** Slots taken by instances (their allocations keep the names): never reused while taken. */
  readonly taken: () => ReadonlySet<number>;
  /** Makes one entry's devices; the pool owns them once it resolves. */
  readonly make: (entry: PoolEntry) => Promise<void>;
  /** Whether nothing is starting now (the agent's start slots idle, no attach in progress). */
  readonly idle: () => boolean;
  readonly log?: (line: string) => void;
}

export class NamespacePool {
  readonly #o: NamespacePoolOptions;
  readonly #ready: PoolEntry[] = [];
  readonly #making = new Map<number, Promise<void>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: NamespacePoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 0 || options.size > 64) throw new RangeError(`the namespace pool size must be a whole number from 0 to 64, got ${options.size}`);
    this.#o = options;
  }

  get size(): number {
    return this.#o.size;
  }

  /** Entries ready to be taken. */
  get ready(): readonly PoolEntry[] {
    return this.#ready;
  }

  /** Entries being made: exclusive changes (reconcile, teardown) wait for them. */
  making(): Promise<unknown>[] {
    return [...this.#making.values()];
  }

  /** Slots the pool holds or is making (their devices are the pool's, not orphans). */
  slots(): Set<number> {
    return new Set([...this.#ready.map((e) => e.slot), ...this.#making.keys()]);
  }

  /** Takes one ready entry, synchronously (one entry never goes to two callers); undefined when empty. */
  take(): PoolEntry | undefined {
    return this.#ready.shift();
  }

  /** An entry taken but not used (the attach found the instance attached already): its devices are untouched. */
  giveBack(entry: PoolEntry): void {
    if (this.#closed) return;
    this.#ready.push(entry);
  }

  /** Forgets every entry (their devices are then orphans to delete) and stops refilling. */
  close(): void {
    this.#closed = true;
    this.#ready.length = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Forgets the ready entries (an agent restart's reconcile deletes what is on the host) and refills later. */
  forget(): void {
    this.#ready.length = 0;
  }

  /** Debounced: each call pushes the refill back by `delayMs`. */
  schedule(): void {
    if (this.#closed || this.#o.size === 0) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.fill(true);
    }, this.#o.delayMs);
    this.#timer.unref();
  }

  /**
   * Makes entries one at a time until the pool is full. With `whenIdle`, stops (and reschedules) as soon as
   * a start is in progress. A failed entry is logged and left to the next reconcile as an orphan. Resolves
   * once the pool is full (or cannot be filled now).
   */
  async fill(whenIdle = false): Promise<void> {
    while (!this.#closed && this.#ready.length + this.#making.size < this.#o.size) {
      if (whenIdle && !this.#o.idle()) {
        this.schedule();
        return;
      }
      const slot = this.#freeSlot();
      const entry: PoolEntry = { slot, ...this.#o.names(slot) };
      const made = this.#o.make(entry);
      this.#making.set(slot, made.catch(() => undefined));
      try {
        await made;
        if (!this.#closed) this.#ready.push(entry);
      } catch (error) {
        this.#o.log?.(`network namespace pool: entry ${entry.netns} could not be made: ${(error as Error).message}`);
        return;
      } finally {
        this.#making.delete(slot);
      }
    }
    // Another fill (the debounced one) may be making the rest: full means made.
    await Promise.allSettled(this.making());
  }

  #freeSlot(): number {
    const used = new Set([...this.slots(), ...this.#o.taken()]);
    let k = 0;
    while (used.has(k)) k++;
    return k;
  }
}
