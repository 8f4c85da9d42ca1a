/**
 * core/truthRules against CONTRACT §1, rule by rule (the expected verdicts are read from the contract,
 * not from core/event.ts), then against core/event.ts on generated traffic, event by event, so that
 * either side drifting from the other fails here.
 */
import { isDeepStrictEqual } from 'node:util';
import { defaultValidationContext, validateEvent } from '../../core/event';
import { createTrafficModel } from '../../core/generator';
import { judgeEvent, rfc3339Ms, type JudgedEvent } from '../../core/truthRules';

const NOW = Date.UTC(2026, 10, 22, 5, 41);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

const VIEW = { event_id: 'e1', event_type: 'page_view', event_time: NOW, user_id: 'u1' };
const IMPRESSION = { ...VIEW, event_type: 'ad_impression', campaign_id: 'c1', ad_id: 'a1' };
const PLAY = { ...VIEW, event_type: 'video_play', title_id: 't1' };

const fieldsOf = (event: unknown, received = NOW): string[] => {
  const verdict = judgeEvent(event, received);
  return verdict.valid ? [] : verdict.fields;
};
const without = (event: object, field: string): Record<string, unknown> => Object.fromEntries(Object.entries(event).filter(([k]) => k !== field));
const x = (n: number): string => 'x'.repeat(n);

/** [what, event as sent, fields at fault]: each rule of CONTRACT §1 at and past its bound. */
const CASES: Array<[string, unknown, string[]]> = [
  ['a minimal page_view', VIEW, []],
  ['not an object', [VIEW], ['event']],
  ['null', null, ['event']],
  // event_id: string, 1–64 chars, required
  ['event_id missing', without(VIEW, 'event_id'), ['event_id']],
  ['event_id null (required)', { ...VIEW, event_id: null }, ['event_id']],
  ['event_id empty', { ...VIEW, event_id: '' }, ['event_id']],
  ['event_id of 64 chars', { ...VIEW, event_id: x(64) }, []],
  ['event_id of 65 chars', { ...VIEW, event_id: x(65) }, ['event_id']],
  ['event_id of 64 code points (emoji)', { ...VIEW, event_id: '😀'.repeat(64) }, []],
  ['event_id a number', { ...VIEW, event_id: 7 }, ['event_id']],
  // event_type: one of seven
  ...['ad_impression', 'ad_click', 'page_view', 'video_play', 'video_pause', 'video_seek', 'heartbeat'].map(
    (type): [string, unknown, string[]] => [`event_type ${type}`, { ...VIEW, campaign_id: 'c', ad_id: 'a', title_id: 't', event_type: type }, []],
  ),
  ['event_type unknown', { ...VIEW, event_type: 'ad_hover' }, ['event_type']],
  ['event_type upper case', { ...VIEW, event_type: 'PAGE_VIEW' }, ['event_type']],
  ['event_type missing', without(VIEW, 'event_type'), ['event_type']],
  // event_time: RFC 3339 or epoch ms, required, at most 15 minutes ahead of receipt
  ['event_time missing', without(VIEW, 'event_time'), ['event_time']],
  ['event_time RFC 3339 Z', { ...VIEW, event_time: '2026-11-22T05:41:00Z' }, []],
  ['event_time RFC 3339 with offset and fraction', { ...VIEW, event_time: '2026-11-22T07:41:00.123+02:00' }, []],
  ['event_time without a zone', { ...VIEW, event_time: '2026-11-22T05:41:00' }, ['event_time']],
  ['event_time a day that does not exist', { ...VIEW, event_time: '2026-02-29T05:41:00Z' }, ['event_time']],
  ['event_time not a date', { ...VIEW, event_time: '22/11/2026 05:41' }, ['event_time']],
  ['event_time a fractional number', { ...VIEW, event_time: NOW + 0.5 }, ['event_time']],
  ['event_time epoch seconds (before 2000)', { ...VIEW, event_time: Math.floor(NOW / 1000) }, ['event_time']],
  ['event_time a boolean', { ...VIEW, event_time: true }, ['event_time']],
  ['event_time 15 minutes ahead', { ...VIEW, event_time: NOW + 15 * MIN }, []],
  ['event_time 15 minutes and 1 ms ahead', { ...VIEW, event_time: NOW + 15 * MIN + 1 }, ['event_time']],
  // older than the allowed lateness (7 days): accepted, quarantined (the test below tells them apart)
  ['event_time 7 days old', { ...VIEW, event_time: NOW - 7 * DAY }, []],
  ['event_time 7 days and 1 ms old', { ...VIEW, event_time: NOW - 7 * DAY - 1 }, []],
  // user_id: string, 1–128, required
  ['user_id missing', without(VIEW, 'user_id'), ['user_id']],
  ['user_id a number', { ...VIEW, user_id: 12345 }, ['user_id']],
  ['user_id of 128', { ...VIEW, user_id: x(128) }, []],
  ['user_id of 129', { ...VIEW, user_id: x(129) }, ['user_id']],
  // session_id, placement: optional ≤ 128
  ['session_id of 129', { ...VIEW, session_id: x(129) }, ['session_id']],
  ['session_id null (absent)', { ...VIEW, session_id: null }, []],
  ['placement of 129', { ...VIEW, placement: x(129) }, ['placement']],
  // campaign_id, ad_id: required for ad events
  ['an ad_impression', IMPRESSION, []],
  ['ad_impression without campaign_id', without(IMPRESSION, 'campaign_id'), ['campaign_id']],
  ['ad_click without ad_id', { ...without(IMPRESSION, 'ad_id'), event_type: 'ad_click' }, ['ad_id']],
  ['ad_impression with campaign_id of 129', { ...IMPRESSION, campaign_id: x(129) }, ['campaign_id']],
  ['page_view without campaign_id', VIEW, []],
  // title_id: required for video_*
  ['a video_play', PLAY, []],
  ['video_play without title_id', without(PLAY, 'title_id'), ['title_id']],
  ['video_seek without title_id', { ...without(PLAY, 'title_id'), event_type: 'video_seek' }, ['title_id']],
  ['heartbeat without title_id', { ...VIEW, event_type: 'heartbeat' }, []],
  // position_ms: integer ≥ 0
  ['position_ms 0', { ...PLAY, event_type: 'video_seek', position_ms: 0 }, []],
  ['position_ms negative', { ...PLAY, event_type: 'video_seek', position_ms: -1000 }, ['position_ms']],
  ['position_ms fractional', { ...PLAY, event_type: 'video_pause', position_ms: 1.5 }, ['position_ms']],
  ['position_ms a string', { ...PLAY, event_type: 'video_pause', position_ms: '10' }, ['position_ms']],
  // page_url, referrer ≤ 2048; user_agent ≤ 1024
  ['page_url of 2048', { ...VIEW, page_url: x(2048) }, []],
  ['page_url of 2049', { ...VIEW, page_url: x(2049) }, ['page_url']],
  ['referrer empty', { ...VIEW, referrer: '' }, []],
  ['referrer of 2049', { ...VIEW, referrer: x(2049) }, ['referrer']],
  ['user_agent of 1025', { ...VIEW, user_agent: x(1025) }, ['user_agent']],
  // device_type: one of six
  ...['web', 'ios', 'android', 'tv', 'stb', 'other'].map((device): [string, unknown, string[]] => [`device_type ${device}`, { ...VIEW, device_type: device }, []]),
  ['device_type unknown', { ...VIEW, device_type: 'fridge' }, ['device_type']],
  // country: ISO 3166-1 alpha-2
  ['country US', { ...VIEW, country: 'US' }, []],
  ['country lower case', { ...VIEW, country: 'de' }, []],
  ['country alpha-3', { ...VIEW, country: 'USA' }, ['country']],
  // ip, email
  ['ip v4', { ...VIEW, ip: '192.0.2.1' }, []],
  ['ip v6', { ...VIEW, ip: '2001:db8::1' }, []],
  ['ip v6 full', { ...VIEW, ip: '2001:db8:0:0:0:0:0:1' }, []],
  ['ip v6 with a v4 tail', { ...VIEW, ip: '::ffff:192.0.2.1' }, []],
  ['ip v4 out of range', { ...VIEW, ip: '300.1.2.3' }, ['ip']],
  ['ip v4 with a leading zero', { ...VIEW, ip: '192.0.2.01' }, ['ip']],
  ['ip v6 with two ::', { ...VIEW, ip: '2001::db8::1' }, ['ip']],
  ['ip v6 of nine groups', { ...VIEW, ip: '1:2:3:4:5:6:7:8:9' }, ['ip']],
  ['ip with a zone id', { ...VIEW, ip: 'fe80::1%eth0' }, ['ip']],
  ['email', { ...VIEW, email: 'someone@example.com' }, []],
  ['email without @', { ...VIEW, email: 'someone.example.com' }, ['email']],
  ['email without a dotted domain', { ...VIEW, email: 'someone@example' }, ['email']],
  ['email with a space', { ...VIEW, email: 'some one@example.com' }, ['email']],
  // properties: object of string → string, ≤ 50 keys
  ['properties of 50 keys', { ...VIEW, properties: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) }, []],
  ['properties of 51 keys', { ...VIEW, properties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }, ['properties']],
  ['properties with a number', { ...VIEW, properties: { count: 3 } }, ['properties']],
  ['properties an array', { ...VIEW, properties: ['a'] }, ['properties']],
  ['properties with an empty key', { ...VIEW, properties: { '': 'v' } }, ['properties']],
  ['properties with a value of 257', { ...VIEW, properties: { k: x(257) } }, ['properties']],
  // unknown fields are accepted; one event is at most 32 KiB
  ['an unknown field', { ...VIEW, sdk_version: '1.2.3' }, []],
  ['unknown fields past 32 KiB', { ...VIEW, blob: x(33 * 1024) }, ['event']],
  // every broken field is named, once
  ['three faults', { ...VIEW, event_id: '', user_id: 5, device_type: 'fridge' }, ['device_type', 'event_id', 'user_id']],
];

describe('judgeEvent: CONTRACT §1 rule by rule', () => {
  it.each(CASES)('%s', (_, event, fields) => {
    expect(fieldsOf(event)).toEqual(fields);
  });

  it('counts what it judges valid with the fields Gold reads, event_time in epoch ms', () => {
    expect(judgeEvent({ ...IMPRESSION, event_time: '2026-11-22T07:41:00.123+02:00', device_type: 'tv', session_id: null }, NOW)).toEqual({
      valid: true,
      event: {
        event_id: 'e1',
        event_type: 'ad_impression',
        event_time: NOW + 123,
        user_id: 'u1',
        campaign_id: 'c1',
        title_id: null,
        device_type: 'tv',
        quarantine_reason: null,
      } satisfies JudgedEvent,
    });
  });

  it.each<[string, number, boolean]>([
    ['just received', NOW, false],
    ['7 days old', NOW - 7 * DAY, false],
    ['7 days and 1 ms old', NOW - 7 * DAY - 1, true],
    ['a month old', NOW - 30 * DAY, true],
  ])('quarantines, not rejects, an event older than the allowed lateness: %s', (_, eventTime, quarantined) => {
    const verdict = judgeEvent({ ...VIEW, event_time: eventTime }, NOW);
    expect(verdict.valid && verdict.event.quarantine_reason !== null).toBe(quarantined);
    expect(verdict.valid).toBe(true);
  });

  it.each<[string, number | undefined]>([
    ['2026-11-22T05:41:00Z', NOW],
    ['2026-11-22t05:41:00z', NOW],
    ['2026-11-22T05:41:00.1239Z', NOW + 123],
    ['2026-11-22T00:11:00-05:30', NOW],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-01-01T00:00:00Z', Date.UTC(2000, 0, 1)],
    ['1999-12-31T23:59:59Z', Date.UTC(1999, 11, 31, 23, 59, 59)],
    ['2100-02-29T00:00:00Z', undefined],
    ['2026-11-22T24:00:00Z', undefined],
    ['2026-11-22T05:41:60Z', undefined],
    ['2026-11-22T05:41:00+24:00', undefined],
    ['2026-11-22 05:41:00Z', undefined],
    ['2026-11-22T05:41Z', undefined],
  ])('reads RFC 3339 %s', (text, ms) => {
    expect(rfc3339Ms(text)).toBe(ms);
  });
});

/** The two sides' verdicts on one event, in one shape: equal exactly when they agree on everything the truth reads. */
function verdicts(wire: unknown, received: number): { collector: object; truth: object } {
  const collector = validateEvent(wire, defaultValidationContext(received));
  const truth = judgeEvent(wire, received);
  const counted = (e: JudgedEvent, quarantined: boolean): object => ({
    valid: true,
    event_id: e.event_id,
    event_type: e.event_type,
    event_time: e.event_time,
    user_id: e.user_id,
    campaign_id: e.campaign_id,
    title_id: e.title_id,
    device_type: e.device_type,
    quarantined,
  });
  return {
    collector: collector.ok ? counted(collector.event, collector.quarantined) : { valid: false, fields: [...new Set(collector.errors.map((e) => e.split(':')[0]))].sort() },
    truth: truth.valid ? counted(truth.event, truth.event.quarantine_reason !== null) : { valid: false, fields: truth.fields },
  };
}

describe('judgeEvent and core/event.ts agree, event by event', () => {
  it('on every case of the rule table (each rule at and past its bound)', () => {
    const disagreements = CASES.flatMap(([what, wire]) => {
      const { collector, truth } = verdicts(wire, NOW);
      return isDeepStrictEqual(collector, truth) ? [] : [{ what, collector, truth }];
    });
    expect(disagreements).toEqual([]);
  });

  it('on generated traffic: the same verdict, the same fields at fault, the same counted values', () => {
    const model = createTrafficModel({ seed: 77, campaigns: 30, users: 400, titles: 20, malformedFraction: 0.2, duplicateFraction: 0.05, lateFraction: 0.1, tooLateFraction: 0.05 });
    const { events, intents } = model.nextBatch(20_000, NOW);
    const disagreements = events.flatMap((wire, i) => {
      const { collector, truth } = verdicts(wire, NOW);
      return isDeepStrictEqual(collector, truth) ? [] : [{ intent: intents[i], wire, collector, truth }];
    });
    expect(disagreements.slice(0, 5)).toEqual([]);
    // The sample holds every kind of event the two sides could disagree on.
    const kinds = new Set(intents.map((intent) => (intent.kind === 'malformed' ? intent.rule : intent.timeliness)));
    expect(kinds.size).toBe(18 + 3);
  });
});
