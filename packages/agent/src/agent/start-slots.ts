// A counting semaphore for instance starts: a burst of placements starts at most `size` instances at once,
// so on a small node the first ones are not slowed down by all the others competing for the CPU.
export class StartSlots {
  readonly #size: number;
  readonly #waiting: (() => void)[] = [];
  #busy = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`start slots must be a whole number of at least 1, got ${size}`);
    this.#size = size;
  }

  get busy(): number {
    return this.#busy;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves, in arrival order, once a slot is free; the returned function frees it (a second call is a no-op). */
  async acquire(): Promise<() => void> {
    if (this.#busy >= this.#size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#busy++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next waiter, so a late arrival cannot overtake it.
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#busy--;
    };
  }
}
