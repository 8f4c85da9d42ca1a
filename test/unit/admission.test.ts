import { InFlightBudget, takeTokens, type RateLimit } from '../../core/admission';

const LIMIT: RateLimit = { ratePerSec: 1000, burst: 2000 };

describe('takeTokens (per-key rate limit)', () => {
  it('starts full and admits a burst up to its size', () => {
    expect(takeTokens(undefined, LIMIT, 2000, 0)).toEqual({ state: { tokens: 0, updatedMs: 0 }, admission: { ok: true } });
  });

  it('refuses when empty and says how long until the request fits', () => {
    expect(takeTokens({ tokens: 100, updatedMs: 0 }, LIMIT, 500, 0)).toEqual({
      state: { tokens: 100, updatedMs: 0 },
      admission: { ok: false, retryAfterSec: 1 },
    });
    expect(takeTokens({ tokens: 0, updatedMs: 0 }, LIMIT, 1900, 0).admission).toEqual({ ok: false, retryAfterSec: 2 });
  });

  it('refills at the sustained rate, never past the burst', () => {
    expect(takeTokens({ tokens: 0, updatedMs: 0 }, LIMIT, 500, 500)).toEqual({ state: { tokens: 0, updatedMs: 500 }, admission: { ok: true } });
    expect(takeTokens({ tokens: 0, updatedMs: 0 }, LIMIT, 0, 60_000).state).toEqual({ tokens: 2000, updatedMs: 60_000 });
  });

  it('refuses a request larger than the burst with a full refill wait', () => {
    expect(takeTokens(undefined, LIMIT, 2001, 0).admission).toEqual({ ok: false, retryAfterSec: 2 });
  });

  it('ignores a clock that goes backwards', () => {
    expect(takeTokens({ tokens: 10, updatedMs: 5000 }, LIMIT, 10, 4000)).toEqual({ state: { tokens: 0, updatedMs: 4000 }, admission: { ok: true } });
  });
});

describe('InFlightBudget', () => {
  it('admits up to capacity, refuses past it, and frees on release', () => {
    const budget = new InFlightBudget(1000);
    expect([budget.tryAcquire(600), budget.tryAcquire(500), budget.inFlight]).toEqual([true, false, 600]);
    budget.release(600);
    expect([budget.tryAcquire(1000), budget.inFlight]).toEqual([true, 1000]);
    expect(budget.tryAcquire(1)).toBe(false);
  });

  it('refuses a single request larger than the whole budget', () => {
    expect(new InFlightBudget(100).tryAcquire(101)).toBe(false);
  });
});
