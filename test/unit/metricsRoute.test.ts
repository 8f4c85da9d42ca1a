import { assembleCtr, checkRange, type Counts, ctrRouteReason, daysFromGold, hoursOf, parseGranularity, parseInstant, planHours, type PublishedHour } from '../../core/metricsRoute';
import { DAY_MS, HOUR_MS, MINUTE_MS, parseHourKey } from '../../core/time';

const H = (key: string) => parseHourKey(key).startMs;

/**
 * A little world of events, by minute, that both the lake and Redis saw: Gold of an hour is the sum
 * of its minutes (as promotion makes it), Redis holds every minute (it counts as events arrive).
 * The expected answer is computed from the events, independently of the router.
 */
function world(hours: readonly string[]): { minutes: Map<number, Counts>; goldHours: Map<number, Counts> } {
  const minutes = new Map<number, Counts>();
  const goldHours = new Map<number, Counts>();
  let seed = 7;
  for (const hour of hours) {
    let hi = 0;
    let hc = 0;
    for (let m = 0; m < 60; m++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const impressions = seed % 50;
      const clicks = impressions % 7;
      minutes.set(H(hour) + m * MINUTE_MS, { impressions, clicks });
      hi += impressions;
      hc += clicks;
    }
    goldHours.set(H(hour), { impressions: hi, clicks: hc });
  }
  return { minutes, goldHours };
}

describe('metrics router', () => {
  const now = H('2026-11-22T12') + 20 * MINUTE_MS;
  const published = new Map<string, PublishedHour>([
    ['2026-11-22T09', { version: 'v9', publishedRuns: 1, lastPublishedMs: H('2026-11-22T10') }],
    ['2026-11-22T10', { version: 'v10', publishedRuns: 2, lastPublishedMs: H('2026-11-22T11') + 5 * MINUTE_MS }],
  ]);

  it('parses instants and granularities, naming the field in errors', () => {
    expect(parseInstant('2026-11-22T05', 'from')).toBe(H('2026-11-22T05'));
    expect(parseInstant('2026-11-22T05:30:00Z', 'from')).toBe(H('2026-11-22T05') + 30 * MINUTE_MS);
    expect(parseInstant('2026-11-22T06:30:00+01:00', 'to')).toBe(H('2026-11-22T05') + 30 * MINUTE_MS);
    expect(() => parseInstant('yesterday', 'from')).toThrow(/^from: must be RFC 3339/);
    expect(() => parseInstant(undefined, 'to')).toThrow(/^to: required/);
    expect(parseGranularity(undefined)).toBe('hour');
    expect(() => parseGranularity('week')).toThrow(/granularity: must be one of minute, hour, day/);
    expect(() => checkRange(H('2026-11-22T05'), H('2026-11-22T05'), 'hour')).toThrow(/to: must be after from/);
    expect(() => checkRange(0, 40 * DAY_MS, 'hour')).toThrow(/to: at most 744 hour buckets/);
    expect(checkRange(H('2026-11-22T05') + 10, H('2026-11-22T07') - 10, 'hour')).toEqual({ fromMs: H('2026-11-22T05'), toMs: H('2026-11-22T07') });
  });

  it('plans each hour from one source: Gold when published (final, provisional or restated), else real-time', () => {
    const plans = planHours(['2026-11-22T09', '2026-11-22T10', '2026-11-22T11', '2026-11-22T12'], published, now, 1);
    expect(plans).toEqual([
      { hour: '2026-11-22T09', source: 'gold', version: 'v9', state: 'final' },
      { hour: '2026-11-22T10', source: 'gold', version: 'v10', state: 'restated', restated_at: new Date(H('2026-11-22T11') + 5 * MINUTE_MS).toISOString() },
      { hour: '2026-11-22T11', source: 'realtime', version: null, state: 'provisional' },
      { hour: '2026-11-22T12', source: 'realtime', version: null, state: 'provisional' },
    ]);
    // Within finalAfterHours of its end a published hour may still move.
    expect(planHours(['2026-11-22T09'], published, now, 6)[0]?.state).toBe('provisional');
  });

  it('stitches Gold and real-time at an hour boundary counting each event once, at every grain', () => {
    const hours = ['2026-11-22T09', '2026-11-22T10', '2026-11-22T11'];
    const { minutes, goldHours } = world(hours);
    // Redis still holds the published hours' minutes too: a router that read both would count them twice.
    const counts = { goldHours, realtimeMinutes: minutes, silverMinutes: minutes, goldDays: new Map() };
    const plans = planHours(hours, published, now, 1);
    const truth = (from: number, to: number) => {
      let impressions = 0;
      let clicks = 0;
      for (const [t, c] of minutes) {
        if (t < from || t >= to) continue;
        impressions += c.impressions;
        clicks += c.clicks;
      }
      return { impressions, clicks };
    };
    // The range starts and ends inside hours; the boundary 10→11 is Gold → real-time.
    const range = checkRange(H('2026-11-22T10') + 30 * MINUTE_MS, H('2026-11-22T11') + 30 * MINUTE_MS, 'minute');
    const byMinute = assembleCtr(range, 'minute', plans, counts);
    expect(byMinute).toHaveLength(60);
    expect(byMinute[29]).toMatchObject({ start: '2026-11-22T10:59:00Z', source: 'silver', version: 'v10', state: 'restated' });
    expect(byMinute[30]).toMatchObject({ start: '2026-11-22T11:00:00Z', source: 'realtime', version: null, state: 'provisional' });
    const sum = (bs: ReadonlyArray<Counts>) => bs.reduce((a, b) => ({ impressions: a.impressions + b.impressions, clicks: a.clicks + b.clicks }), { impressions: 0, clicks: 0 });
    expect(sum(byMinute)).toEqual(truth(range.fromMs, range.toMs));

    const hourRange = checkRange(H('2026-11-22T09'), H('2026-11-22T12'), 'hour');
    const byHour = assembleCtr(hourRange, 'hour', plans, counts);
    expect(byHour.map((b) => b.source)).toEqual(['gold', 'gold', 'realtime']);
    expect(sum(byHour)).toEqual(truth(hourRange.fromMs, hourRange.toMs));
    for (const b of byHour) expect(b.ctr).toBeCloseTo(b.clicks / b.impressions, 12);

    // A day with published and unpublished hours is summed from its hours, each once.
    const dayRange = checkRange(H('2026-11-22T00'), H('2026-11-23T00'), 'day');
    const dayPlans = planHours(hoursOf(dayRange), published, now, 1);
    const [day] = assembleCtr(dayRange, 'day', dayPlans, counts);
    expect(day).toMatchObject({ start: '2026-11-22T00:00:00Z', source: 'realtime', state: 'provisional', parts: { gold: 2, realtime: 22 } });
    expect({ impressions: day?.impressions, clicks: day?.clicks }).toEqual(truth(dayRange.fromMs, dayRange.toMs));
    expect(ctrRouteReason('day', dayPlans, new Set())).toMatch(/2 published hour\(s\) from lake.gold.ctr_hourly; 22 hour\(s\) not promoted yet/);
  });

  it('answers a day from campaign_daily only when it is whole and published after every hour', () => {
    const day = '2026-11-20';
    const hours = Array.from({ length: 24 }, (_, i) => `${day}T${String(i).padStart(2, '0')}`);
    const all = new Map(hours.map((h) => [h, { version: `v${h}`, publishedRuns: 1, lastPublishedMs: H(h) + HOUR_MS }]));
    const range = checkRange(H(`${day}T00`), H(`${day}T00`) + DAY_MS, 'day');
    const plans = planHours(hours, all, now, 1);
    const dayPublishedAfter = new Map([[day, { version: 'vd', publishedAtMs: H(`${day}T00`) + DAY_MS + HOUR_MS }]]);
    expect([...daysFromGold(range, plans, all, dayPublishedAfter)]).toEqual([day]);
    const goldDays = new Map([[H(`${day}T00`), { impressions: 100, clicks: 3 }]]);
    const [bucket] = assembleCtr(range, 'day', plans, { goldHours: new Map(), realtimeMinutes: new Map(), silverMinutes: new Map(), goldDays }, dayPublishedAfter, new Set([day]));
    expect(bucket).toMatchObject({ source: 'gold', version: 'vd', impressions: 100, clicks: 3, ctr: 0.03, state: 'final' });
    // An hour restated after the day's Gold: the day row is older than that hour, so it is not used.
    const restated = new Map(all);
    restated.set(`${day}T05`, { version: 'v2', publishedRuns: 2, lastPublishedMs: H(`${day}T00`) + DAY_MS + 2 * HOUR_MS });
    expect([...daysFromGold(range, planHours(hours, restated, now, 1), restated, dayPublishedAfter)]).toEqual([]);
    // A range not covering the whole day never uses the day row.
    expect([...daysFromGold({ fromMs: range.fromMs, toMs: range.toMs - HOUR_MS }, plans, all, dayPublishedAfter)]).toEqual([]);
  });

  it('CTR is null when there are no impressions', () => {
    const range = checkRange(H('2026-11-22T09'), H('2026-11-22T10'), 'hour');
    const [b] = assembleCtr(range, 'hour', planHours(['2026-11-22T09'], published, now, 1), { goldHours: new Map(), realtimeMinutes: new Map(), silverMinutes: new Map(), goldDays: new Map() });
    expect(b).toMatchObject({ impressions: 0, clicks: 0, ctr: null, source: 'gold' });
  });
});

describe('metrics router: hours not over', () => {
  it('keeps the current hour, and an hour published before it ended, with Redis', () => {
    const now = parseHourKey('2026-11-22T12').startMs + 20 * MINUTE_MS;
    const early = new Map<string, PublishedHour>([
      ['2026-11-22T12', { version: 'vnow', publishedRuns: 1, lastPublishedMs: now - MINUTE_MS }],
      ['2026-11-22T11', { version: 'vearly', publishedRuns: 1, lastPublishedMs: parseHourKey('2026-11-22T11').startMs + 50 * MINUTE_MS }],
      ['2026-11-22T10', { version: 'vnoaudit', publishedRuns: 1, lastPublishedMs: null }],
    ]);
    expect(planHours(['2026-11-22T10', '2026-11-22T11', '2026-11-22T12'], early, now, 1).map((p) => [p.source, p.version])).toEqual([
      ['gold', 'vnoaudit'],
      ['realtime', null],
      ['realtime', null],
    ]);
  });
});

describe('metrics router: days of distinct users', () => {
  it('takes a day from its summary only when the day is over and the summary is newer than its hours', async () => {
    const { planDays, dayRouteReason } = await import('../../core/metricsRoute');
    const d = (dt: string) => parseHourKey(`${dt}T00`).startMs;
    const now = d('2026-11-23') + 3 * HOUR_MS;
    const range = checkRange(d('2026-11-20'), d('2026-11-24'), 'day');
    const days = new Map([
      ['2026-11-20', { version: 'v20', publishedAtMs: d('2026-11-21') + HOUR_MS }],
      ['2026-11-21', { version: 'v21', publishedAtMs: d('2026-11-22') + HOUR_MS }],
      ['2026-11-22', { version: 'v22', publishedAtMs: d('2026-11-23') + HOUR_MS }],
    ]);
    // 11-21 had an hour restated after its summary.
    const lastHour = new Map([
      ['2026-11-20', d('2026-11-21')],
      ['2026-11-21', d('2026-11-22') + 2 * HOUR_MS],
      ['2026-11-22', d('2026-11-23')],
    ]);
    expect(planDays(range, days, lastHour, now, 6)).toEqual([
      { dt: '2026-11-20', source: 'gold', version: 'v20', state: 'final' },
      { dt: '2026-11-21', source: 'silver', version: null, state: 'provisional' },
      { dt: '2026-11-22', source: 'gold', version: 'v22', state: 'provisional' },
      { dt: '2026-11-23', source: 'silver', version: null, state: 'provisional' },
    ]);
    expect(dayRouteReason('lake.gold.dau_daily', planDays(range, days, lastHour, now, 6), true)).toMatch(/^2 day\(s\) from lake.gold.dau_daily; 2 day\(s\) .*does not read/);
  });
});
