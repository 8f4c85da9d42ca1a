/**
 * A small seeded PRNG (mulberry32) and the draws the traffic model needs. Deterministic: the same seed
 * gives the same sequence on every machine, so a generated run and its truth can be reproduced.
 * Not for anything secret.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer uniform in [min, max], both included. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A new independent generator, derived from this one's next draw. */
  fork(): Rng;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
    fork: () => createRng(Math.floor(next() * 4294967296)),
  };
  return rng;
}

/**
 * Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^exponent: a few popular items,
 * a long tail (campaign and title popularity, user activity). O(n) set-up, O(log n) a draw.
 */
export function createZipf(n: number, exponent: number): (rng: Rng) => number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`zipf: n must be a positive integer, got ${n}`);
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank++) {
    total += 1 / Math.pow(rank + 1, exponent);
    cumulative[rank] = total;
  }
  return (rng) => {
    const target = rng.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) <= target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
