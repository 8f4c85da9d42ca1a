import { computeTruth, ctrOf } from '../../core/truth';
import type { EventRecord } from '../../schemas/eventRecord';
import { eventRecord } from './eventFixtures';

const MIN = 60_000;
const H5 = Date.UTC(2026, 10, 22, 5); // 2026-11-22T05
const H6 = H5 + 60 * MIN;
const D2 = Date.UTC(2026, 10, 23); // 2026-11-23T00

function ev(event_id: string, fields: Partial<EventRecord> & Pick<EventRecord, 'event_type' | 'event_time' | 'user_id'>): EventRecord {
  return eventRecord({ event_id, received_time: D2 + 60 * MIN, ...fields });
}

const imp = (id: string, campaign: string, user: string, time: number, device: EventRecord['device_type']): EventRecord =>
  ev(id, { event_type: 'ad_impression', campaign_id: campaign, ad_id: `${campaign}-ad1`, user_id: user, event_time: time, device_type: device });
const click = (id: string, campaign: string, user: string, time: number, device: EventRecord['device_type']): EventRecord =>
  ({ ...imp(id, campaign, user, time, device), event_type: 'ad_click' });
const play = (id: string, title: string, user: string, time: number, device: EventRecord['device_type']): EventRecord =>
  ev(id, { event_type: 'video_play', title_id: title, user_id: user, event_time: time, device_type: device });

/** Received order. Hand-computed expectations below. */
const EVENTS: EventRecord[] = [
  imp('e1', 'c1', 'u1', H5 + 1 * MIN, 'web'),
  imp('e2', 'c1', 'u2', H5 + 2 * MIN, 'ios'),
  click('e3', 'c1', 'u1', H5 + 3 * MIN, 'web'),
  imp('e1', 'c1', 'u1', H5 + 1 * MIN, 'web'), // duplicate
  imp('e4', 'c2', 'u3', H5 + 10 * MIN, null), // absent device_type counts as other
  click('e5', 'c3', 'u1', H6 + 5 * MIN, 'web'), // c3: clicks without impressions
  imp('e6', 'c1', 'u3', H6 + 30 * MIN, null),
  { ...imp('e7', 'c1', 'u4', H5 + 5 * MIN, 'tv'), quarantine_reason: 'event_time: older than the allowed lateness' },
  play('e8', 't1', 'u2', H5 + 20 * MIN, 'ios'),
  play('e9', 't1', 'u2', H6 + 1 * MIN, 'ios'),
  play('e10', 't2', 'u1', H6 + 2 * MIN, 'web'),
  ev('e11', { event_type: 'video_pause', title_id: 't1', position_ms: 5000, user_id: 'u1', event_time: H6 + 3 * MIN, device_type: 'web' }),
  ev('e12', { event_type: 'page_view', user_id: 'u5', event_time: D2 + 10 * MIN, device_type: 'android' }),
  click('e13', 'c1', 'u5', D2 + 11 * MIN, 'android'),
  play('e8', 't1', 'u2', H5 + 20 * MIN, 'ios'), // duplicate
  ev('e14', { event_type: 'page_view', user_id: 'u6', event_time: H6 - 1, device_type: 'stb' }), // last ms of hour 05
  ev('e15', { event_type: 'heartbeat', user_id: 'u6', event_time: D2 - 1, device_type: 'stb' }), // last ms of the day
  ev('e16', { event_type: 'page_view', user_id: 'u1', event_time: H5 + 40 * MIN, device_type: 'ios' }), // u1's second device
];

describe('computeTruth', () => {
  it('computes the four Gold tables of a hand-counted fixture', () => {
    expect(computeTruth(EVENTS)).toEqual({
      stats: { events: 18, duplicates: 2, quarantined: 1, counted: 15 },
      tables: {
        ctr_hourly: [
          { campaign_id: 'c1', impressions: 2, clicks: 1, ctr: 0.5, dt: '2026-11-22', hr: '05' },
          { campaign_id: 'c2', impressions: 1, clicks: 0, ctr: 0, dt: '2026-11-22', hr: '05' },
          { campaign_id: 'c1', impressions: 1, clicks: 0, ctr: 0, dt: '2026-11-22', hr: '06' },
          { campaign_id: 'c3', impressions: 0, clicks: 1, ctr: null, dt: '2026-11-22', hr: '06' },
          { campaign_id: 'c1', impressions: 0, clicks: 1, ctr: null, dt: '2026-11-23', hr: '00' },
        ],
        campaign_daily: [
          { campaign_id: 'c1', impressions: 3, clicks: 1, ctr: 1 / 3, unique_users: 3, dt: '2026-11-22' },
          { campaign_id: 'c2', impressions: 1, clicks: 0, ctr: 0, unique_users: 1, dt: '2026-11-22' },
          { campaign_id: 'c3', impressions: 0, clicks: 1, ctr: null, unique_users: 1, dt: '2026-11-22' },
          { campaign_id: 'c1', impressions: 0, clicks: 1, ctr: null, unique_users: 1, dt: '2026-11-23' },
        ],
        dau_daily: [
          { device_type: 'all', dau: 4, dt: '2026-11-22' },
          { device_type: 'ios', dau: 2, dt: '2026-11-22' },
          { device_type: 'other', dau: 1, dt: '2026-11-22' },
          { device_type: 'stb', dau: 1, dt: '2026-11-22' },
          { device_type: 'web', dau: 1, dt: '2026-11-22' },
          { device_type: 'all', dau: 1, dt: '2026-11-23' },
          { device_type: 'android', dau: 1, dt: '2026-11-23' },
        ],
        title_plays_daily: [
          { title_id: 't1', plays: 2, unique_viewers: 1, dt: '2026-11-22' },
          { title_id: 't2', plays: 1, unique_viewers: 1, dt: '2026-11-22' },
        ],
      },
    });
  });

  it('does not depend on the order of distinct events', () => {
    const distinct = EVENTS.filter((event, i) => EVENTS.findIndex((e) => e.event_id === event.event_id) === i);
    expect(computeTruth([...distinct].reverse()).tables).toEqual(computeTruth(EVENTS).tables);
  });

  it('lets the first received copy of an event_id win', () => {
    const first = imp('e1', 'c1', 'u1', H5, 'web');
    const later = { ...first, campaign_id: 'c9' };
    expect(computeTruth([first, later]).tables.ctr_hourly).toEqual([{ campaign_id: 'c1', impressions: 1, clicks: 0, ctr: 0, dt: '2026-11-22', hr: '05' }]);
  });

  it('gives empty tables for no events', () => {
    expect(computeTruth([])).toEqual({
      stats: { events: 0, duplicates: 0, quarantined: 0, counted: 0 },
      tables: { ctr_hourly: [], campaign_daily: [], dau_daily: [], title_plays_daily: [] },
    });
  });
});

describe('ctrOf', () => {
  it.each<[number, number, number | null]>([
    [0, 0, null],
    [3, 0, null],
    [0, 5, 0],
    [1, 4, 0.25],
    [6, 4, 1.5],
  ])('%d clicks / %d impressions', (clicks, impressions, ctr) => {
    expect(ctrOf(clicks, impressions)).toBe(ctr);
  });
});
