import { DEFAULT_SHED_POLICY, eventPriority, InFlightBudget, instanceShare, planShedding, takeTokens, type Priority, type RateLimit } from '../../core/admission';

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

describe('instanceShare (the fallback when Redis cannot answer)', () => {
  it('divides rate and burst by the instances, never to nothing', () => {
    expect(instanceShare(LIMIT, 2)).toEqual({ ratePerSec: 500, burst: 1000 });
    expect(instanceShare(LIMIT, 1)).toEqual(LIMIT);
    expect(instanceShare(LIMIT, 0)).toEqual(LIMIT);
    expect(instanceShare({ ratePerSec: 1, burst: 2 }, 4)).toEqual({ ratePerSec: 0.25, burst: 1 });
  });
});

describe('planShedding (priority under load)', () => {
  const types = ['heartbeat', 'page_view', 'ad_click', 'video_play', 'ad_impression', 'heartbeat'];
  const ps = (): Priority[] => types.map(eventPriority);
  const never = (): Priority[] => {
    throw new Error('types looked at on the fast path');
  };
  // Capacity 100: heartbeats shed above 50 in flight, page views and video above 80, ad events at 100.
  it.each<[string, number, boolean, unknown]>([
    ['below the low level: all, without looking at the events', 50, true, { kind: 'all' }],
    ['above low, per event: heartbeats shed', 51, true, { kind: 'partial', admitted: [1, 2, 3, 4], shed: [0, 5] }],
    ['above mid, per event: only ad events in', 81, true, { kind: 'partial', admitted: [2, 4], shed: [0, 1, 3, 5] }],
    ['room for one: the first ad event', 99, true, { kind: 'partial', admitted: [2], shed: [0, 1, 3, 4, 5] }],
    ['full: refused', 100, true, { kind: 'refuse' }],
    ['above mid, whole request: admitted for its ad events', 81, false, { kind: 'all' }],
    ['room too small, whole request: refused', 95, false, { kind: 'refuse' }],
  ])('%s', (_name, inFlight, perEvent, plan) => {
    expect(planShedding(inFlight, 100, DEFAULT_SHED_POLICY, types.length, inFlight <= 50 ? never : ps, perEvent)).toEqual(plan);
  });

  it('refuses a whole request of heartbeats above the low level, and of page views above the mid level', () => {
    const beats = (): Priority[] => [0, 0, 0];
    const views = (): Priority[] => [1, 1];
    expect(planShedding(51, 100, DEFAULT_SHED_POLICY, 3, beats, false)).toEqual({ kind: 'refuse' });
    expect(planShedding(51, 100, DEFAULT_SHED_POLICY, 3, beats, true)).toEqual({ kind: 'refuse' });
    expect(planShedding(80, 100, DEFAULT_SHED_POLICY, 2, views, false)).toEqual({ kind: 'all' });
    expect(planShedding(81, 100, DEFAULT_SHED_POLICY, 2, views, false)).toEqual({ kind: 'refuse' });
  });

  it('ranks heartbeats below page views and video below ad events', () => {
    expect(['heartbeat', 'page_view', 'video_seek', 'ad_impression', 'ad_click', 'something_new'].map(eventPriority)).toEqual([0, 1, 1, 2, 2, 1]);
  });
});
