// A small seeded PRNG (xoshiro128**, seeded through splitmix32) so the scheduler's sampling is
// reproducible: core has no randomness of its own, the seed comes in with each call.

export interface Prng {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform integer in [0, n), without modulo bias; n in [1, 2^32]. */
  below(n: number): number;
}

function splitmix32(state: number): () => number {
  let a = state | 0;
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A PRNG for a seed: any safe integer; both halves of it matter. */
export function createPrng(seed: number): Prng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const low = seed >>> 0;
  const high = Math.floor(seed / 2 ** 32) >>> 0;
  const mix = splitmix32(low ^ Math.imul(high, 0x85ebca6b));
  let s0 = mix();
  let s1 = mix();
  let s2 = mix();
  let s3 = mix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const below = (n: number): number => {
    if (!(n >= 1 && n <= 2 ** 32) || !Number.isInteger(n)) throw new RangeError(`below(n) needs an integer n in [1, 2^32], got ${n}`);
    // Reject the top sliver of the 2^32 range that would make low values more likely.
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const r = nextUint32();
      if (r < limit) return r % n;
    }
  };
  return { nextUint32, below };
}

/** Fisher-Yates shuffle in place, driven by the PRNG. */
export function shuffle<T>(items: T[] | Int32Array, prng: Prng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = prng.below(i + 1);
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}
