import { dayDatasets, hourDatasets, type DayFacts, type HourStaleness } from '../../core/dayState';
import type { HourFreshness, HourState } from '../../core/freshness';

const HOUR = '2026-11-22T05';
const fresh = (state: HourState, error: string | null = null): HourFreshness => ({ hour: HOUR, state, error, version: 'v-audit', rows_in: 10, rows_out: 9, last_run: null });
const hourly = (state: string, version: string | null, waiting_events: number, error: string | null = null) =>
  ['silver.events', 'gold.ctr_hourly'].map((dataset) => ({ dataset, dt: '2026-11-22', hr: '05', state, version, waiting_events, error }));

describe('hour datasets', () => {
  const stale: HourStaleness = { state: 'stale', waiting_events: 7, version: 'v1' };
  it.each<[string, HourFreshness, HourStaleness | null, object[]]>([
    ['READY and fresh', fresh('READY'), { state: 'fresh', version: 'v1' }, hourly('READY', 'v1', 0)],
    ['READY but Bronze holds events it missed: STALE', fresh('READY'), stale, hourly('STALE', 'v1', 7)],
    ['RUNNING wins over STALE', fresh('RUNNING'), stale, hourly('RUNNING', 'v1', 7)],
    ['FAILED wins over STALE', fresh('FAILED', 'boom'), stale, hourly('FAILED', 'v1', 7, 'boom')],
    ['LATE as before', fresh('LATE'), { state: 'unpublished', version: null }, hourly('LATE', 'v-audit', 0)],
    ['staleness unknown: the audit version', fresh('READY'), null, hourly('READY', 'v-audit', 0)],
  ])('%s', (_name, f, s, expected) => {
    expect(hourDatasets(f, s)).toEqual(expected);
  });
});

describe('day datasets', () => {
  const DT = '2026-11-22';
  const END = Date.UTC(2026, 10, 23);
  const H = 3_600_000;
  const gold = (publishedAtMs: number) => ({ version: 'd1', publishedAtMs });
  const allGold = (at: number): DayFacts['gold'] => ({ 'gold.campaign_daily': gold(at), 'gold.dau_daily': gold(at), 'gold.title_plays_daily': gold(at) });
  const facts = (over: Partial<DayFacts>): DayFacts => ({ dt: DT, gold: allGold(END - H), hours: [{ state: 'READY', publishedAtMs: END - 2 * H, waiting_events: 0 }], running: false, failed: null, ...over });
  const states = (f: DayFacts, now = END + 7 * H) => dayDatasets(f, now, 6).map((d) => [d.dataset, d.state, d.waiting_events, d.final, d.error]);
  const each = (state: string, waiting = 0, final = true, error: string | null = null) =>
    ['gold.campaign_daily', 'gold.dau_daily', 'gold.title_plays_daily'].map((dataset) => [dataset, state, waiting, final, error]);

  it.each<[string, Partial<DayFacts>, number, unknown[]]>([
    ['Gold newer than every hour: READY, final after the horizon', {}, END + 7 * H, each('READY')],
    ['before the horizon: not final', {}, END + 5 * H, each('READY', 0, false)],
    ['an hour published after the Gold: STALE', { hours: [{ state: 'READY', publishedAtMs: END, waiting_events: 0 }] }, END + 7 * H, each('STALE')],
    ['an hour STALE: the day too, with its waiting events', { hours: [{ state: 'STALE', publishedAtMs: END - 2 * H, waiting_events: 4 }] }, END + 7 * H, each('STALE', 4)],
    ['RUNNING first', { running: true, failed: 'x', hours: [{ state: 'STALE', publishedAtMs: END, waiting_events: 1 }] }, END + 7 * H, each('RUNNING', 1)],
    ['FAILED over STALE', { failed: 'boom', hours: [{ state: 'STALE', publishedAtMs: END, waiting_events: 1 }] }, END + 7 * H, each('FAILED', 1, true, 'boom')],
    ['hours published, no Gold: LATE', { gold: {} }, END + 7 * H, each('LATE')],
    ['nothing of the day: not listed', { gold: {}, hours: [{ state: 'LATE', publishedAtMs: null, waiting_events: 0 }] }, END + 7 * H, []],
  ])('%s', (_name, over, now, expected) => {
    expect(states(facts(over), now)).toEqual(expected);
  });

  it('gives each table its own version', () => {
    const f = facts({ gold: { 'gold.campaign_daily': { version: 'a', publishedAtMs: END }, 'gold.dau_daily': { version: 'b', publishedAtMs: END } } });
    expect(dayDatasets(f, END, 6).map((d) => [d.dataset, d.version, d.state])).toEqual([
      ['gold.campaign_daily', 'a', 'READY'],
      ['gold.dau_daily', 'b', 'READY'],
      ['gold.title_plays_daily', null, 'LATE'],
    ]);
  });
});
