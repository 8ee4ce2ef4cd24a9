// A segment tree over node indices giving the largest value and the node holding it in O(1), updated in
// O(log n): the scheduler's index of free memory and free cpu, so failure reasons never depend on a sample.

export class MaxTree {
  readonly #size: number;
  readonly #value: Float64Array;
  readonly #arg: Int32Array;

  /** `values[i]` for node i; use -Infinity for a node that must never be reported (not up). */
  constructor(values: ArrayLike<number>) {
    let size = 1;
    while (size < values.length) size *= 2;
    this.#size = size;
    this.#value = new Float64Array(2 * size).fill(-Infinity);
    this.#arg = new Int32Array(2 * size).fill(-1);
    for (let i = 0; i < values.length; i++) {
      this.#value[size + i] = values[i]!;
      this.#arg[size + i] = i;
    }
    for (let p = size - 1; p >= 1; p--) this.#pull(p);
  }

  // Ties go to the left child, i.e. the lower index, so results do not depend on update order.
  #pull(p: number): void {
    const l = 2 * p;
    const r = l + 1;
    const take = this.#value[r]! > this.#value[l]! ? r : l;
    this.#value[p] = this.#value[take]!;
    this.#arg[p] = this.#arg[take]!;
  }

  set(i: number, v: number): void {
    let p = this.#size + i;
    this.#value[p] = v;
    for (p >>= 1; p >= 1; p >>= 1) this.#pull(p);
  }

  get(i: number): number {
    return this.#value[this.#size + i]!;
  }

  /** The largest value, -Infinity when empty. */
  max(): number {
    return this.#value[1]!;
  }

  /** Lowest index holding max(), or -1 when empty. */
  argMax(): number {
    return this.#value[1] === -Infinity ? -1 : this.#arg[1]!;
  }
}
