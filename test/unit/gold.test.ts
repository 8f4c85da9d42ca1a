import { goldDay, goldHour, goldTables } from '../../core/gold';
import { toSilverRow, type SilverRow } from '../../core/silver';
import { computeTruth } from '../../core/truth';
import type { EventRecord } from '../../schemas/eventRecord';
import { H5, MIN, pageView } from './bronzeFixtures';

const H6 = H5 + 60 * MIN;
const D2 = Date.UTC(2026, 10, 23);
const KEY = { hmacKey: 'gold-test-key' };

const ad = (id: string, type: 'ad_impression' | 'ad_click', campaign: string, user: string, time: number, device: EventRecord['device_type']): EventRecord =>
  pageView(id, time, { event_type: type, campaign_id: campaign, ad_id: `${campaign}-ad1`, user_id: user, device_type: device });
const play = (id: string, title: string, user: string, time: number): EventRecord =>
  pageView(id, time, { event_type: 'video_play', title_id: title, user_id: user, device_type: 'tv' });

/** Counted events (distinct, on time) over two hours and two days. */
const EVENTS: EventRecord[] = [
  ad('e1', 'ad_impression', 'c1', 'u1', H5 + MIN, 'web'),
  ad('e2', 'ad_impression', 'c1', 'u2', H5 + 2 * MIN, 'ios'),
  ad('e3', 'ad_click', 'c1', 'u1', H5 + 3 * MIN, 'web'),
  ad('e4', 'ad_click', 'c2', 'u3', H5 + 4 * MIN, null),
  ad('e5', 'ad_impression', 'c1', 'u1', H6 + MIN, 'ios'),
  play('e6', 't1', 'u2', H5 + 5 * MIN),
  play('e7', 't1', 'u2', H6 + 5 * MIN),
  pageView('e8', D2 + MIN, { user_id: 'u4', device_type: 'android' }),
];
const ROWS: SilverRow[] = EVENTS.map((event) => toSilverRow(event, KEY));

describe('Gold of Silver rows', () => {
  it('equals the ground truth of the same events, counting users by user_key', () => {
    expect(goldTables(ROWS)).toEqual(computeTruth(EVENTS).tables);
  });

  it('computes ctr_hourly of an hour', () => {
    expect(goldHour(ROWS.filter((r) => r.hr === '05' && r.dt === '2026-11-22'), '2026-11-22T05')).toEqual([
      { campaign_id: 'c1', impressions: 2, clicks: 1, ctr: 0.5, dt: '2026-11-22', hr: '05' },
      { campaign_id: 'c2', impressions: 0, clicks: 1, ctr: null, dt: '2026-11-22', hr: '05' },
    ]);
    expect(goldHour([], '2026-11-22T07')).toEqual([]);
  });

  it('computes the daily tables of a day', () => {
    expect(goldDay(ROWS.filter((r) => r.dt === '2026-11-22'), '2026-11-22')).toEqual({
      campaign_daily: [
        { campaign_id: 'c1', impressions: 3, clicks: 1, ctr: 1 / 3, unique_users: 2, dt: '2026-11-22' },
        { campaign_id: 'c2', impressions: 0, clicks: 1, ctr: null, unique_users: 1, dt: '2026-11-22' },
      ],
      dau_daily: [
        { device_type: 'all', dau: 3, dt: '2026-11-22' },
        { device_type: 'ios', dau: 2, dt: '2026-11-22' },
        { device_type: 'other', dau: 1, dt: '2026-11-22' },
        { device_type: 'tv', dau: 1, dt: '2026-11-22' },
        { device_type: 'web', dau: 1, dt: '2026-11-22' },
      ],
      title_plays_daily: [{ title_id: 't1', plays: 2, unique_viewers: 1, dt: '2026-11-22' }],
    });
  });

  it('counts a user once a day across keys of the same user, and twice under two keys', () => {
    const twice = [toSilverRow(EVENTS[0]!, KEY), toSilverRow(EVENTS[2]!, KEY)];
    const rekeyed = [toSilverRow(EVENTS[0]!, KEY), toSilverRow(EVENTS[2]!, { hmacKey: 'another' })];
    expect([goldDay(twice, '2026-11-22').campaign_daily[0]?.unique_users, goldDay(rekeyed, '2026-11-22').campaign_daily[0]?.unique_users]).toEqual([1, 2]);
  });

  it.each<[() => unknown, string]>([
    [() => goldHour(ROWS, '2026-11-22T05'), 'gold hour 2026-11-22T05: event e5 is of another hour'],
    [() => goldDay(ROWS, '2026-11-23'), 'gold day 2026-11-23: event e1 is of another day'],
    [() => goldHour([], '2026-11-22T5'), 'hour: expected YYYY-MM-DDTHH (UTC), got "2026-11-22T5"'],
    [() => goldDay([], '2026-11-31'), 'day: expected YYYY-MM-DD, got "2026-11-31"'],
  ])('refuses rows of another partition: %s', (run, message) => {
    expect(run).toThrow(message);
  });
});
