import { createRng, createZipf } from '../../core/random';

describe('createRng', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const draw = (seed: number): number[] => {
      const rng = createRng(seed);
      return Array.from({ length: 5 }, () => rng.next());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });

  it('keeps every draw in range', () => {
    const rng = createRng(99);
    const values = Array.from({ length: 10_000 }, () => [rng.next(), rng.int(3, 7)] as const);
    expect(values.every(([x, n]) => x >= 0 && x < 1 && Number.isInteger(n) && n >= 3 && n <= 7)).toBe(true);
    expect(new Set(values.map(([, n]) => n))).toEqual(new Set([3, 4, 5, 6, 7]));
  });

  it('refuses to pick from nothing', () => {
    expect(() => createRng(1).pick([])).toThrow('pick from an empty list');
  });
});

describe('createZipf', () => {
  it('draws low ranks most often, every rank possible', () => {
    const draw = createZipf(10, 1.1);
    const rng = createRng(5);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 50_000; i++) {
      const rank = draw(rng);
      counts[rank] = (counts[rank] ?? 0) + 1;
    }
    expect(counts.every((n) => n > 0)).toBe(true);
    expect(counts[0]).toBeGreaterThan(3 * (counts[9] ?? 0));
  });

  it('refuses an empty population', () => {
    expect(() => createZipf(0, 1)).toThrow('zipf: n must be a positive integer, got 0');
  });
});
