// Group commit for host programs: items submitted while a run is in progress go together in the next one,
// so a burst of starts runs a program two or three times instead of once per start, and a lone item
// waits for nothing.

export class Batcher<T, R> {
  readonly #flush: (items: readonly T[]) => Promise<readonly PromiseSettledResult<R>[]>;
  #queue: { readonly item: T; readonly resolve: (r: R) => void; readonly reject: (e: unknown) => void }[] = [];
  #running = false;

  /** `flush` settles each item of a batch on its own (one result per item, in order). */
  constructor(flush: (items: readonly T[]) => Promise<readonly PromiseSettledResult<R>[]>) {
    this.#flush = flush;
  }

  submit(item: T): Promise<R> {
    const done = new Promise<R>((resolve, reject) => this.#queue.push({ item, resolve, reject }));
    if (!this.#running) void this.#drain();
    return done;
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        let results: readonly PromiseSettledResult<R>[];
        try {
          results = await this.#flush(batch.map((b) => b.item));
        } catch (error) {
          results = batch.map(() => ({ status: 'rejected', reason: error }) as const);
        }
        batch.forEach((b, i) => {
          const r = results[i];
          if (r?.status === 'fulfilled') b.resolve(r.value);
          else b.reject(r === undefined ? new Error('a batch gave no result for an item') : r.reason);
        });
      }
    } finally {
      this.#running = false;
    }
  }
}
