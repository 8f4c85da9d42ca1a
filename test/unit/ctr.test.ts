import { parseConfig } from '../../core/config';
import {
  aggregateCtr,
  bucketExpiresAtSec,
  bucketKey,
  ctrContribution,
  ctrScriptCall,
  ctrSettings,
  minuteLabel,
  minuteOf,
  minutesOfHour,
  minuteStamp,
  offsetKey,
  parseApplyReply,
  planCtrApply,
  realtimeCtrBody,
  realtimeMinutes,
  seenKey,
  sumBuckets,
  type CtrEventFields,
  type CtrRecord,
} from '../../core/ctr';
import { BadInputError } from '../../core/errors';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 5, 41); // 2026-11-22T05:41:00Z
const M0 = T0 / MIN;
const HOUR = 60 * MIN;

function ev(event_id: string, event_type: CtrEventFields['event_type'], campaign_id: string | null, event_time: number, quarantine_reason: string | null = null): CtrEventFields {
  return { event_id, event_type, event_time, campaign_id, quarantine_reason };
}
const imp = (id: string, campaign: string, time: number): CtrEventFields => ev(id, 'ad_impression', campaign, time);
const click = (id: string, campaign: string, time: number): CtrEventFields => ev(id, 'ad_click', campaign, time);

describe('minute math', () => {
  it.each([
    [T0, M0, '202611220541', '2026-11-22T05:41:00Z'],
    [T0 + 59_999, M0, '202611220541', '2026-11-22T05:41:00Z'],
    [T0 + 60_000, M0 + 1, '202611220542', '2026-11-22T05:42:00Z'],
    [T0 - 1, M0 - 1, '202611220540', '2026-11-22T05:40:00Z'],
    [Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2026, 11, 31, 23, 59) / MIN, '202612312359', '2026-12-31T23:59:00Z'],
    [0, 0, '197001010000', '1970-01-01T00:00:00Z'],
  ])('instant %d is minute %d, stamped %s, labelled %s', (ms, minute, stamp, label) => {
    expect([minuteOf(ms), minuteStamp(minuteOf(ms)), minuteLabel(minuteOf(ms))]).toEqual([minute, stamp, label]);
  });

  it('expires a bucket the retention after its minute ends, in whole seconds', () => {
    expect(bucketExpiresAtSec(M0, 48 * HOUR)).toBe((T0 + MIN + 48 * HOUR) / 1000);
    expect(bucketExpiresAtSec(M0, 1500)).toBe(Math.ceil((T0 + MIN + 1500) / 1000));
  });

  it('lists the 60 minutes of an hour and refuses a bad hour key', () => {
    const minutes = minutesOfHour('2026-11-22T05');
    expect([minutes.length, minuteLabel(minutes[0] as number), minuteLabel(minutes[59] as number)]).toEqual([60, '2026-11-22T05:00:00Z', '2026-11-22T05:59:00Z']);
    expect(() => minutesOfHour('2026-11-22T24')).toThrow(BadInputError);
  });
});

describe('keys', () => {
  it('lays out buckets, offsets and dedup marks under the prefix', () => {
    expect([bucketKey('ctr', M0), offsetKey('ctr', 'clicklake.events', 7), seenKey('ctr', 'e-1')]).toEqual([
      'ctr:m:202611220541',
      'ctr:offset:clicklake.events:7',
      'ctr:seen:e-1',
    ]);
  });
});

describe('what an event adds', () => {
  it.each([
    ['an impression', imp('e1', 'c1', T0 + 5), { campaignId: 'c1', minute: M0, counter: 'impressions' }],
    ['a click', click('e1', 'c1', T0 + 5), { campaignId: 'c1', minute: M0, counter: 'clicks' }],
    ['a page view', ev('e1', 'page_view', null, T0), undefined],
    ['a video play with a campaign', ev('e1', 'video_play', 'c1', T0), undefined],
    ['an ad event without a campaign', ev('e1', 'ad_click', null, T0), undefined],
    ['a quarantined impression', ev('e1', 'ad_impression', 'c1', T0, 'event_time: older than the allowed lateness'), undefined],
  ])('%s', (_name, event, expected) => {
    expect(ctrContribution(event)).toEqual(expected);
  });
});

describe('aggregateCtr', () => {
  it('counts ad events per campaign and minute, each event_id once, never quarantined or non-ad events', () => {
    const events = [
      imp('e1', 'c1', T0 + 1000),
      imp('e2', 'c1', T0 + 59_000),
      click('e3', 'c1', T0 + 30_000),
      imp('e1', 'c1', T0 + 1000), // duplicate
      imp('e4', 'c1', T0 + MIN), // next minute
      click('e5', 'c2', T0), // clicks without impressions
      ev('e6', 'ad_impression', 'c2', T0, 'event_time: older than the allowed lateness'),
      ev('e7', 'page_view', null, T0),
      ev('e8', 'video_play', 'c1', T0),
      click('e3', 'c1', T0 + 30_000), // duplicate
    ];
    expect(aggregateCtr(events)).toEqual([
      { campaign_id: 'c1', minute: '2026-11-22T05:41:00Z', impressions: 2, clicks: 1 },
      { campaign_id: 'c2', minute: '2026-11-22T05:41:00Z', impressions: 0, clicks: 1 },
      { campaign_id: 'c1', minute: '2026-11-22T05:42:00Z', impressions: 1, clicks: 0 },
    ]);
  });

  it('gives nothing for nothing countable', () => {
    expect(aggregateCtr([ev('e7', 'page_view', null, T0)])).toEqual([]);
  });
});

describe('planCtrApply and ctrScriptCall', () => {
  const NOW = T0 + 5 * MIN;
  const options = { prefix: 'p', nowMs: NOW, retentionMs: 48 * HOUR };
  const records: CtrRecord[] = [
    { offset: 10, event: imp('e1', 'c1', T0) },
    { offset: 11, event: null }, // a dead letter
    { offset: 12, event: ev('e2', 'page_view', null, T0) },
    { offset: 13, event: click('e3', 'c1', T0 + MIN) },
    { offset: 14, event: imp('e1', 'c1', T0) }, // a duplicate: the script decides
    { offset: 15, event: imp('e4', 'c2', T0) },
    { offset: 16, event: imp('e5', 'c1', NOW - 49 * HOUR) }, // past retention
  ];

  it('plans the whole offset range with one counter per (minute, campaign, kind) and one entry per countable event', () => {
    expect(planCtrApply(records, options)).toEqual({
      firstOffset: 10,
      lastOffset: 16,
      buckets: [
        { key: 'p:m:202611220541', expiresAtSec: (T0 + MIN + 48 * HOUR) / 1000 },
        { key: 'p:m:202611220542', expiresAtSec: (T0 + 2 * MIN + 48 * HOUR) / 1000 },
      ],
      counters: [
        { bucket: 0, field: 'i:c1' },
        { bucket: 1, field: 'c:c1' },
        { bucket: 0, field: 'i:c2' },
      ],
      seenKeys: ['p:seen:e1', 'p:seen:e3', 'p:seen:e1', 'p:seen:e4'],
      counterOf: [0, 1, 0, 2],
      expired: 1,
    });
  });

  it('leaves out records at or below afterOffset, and gives nothing when none is left', () => {
    const plan = planCtrApply(records, { ...options, afterOffset: 13 });
    expect([plan?.firstOffset, plan?.lastOffset, plan?.seenKeys, plan?.counters]).toEqual([
      14,
      16,
      ['p:seen:e1', 'p:seen:e4'],
      [
        { bucket: 0, field: 'i:c1' },
        { bucket: 0, field: 'i:c2' },
      ],
    ]);
    expect(planCtrApply(records, { ...options, afterOffset: 16 })).toBeUndefined();
    expect(planCtrApply([], options)).toBeUndefined();
  });

  it('covers a batch of dead letters only, so their offsets count as applied', () => {
    expect(planCtrApply([{ offset: 3, event: null }], options)).toEqual({
      firstOffset: 3,
      lastOffset: 3,
      buckets: [],
      counters: [],
      seenKeys: [],
      counterOf: [],
      expired: 0,
    });
  });

  it('lays the plan out as the script arguments, numbers 1-based', () => {
    const plan = planCtrApply(records.slice(0, 4), options);
    expect(plan && ctrScriptCall(plan, { offsetKey: 'p:offset:t:0', dedupSeconds: 600, floor: 0 })).toEqual({
      keys: ['p:offset:t:0'],
      args: [
        '10', '13', '0', '600', '2', '2',
        'p:m:202611220541', String((T0 + MIN + 48 * HOUR) / 1000),
        'p:m:202611220542', String((T0 + 2 * MIN + 48 * HOUR) / 1000),
        '1', 'i:c1',
        '2', 'c:c1',
        'p:seen:e1', '1',
        'p:seen:e3', '2',
      ],
    });
  });
});

describe('parseApplyReply', () => {
  it.each([
    [[1, 40, 2], { kind: 'applied', counted: 40, duplicates: 2 }],
    [[0, 99, 0], { kind: 'overlap', stored: 99 }],
    [[2, -1, 0], { kind: 'gap', stored: -1 }],
  ])('reads %j', (reply, outcome) => {
    expect(parseApplyReply(reply)).toEqual(outcome);
  });

  it.each([[null], ['OK'], [[3, 0, 0]], [[1, '2', 0]]])('refuses %j', (reply) => {
    expect(() => parseApplyReply(reply)).toThrow('ctr apply script: unexpected reply');
  });
});

describe('read side', () => {
  it('reads the last N minutes up to the current one, ascending', () => {
    expect(realtimeMinutes(T0 + 30_000, 3)).toEqual([M0 - 2, M0 - 1, M0]);
    expect(realtimeMinutes(T0, 1)).toEqual([M0]);
  });

  it.each([0, -1, 2.5, 2881])('refuses a window of %d minutes', (minutes) => {
    expect(() => realtimeMinutes(T0, minutes)).toThrow(new BadInputError(`minutes: must be a whole number from 1 to 2880, got ${minutes}`));
  });

  it('builds the CONTRACT §2 body, zero-filled, ctr null without impressions', () => {
    expect(realtimeCtrBody('c1', T0 + 30_000, [M0 - 2, M0 - 1, M0], [['10', '1'], [null, null], [null, '2']])).toEqual({
      campaign_id: 'c1',
      as_of: '2026-11-22T05:41:30.000Z',
      buckets: [
        { minute: '2026-11-22T05:39:00Z', impressions: 10, clicks: 1, ctr: 0.1 },
        { minute: '2026-11-22T05:40:00Z', impressions: 0, clicks: 0, ctr: null },
        { minute: '2026-11-22T05:41:00Z', impressions: 0, clicks: 2, ctr: null },
      ],
    });
  });

  it('sums minute buckets per campaign, sorted, ignoring foreign fields', () => {
    expect(sumBuckets([{ 'i:c2': '3', 'c:c2': '1', 'i:c1': '5' }, {}, { 'i:c1': '2', 'c:c1': '1', other: '9' }])).toEqual([
      { campaign_id: 'c1', impressions: 7, clicks: 1 },
      { campaign_id: 'c2', impressions: 3, clicks: 1 },
    ]);
  });
});

describe('ctrSettings', () => {
  it('takes the horizon and retention from the config, in seconds and milliseconds', () => {
    const config = parseConfig({ CLICKLAKE_CTR_RETENTION_HOURS: '72', CLICKLAKE_CTR_DEDUP_MINUTES: '15', CLICKLAKE_EVENTS_TOPIC: 'ev' }, '/home/ann');
    expect(ctrSettings(config)).toEqual({
      topic: 'ev',
      deadLetterTopic: 'clicklake.events.dead-letter',
      group: 'clicklake-ctr',
      keyPrefix: 'ctr',
      retentionMs: 72 * HOUR,
      dedupSeconds: 900,
    });
  });
});
