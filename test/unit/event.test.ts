import {
  ALLOWED_LATENESS_MS,
  MAX_EVENT_BYTES,
  MAX_FUTURE_MS,
  defaultValidationContext,
  validateBatch,
  validateEvent,
  type EventValidation,
} from '../../core/event';
import type { EventRecord } from '../../schemas/eventRecord';
import { eventRecord } from './eventFixtures';

const T = Date.UTC(2026, 10, 22, 5, 41, 0); // 2026-11-22T05:41:00Z
const RECEIVED = T + 4 * 60_000;
const ctx = defaultValidationContext(RECEIVED);

/** A valid page_view; cases add, change or (with undefined) remove fields. */
const BASE = { event_id: 'e-1', event_type: 'page_view', event_time: '2026-11-22T05:41:00Z', user_id: 'u-1' };

function input(changes: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...BASE, ...changes };
  for (const key of Object.keys(changes)) if (changes[key] === undefined) delete merged[key];
  return merged;
}

function record(changes: Partial<EventRecord>): EventRecord {
  return eventRecord({ event_id: 'e-1', event_type: 'page_view', event_time: T, user_id: 'u-1', received_time: RECEIVED, ...changes });
}

const accepted = (changes: Partial<EventRecord>): EventValidation => ({ ok: true, event: record(changes), quarantined: false });
const rejected = (...errors: string[]): EventValidation => ({ ok: false, errors });
const AD_CLICK = {
  event_type: 'ad_click',
  campaign_id: 'c1',
  ad_id: 'c1-ad1',
  placement: 'preroll',
  session_id: 's1',
  page_url: 'https://watch.example.com/',
  referrer: 'https://search.example.org/',
  device_type: 'web',
  country: 'US',
  user_agent: 'Mozilla/5.0',
  ip: '198.51.100.1',
  email: 'u1@example.com',
  properties: { experiment: 'b' },
} as const;
const fiftyProperties = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));

describe('validateEvent: accepted', () => {
  it.each<[string, Record<string, unknown>, Partial<EventRecord>]>([
    ['minimal page_view', {}, {}],
    ['event_time in epoch ms', { event_time: T }, {}],
    ['event_time with an offset', { event_time: '2026-11-22T07:41:00+02:00' }, {}],
    ['event_time with a negative offset', { event_time: '2026-11-22T00:11:00-05:30' }, {}],
    ['event_time -00:00 (offset unknown) as UTC', { event_time: '2026-11-22T05:41:00-00:00' }, {}],
    ['event_time lower-case t and z, fraction truncated to ms', { event_time: '2026-11-22t05:41:00.123987z' }, { event_time: T + 123 }],
    ['event_time with one fractional digit', { event_time: '2026-11-22T05:41:00.5Z' }, { event_time: T + 500 }],
    ['event_time exactly 15 minutes ahead', { event_time: RECEIVED + MAX_FUTURE_MS }, { event_time: RECEIVED + MAX_FUTURE_MS }],
    ['event_time exactly the allowed lateness old', { event_time: RECEIVED - ALLOWED_LATENESS_MS }, { event_time: RECEIVED - ALLOWED_LATENESS_MS }],
    ['null optional fields as absent', { session_id: null, device_type: null, properties: null, ip: null }, {}],
    ['country in lower case, normalised', { country: 'de' }, { country: 'DE' }],
    ['country user-assigned but well-formed', { country: 'XK' }, { country: 'XK' }],
    ['empty referrer, page_url and user_agent', { referrer: '', page_url: '', user_agent: '' }, { referrer: '', page_url: '', user_agent: '' }],
    ['event_id of 64 characters', { event_id: 'e'.repeat(64) }, { event_id: 'e'.repeat(64) }],
    ['user_id of 128 code points (256 UTF-16 units)', { user_id: '😀'.repeat(128) }, { user_id: '😀'.repeat(128) }],
    ['ids of 128 characters', { session_id: 's'.repeat(128), placement: 'p'.repeat(128) }, { session_id: 's'.repeat(128), placement: 'p'.repeat(128) }],
    ['urls of 2048 characters', { page_url: 'u'.repeat(2048), referrer: 'r'.repeat(2048) }, { page_url: 'u'.repeat(2048), referrer: 'r'.repeat(2048) }],
    ['user_agent of 1024 characters', { user_agent: 'a'.repeat(1024) }, { user_agent: 'a'.repeat(1024) }],
    ['position_ms 0 on any type', { position_ms: 0 }, { position_ms: 0 }],
    ['ipv4', { ip: '203.0.113.7' }, { ip: '203.0.113.7' }],
    ['ipv6', { ip: '2001:db8::ff00:42:8329' }, { ip: '2001:db8::ff00:42:8329' }],
    ['email', { email: 'someone+tag@mail.example.co.uk' }, { email: 'someone+tag@mail.example.co.uk' }],
    ['50 properties', { properties: fiftyProperties }, { properties: fiftyProperties }],
    ['empty properties', { properties: {} }, { properties: {} }],
    ['every device type', { device_type: 'stb' }, { device_type: 'stb' }],
    ['ad_click with everything', AD_CLICK, AD_CLICK],
    ['video_seek with title and position', { event_type: 'video_seek', title_id: 't1', position_ms: 61_000 }, { event_type: 'video_seek', title_id: 't1', position_ms: 61_000 }],
    ['heartbeat without a title', { event_type: 'heartbeat' }, { event_type: 'heartbeat' }],
    [
      'unknown fields kept as sorted JSON',
      { zeta: 1, sdk: { version: '1.4', name: 'js' }, tags: ['a', 'b'] },
      { extra_json: '{"sdk":{"name":"js","version":"1.4"},"tags":["a","b"],"zeta":1}' },
    ],
    [
      'collector-stamped names sent by a client are unknown fields',
      { received_time: 1, quarantine_reason: 'x', extra_json: '{}' },
      { extra_json: '{"extra_json":"{}","quarantine_reason":"x","received_time":1}' },
    ],
    ['an unknown field named __proto__ stays a field', JSON.parse('{"__proto__": {"a": 1}}') as Record<string, unknown>, { extra_json: '{"__proto__":{"a":1}}' }],
    ['a properties key named __proto__ stays a key', { properties: JSON.parse('{"__proto__": "x"}') as unknown }, { properties: JSON.parse('{"__proto__": "x"}') as Record<string, string> }],
  ])('%s', (_name, changes, expected) => {
    expect(validateEvent(input(changes), ctx)).toEqual(accepted(expected));
  });

  it('keeps an event older than the allowed lateness, quarantined', () => {
    const eventTime = RECEIVED - ALLOWED_LATENESS_MS - 1;
    expect(validateEvent(input({ event_time: eventTime }), ctx)).toEqual({
      ok: true,
      quarantined: true,
      event: record({
        event_time: eventTime,
        quarantine_reason: 'event_time: older than the allowed lateness (604800001 ms before receipt, at most 604800000 ms allowed)',
      }),
    });
  });

  it('accepts 2000-01-01T00:00:00Z, the earliest event_time', () => {
    const y2k = 946_684_800_000;
    expect(validateEvent(input({ event_time: y2k }), defaultValidationContext(y2k))).toEqual(accepted({ event_time: y2k, received_time: y2k }));
  });

  it('uses the limits of its context', () => {
    const strict = { receivedAtMs: RECEIVED, allowedLatenessMs: 60_000, maxFutureMs: 0 };
    expect(validateEvent(input({ event_time: RECEIVED + 1 }), strict)).toEqual(rejected('event_time: in the future (1 ms after receipt, at most 0 ms allowed)'));
    const late = validateEvent(input({ event_time: RECEIVED - 60_001 }), strict);
    expect(late.ok && late.quarantined).toBe(true);
  });
});

describe('validateEvent: rejected', () => {
  it.each<[string, unknown, string[]]>([
    ['null', null, ['event: must be a JSON object, got null']],
    ['an array', [BASE], ['event: must be a JSON object, got array']],
    ['a string', 'event', ['event: must be a JSON object, got string']],
    ['a number', 7, ['event: must be a JSON object, got number']],
  ])('not an object: %s', (_name, value, errors) => {
    expect(validateEvent(value, ctx)).toEqual(rejected(...errors));
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    // event_id
    ['event_id missing', { event_id: undefined }, ['event_id: required']],
    ['event_id null', { event_id: null }, ['event_id: required']],
    ['event_id empty', { event_id: '' }, ['event_id: must be 1–64 characters, got 0']],
    ['event_id too long', { event_id: 'e'.repeat(80) }, ['event_id: must be 1–64 characters, got 80']],
    ['event_id a number', { event_id: 17 }, ['event_id: must be a string, got number']],
    // event_type
    ['event_type missing', { event_type: undefined }, ['event_type: required']],
    ['event_type unknown', { event_type: 'click' }, ['event_type: must be one of ad_impression, ad_click, page_view, video_play, video_pause, video_seek, heartbeat']],
    ['event_type in upper case', { event_type: 'PAGE_VIEW' }, ['event_type: must be one of ad_impression, ad_click, page_view, video_play, video_pause, video_seek, heartbeat']],
    ['event_type a number', { event_type: 3 }, ['event_type: must be one of ad_impression, ad_click, page_view, video_play, video_pause, video_seek, heartbeat']],
    // event_time
    ['event_time missing', { event_time: undefined }, ['event_time: required']],
    ['event_time words', { event_time: 'yesterday' }, ['event_time: must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z']],
    ['event_time without a zone', { event_time: '2026-11-22T05:41:00' }, ['event_time: must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z']],
    ['event_time without seconds', { event_time: '2026-11-22T05:41Z' }, ['event_time: must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z']],
    ['event_time with a space', { event_time: '2026-11-22 05:41:00Z' }, ['event_time: must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z']],
    ['event_time date only', { event_time: '2026-11-22' }, ['event_time: must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z']],
    ['event_time Feb 30', { event_time: '2026-02-30T00:00:00Z' }, ['event_time: must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z']],
    ['event_time hour 24', { event_time: '2026-11-22T24:00:00Z' }, ['event_time: must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z']],
    ['event_time second 60', { event_time: '2026-11-22T05:41:60Z' }, ['event_time: must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z']],
    ['event_time offset +24:00', { event_time: '2026-11-22T05:41:00+24:00' }, ['event_time: must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z']],
    ['event_time digits as a string', { event_time: String(T) }, ['event_time: must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z']],
    ['event_time a fraction of a ms', { event_time: T + 0.5 }, ['event_time: epoch milliseconds must be an integer']],
    ['event_time NaN', { event_time: Number.NaN }, ['event_time: epoch milliseconds must be an integer']],
    ['event_time Infinity', { event_time: Number.POSITIVE_INFINITY }, ['event_time: epoch milliseconds must be an integer']],
    ['event_time a boolean', { event_time: true }, ['event_time: must be an RFC 3339 string or epoch milliseconds, got boolean']],
    ['event_time an object', { event_time: { ms: T } }, ['event_time: must be an RFC 3339 string or epoch milliseconds, got object']],
    ['event_time in epoch seconds', { event_time: Math.floor(T / 1000) }, ['event_time: before 2000-01-01T00:00:00Z (epoch seconds instead of milliseconds?)']],
    ['event_time in 1999', { event_time: '1999-12-31T23:59:59Z' }, ['event_time: before 2000-01-01T00:00:00Z']],
    ['event_time negative', { event_time: -1 }, ['event_time: before 2000-01-01T00:00:00Z']],
    ['event_time in the future', { event_time: RECEIVED + MAX_FUTURE_MS + 1 }, ['event_time: in the future (900001 ms after receipt, at most 900000 ms allowed)']],
    ['event_time in the year 9999', { event_time: '9999-12-31T23:59:59Z' }, [`event_time: in the future (${Date.UTC(9999, 11, 31, 23, 59, 59) - RECEIVED} ms after receipt, at most 900000 ms allowed)`]],
    // user_id
    ['user_id missing', { user_id: undefined }, ['user_id: required']],
    ['user_id empty', { user_id: '' }, ['user_id: must be 1–128 characters, got 0']],
    ['user_id too long', { user_id: 'u'.repeat(129) }, ['user_id: must be 1–128 characters, got 129']],
    ['user_id a number', { user_id: 42 }, ['user_id: must be a string, got number']],
    // optional ids
    ['session_id empty', { session_id: '' }, ['session_id: must be 1–128 characters, got 0']],
    ['session_id too long', { session_id: 's'.repeat(129) }, ['session_id: must be 1–128 characters, got 129']],
    ['session_id a number', { session_id: 1 }, ['session_id: must be a string, got number']],
    ['placement too long', { placement: 'p'.repeat(200) }, ['placement: must be 1–128 characters, got 200']],
    ['title_id too long on a page_view', { title_id: 't'.repeat(129) }, ['title_id: must be 1–128 characters, got 129']],
    // type-specific requirements
    ['ad_impression without campaign_id', { event_type: 'ad_impression', ad_id: 'a' }, ['campaign_id: required for ad_impression']],
    ['ad_click without ad_id', { event_type: 'ad_click', campaign_id: 'c' }, ['ad_id: required for ad_click']],
    ['ad_click without either', { event_type: 'ad_click' }, ['campaign_id: required for ad_click', 'ad_id: required for ad_click']],
    ['ad_click with an empty campaign_id', { event_type: 'ad_click', campaign_id: '', ad_id: 'a' }, ['campaign_id: must be 1–128 characters, got 0']],
    ['ad_click with campaign_id too long', { event_type: 'ad_click', campaign_id: 'c'.repeat(129), ad_id: 'a' }, ['campaign_id: must be 1–128 characters, got 129']],
    ['video_play without title_id', { event_type: 'video_play' }, ['title_id: required for video_play']],
    ['video_pause without title_id', { event_type: 'video_pause', position_ms: 5 }, ['title_id: required for video_pause']],
    ['video_seek with a null title_id', { event_type: 'video_seek', title_id: null }, ['title_id: required for video_seek']],
    // position_ms
    ['position_ms negative', { position_ms: -1 }, ['position_ms: must be an integer ≥ 0, got -1']],
    ['position_ms a fraction', { position_ms: 1.5 }, ['position_ms: must be an integer ≥ 0, got 1.5']],
    ['position_ms a string', { position_ms: '10' }, ['position_ms: must be an integer ≥ 0, got string']],
    // urls and user_agent
    ['page_url too long', { page_url: 'u'.repeat(2049) }, ['page_url: must be at most 2048 characters, got 2049']],
    ['referrer too long', { referrer: 'r'.repeat(2049) }, ['referrer: must be at most 2048 characters, got 2049']],
    ['page_url an object', { page_url: { href: 'x' } }, ['page_url: must be a string, got object']],
    ['user_agent too long', { user_agent: 'a'.repeat(1025) }, ['user_agent: must be at most 1024 characters, got 1025']],
    // device_type
    ['device_type unknown', { device_type: 'fridge' }, ['device_type: must be one of web, ios, android, tv, stb, other']],
    ['device_type in upper case', { device_type: 'Web' }, ['device_type: must be one of web, ios, android, tv, stb, other']],
    ['device_type a number', { device_type: 1 }, ['device_type: must be one of web, ios, android, tv, stb, other']],
    // country
    ['country alpha-3', { country: 'USA' }, ['country: must be an ISO 3166-1 alpha-2 code (two letters)']],
    ['country one letter', { country: 'U' }, ['country: must be an ISO 3166-1 alpha-2 code (two letters)']],
    ['country digits', { country: '12' }, ['country: must be an ISO 3166-1 alpha-2 code (two letters)']],
    ['country non-ASCII letters', { country: 'ÜÖ' }, ['country: must be an ISO 3166-1 alpha-2 code (two letters)']],
    ['country a number', { country: 49 }, ['country: must be a string, got number']],
    // personal data
    ['ip malformed', { ip: '300.1.2.3' }, ['ip: must be an IPv4 or IPv6 address']],
    ['ip a host name', { ip: 'localhost' }, ['ip: must be an IPv4 or IPv6 address']],
    ['ip a number', { ip: 2130706433 }, ['ip: must be a string, got number']],
    ['email without @', { email: 'someone.example.com' }, ['email: must be an email address']],
    ['email without a dotted domain', { email: 'someone@localhost' }, ['email: must be an email address']],
    ['email an array', { email: ['a@b.c'] }, ['email: must be a string, got array']],
    // properties
    ['properties an array', { properties: ['a'] }, ['properties: must be an object of string values, got array']],
    ['properties a string', { properties: 'a=b' }, ['properties: must be an object of string values, got string']],
    ['properties 51 keys', { properties: { ...fiftyProperties, k50: 'v' } }, ['properties: at most 50 keys, got 51']],
    ['properties an empty key', { properties: { '': 'v', ok: 'v' } }, ['properties: keys must be 1–128 characters (1 are not)']],
    ['properties a key too long', { properties: { ['k'.repeat(129)]: 'v' } }, ['properties: keys must be 1–128 characters (1 are not)']],
    ['properties non-string values', { properties: { n: 1, b: true, o: {}, s: 's' } }, ['properties: values must be strings (3 are not)']],
    ['properties a null value', { properties: { n: null } }, ['properties: values must be strings (1 are not)']],
    ['properties a value too long', { properties: { v: 'v'.repeat(257) } }, ['properties: values must be at most 256 characters (1 are longer)']],
    // everything at once: all errors, in field order
    [
      'many faults at once',
      { event_id: '', event_type: 'ad_click', event_time: 'soon', user_id: 5, ad_id: 'a', position_ms: -3, device_type: 'car', country: 'x', ip: '1.2.3', properties: [] },
      [
        'event_id: must be 1–64 characters, got 0',
        'event_time: must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z',
        'user_id: must be a string, got number',
        'campaign_id: required for ad_click',
        'position_ms: must be an integer ≥ 0, got -3',
        'device_type: must be one of web, ios, android, tv, stb, other',
        'country: must be an ISO 3166-1 alpha-2 code (two letters)',
        'ip: must be an IPv4 or IPv6 address',
        'properties: must be an object of string values, got array',
      ],
    ],
  ])('%s', (_name, changes, errors) => {
    expect(validateEvent(input(changes), ctx)).toEqual(rejected(...errors));
  });

  it('refuses an event larger than MAX_EVENT_BYTES as JSON, counting UTF-8 bytes', () => {
    const big = input({ notes: 'é'.repeat(MAX_EVENT_BYTES / 2) });
    const bytes = Buffer.byteLength(JSON.stringify(big), 'utf8');
    expect(validateEvent(big, ctx)).toEqual(rejected(`event: must be at most 32768 bytes as JSON, got ${bytes}`));
  });

  it('admits the largest all-ASCII event the field limits allow', () => {
    const largest = input({
      event_id: 'e'.repeat(64),
      event_type: 'ad_click',
      event_time: '2026-11-22T05:41:00.000+00:00',
      user_id: 'u'.repeat(128),
      ...Object.fromEntries(['session_id', 'campaign_id', 'ad_id', 'placement', 'title_id'].map((f) => [f, 'i'.repeat(128)])),
      position_ms: Number.MAX_SAFE_INTEGER,
      page_url: 'p'.repeat(2048),
      referrer: 'r'.repeat(2048),
      device_type: 'android',
      country: 'US',
      user_agent: 'a'.repeat(1024),
      ip: 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255',
      email: `${'m'.repeat(64)}@${'d'.repeat(185)}.com`,
      properties: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}`.padEnd(128, 'k'), 'v'.repeat(256)])),
    });
    expect(Buffer.byteLength(JSON.stringify(largest))).toBeLessThan(MAX_EVENT_BYTES);
    expect(validateEvent(largest, ctx).ok).toBe(true);
  });

  it('never repeats personal data in its messages', () => {
    const secrets = { user_id: 'alice@example.com'.repeat(10), ip: '10.0.0.999', email: 'alice at example dot com' };
    const result = validateEvent(input(secrets), ctx);
    expect(result.ok).toBe(false);
    const text = JSON.stringify(result);
    for (const value of Object.values(secrets)) expect(text).not.toContain(value);
  });
});

describe('validateBatch', () => {
  it.each<[string, unknown, 400 | 413, string]>([
    ['null', null, 400, 'body: must be a JSON object with an "events" array, got null'],
    ['an array', [BASE], 400, 'body: must be a JSON object with an "events" array, got array'],
    ['a string', 'events', 400, 'body: must be a JSON object with an "events" array, got string'],
    ['no events', { event: [BASE] }, 400, 'events: required'],
    ['events null', { events: null }, 400, 'events: must be an array, got null'],
    ['events an object', { events: BASE }, 400, 'events: must be an array, got object'],
    ['events empty', { events: [] }, 400, 'events: must not be empty'],
    ['1001 events', { events: Array.from({ length: 1001 }, () => BASE) }, 413, 'events: at most 1000 per request, got 1001'],
  ])('shape error: %s', (_name, body, status, error) => {
    expect(validateBatch(body, ctx)).toEqual({ ok: false, status, error });
  });

  it('takes a lower limit', () => {
    expect(validateBatch({ events: [BASE, BASE, BASE] }, ctx, 2)).toEqual({ ok: false, status: 413, error: 'events: at most 2 per request, got 3' });
  });

  it('accepts 1000 events', () => {
    const result = validateBatch({ events: Array.from({ length: 1000 }, (_, i) => ({ ...BASE, event_id: `e-${i}` })) }, ctx);
    expect(result.ok && result.accepted.length).toBe(1000);
  });

  it('validates each event, reporting rejections by index with their event_id when it is a string', () => {
    const old = RECEIVED - ALLOWED_LATENESS_MS - 1000;
    const body = {
      events: [
        BASE,
        { ...BASE, event_id: 'e-2', event_type: 'ad_click' },
        { ...BASE, event_id: 42 },
        'not an event',
        { ...BASE, event_id: 'e-5', event_time: old },
        { ...BASE, event_id: undefined, user_id: undefined },
      ],
      client: 'ignored',
    };
    expect(validateBatch(body, ctx)).toEqual({
      ok: true,
      accepted: [
        { index: 0, event: record({}), quarantined: false },
        {
          index: 4,
          quarantined: true,
          event: record({
            event_id: 'e-5',
            event_time: old,
            quarantine_reason: 'event_time: older than the allowed lateness (604801000 ms before receipt, at most 604800000 ms allowed)',
          }),
        },
      ],
      rejected: [
        { index: 1, event_id: 'e-2', errors: ['campaign_id: required for ad_click', 'ad_id: required for ad_click'] },
        { index: 2, errors: ['event_id: must be a string, got number'] },
        { index: 3, errors: ['event: must be a JSON object, got string'] },
        { index: 5, errors: ['event_id: required', 'user_id: required'] },
      ],
    });
  });
});
