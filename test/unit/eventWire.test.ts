import { defaultValidationContext, judgeBatchEvent, validateBatch, MAX_EVENTS_PER_BATCH, MAX_EVENT_BYTES, MIN_EVENT_TIME_MS, type ValidationContext } from '../../core/event';
import { encodeEventBatch, type WireBatch } from '../../core/eventWire';
import { createTrafficModel } from '../../core/generator';
import { frame } from '../../core/wireFormat';
import { eventAvroType } from '../../schemas/event';
import { createRng } from '../../core/random';

const SCHEMA_ID = 0x01020304;
const T = Date.UTC(2026, 10, 22, 5, 41, 0);
const ctx = defaultValidationContext(T + 4 * 60_000);
const avro = eventAvroType();
const alloc = (n: number): Uint8Array => Buffer.allocUnsafe(n);

function wire(text: string, context: ValidationContext = ctx): WireBatch {
  return encodeEventBatch(Buffer.from(text), context, SCHEMA_ID, MAX_EVENTS_PER_BATCH, alloc);
}

/**
 * The fast path agrees with the ordinary one: it declines the body exactly when... never where the
 * ordinary path would answer otherwise; each event it encodes is one validateBatch accepts, with the
 * same quarantine verdict, the bytes avsc writes and user_id as the key; every other event is listed odd.
 */
function expectAgreement(text: string, context: ValidationContext = ctx): WireBatch {
  const body = Buffer.from(text);
  const result = encodeEventBatch(body, context, SCHEMA_ID, MAX_EVENTS_PER_BATCH, alloc);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    expect(result.ok).toBe(false);
    return result;
  }
  if (!result.ok) return result;
  const slow = validateBatch(parsed, context);
  if (!slow.ok) throw new Error(`fast path took a body the ordinary path refuses: ${slow.error}`);
  expect(result.count).toBe(slow.accepted.length + slow.rejected.length);
  const fastByIndex = new Map(result.events.map((e) => [e.index, e]));
  const oddByIndex = new Map(result.odd.map((e) => [e.index, e]));
  expect(fastByIndex.size + oddByIndex.size).toBe(result.count);
  const events = (parsed as { events: unknown[] }).events;
  for (const odd of result.odd) {
    // The slice is the element: parsing it gives what the whole body's parse holds at that index.
    expect(JSON.parse(body.toString('utf8', odd.start, odd.end))).toEqual(events[odd.index]);
    expect(judgeBatchEvent(JSON.parse(body.toString('utf8', odd.start, odd.end)), odd.index, context)).toEqual(
      judgeBatchEvent(events[odd.index], odd.index, context),
    );
  }
  for (const accepted of slow.accepted) {
    const fast = fastByIndex.get(accepted.index);
    if (fast === undefined) continue;
    expect(Buffer.from(fast.value).equals(frame(SCHEMA_ID, avro.toBuffer(accepted.event)))).toBe(true);
    expect(fast.quarantined).toBe(accepted.quarantined);
    expect(body.toString('utf8', fast.keyStart, fast.keyEnd)).toBe(accepted.event.user_id);
    expect(body.toString('utf8', fast.idStart, fast.idEnd)).toBe(accepted.event.event_id);
  }
  for (const rejected of slow.rejected) expect(fastByIndex.has(rejected.index)).toBe(false);
  return result;
}

const BASE = { event_id: 'e-1', event_type: 'page_view', event_time: '2026-11-22T05:41:00Z', user_id: 'u-1' };
const AD = { ...BASE, event_type: 'ad_click', campaign_id: 'c1', ad_id: 'c1-ad1' };
const VIDEO = { ...BASE, event_type: 'video_seek', title_id: 't1', position_ms: 12 };
const FULL = {
  ...AD,
  session_id: 's1',
  placement: 'preroll',
  page_url: 'https://watch.example.com/a?b=c',
  referrer: '',
  device_type: 'tv',
  country: 'de',
  user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
  ip: '2001:db8::1',
  email: 'a.b@example.com',
  properties: { plan: 'gold', 'ünïcödé': 'välue 😀', x: '' },
};

const VARIANTS: ReadonlyArray<Record<string, unknown>> = [
  BASE,
  AD,
  VIDEO,
  FULL,
  { ...BASE, event_time: T },
  { ...BASE, event_time: ctx.receivedAtMs + ctx.maxFutureMs },
  { ...BASE, event_time: ctx.receivedAtMs + ctx.maxFutureMs + 1 },
  { ...BASE, event_time: ctx.receivedAtMs - ctx.allowedLatenessMs },
  { ...BASE, event_time: ctx.receivedAtMs - ctx.allowedLatenessMs - 1 },
  { ...BASE, event_time: MIN_EVENT_TIME_MS - 1 },
  { ...BASE, event_time: -T },
  { ...BASE, event_time: 0 },
  { ...BASE, event_time: T + 16 * 60_000 }, // future
  { ...BASE, event_time: T - 8 * 86_400_000 }, // too late: quarantined
  { ...BASE, event_time: '2026-11-14T05:41:00.123+02:00' }, // too late, with offset
  { ...BASE, event_time: T / 1000 }, // epoch seconds
  { ...BASE, event_time: 1.5e12 },
  { ...BASE, event_time: '2026-02-30T00:00:00Z' },
  { ...BASE, event_time: '2026-11-22 05:41:00Z' },
  { ...BASE, event_time: true },
  { ...BASE, event_time: null },
  { ...BASE, event_id: '' },
  { ...BASE, event_id: 'x'.repeat(64) },
  { ...BASE, event_id: 'x'.repeat(65) },
  { ...BASE, event_id: '😀'.repeat(64) },
  { ...BASE, event_id: '😀'.repeat(65) },
  { ...BASE, event_id: 7 },
  { ...BASE, user_id: 'ü'.repeat(128) },
  { ...BASE, user_id: 'ü'.repeat(129) },
  { ...BASE, user_id: 'tab\there' },
  { ...BASE, user_id: 'quote"and\\backslash' },
  { ...BASE, event_type: 'ad_view' },
  { ...BASE, event_type: 'ad_impression' },
  { ...AD, ad_id: null },
  { ...AD, campaign_id: '' },
  { ...VIDEO, title_id: undefined },
  { ...VIDEO, position_ms: -1 },
  { ...VIDEO, position_ms: 1.0 },
  { ...VIDEO, position_ms: 2 ** 53 },
  { ...VIDEO, position_ms: 2 ** 40 },
  { ...VIDEO, position_ms: 0 },
  { ...VIDEO, position_ms: '12' },
  { ...BASE, session_id: null, placement: null, page_url: null },
  { ...BASE, page_url: 'x'.repeat(2048) },
  { ...BASE, page_url: 'x'.repeat(2049) },
  { ...BASE, user_agent: 'é'.repeat(1024) },
  { ...BASE, user_agent: 'é'.repeat(1025) },
  { ...BASE, device_type: 'WEB' },
  { ...BASE, device_type: 'other' },
  { ...BASE, country: 'U' },
  { ...BASE, country: 'us' },
  { ...BASE, country: 'Ü1' },
  { ...BASE, country: 'ÜS' },
  { ...BASE, ip: '256.1.1.1' },
  { ...BASE, ip: '10.0.0.1' },
  { ...BASE, ip: '::ffff:192.0.2.1' },
  { ...BASE, ip: 'fe80::1%eth0' },
  { ...BASE, email: 'no-at-sign' },
  { ...BASE, email: 'ünï@example.com' },
  { ...BASE, properties: {} },
  { ...BASE, properties: { '2': 'b', a: 'x', '1': 'a' } },
  { ...BASE, properties: { a: 1 } },
  { ...BASE, properties: { '': 'x' } },
  { ...BASE, properties: { __proto__: 'x', b: 'y' } },
  { ...BASE, properties: { k: 'v'.repeat(256) } },
  { ...BASE, properties: { k: 'v'.repeat(257) } },
  { ...BASE, properties: { ['k'.repeat(129)]: 'v' } },
  { ...BASE, properties: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) },
  { ...BASE, properties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) },
  { ...BASE, properties: ['a'] },
  { ...BASE, properties: null },
  { ...BASE, sdk: 'js/1.2' },
  { ...FULL, zeta: 'z', sdk: 'js/1.2', Alpha: 7, alpha: 'ünï 😀', _x: '' },
  { ...BASE, sdk: 'js\n1' },
  { ...BASE, sdk: null },
  { ...BASE, sdk: true },
  { ...BASE, sdk: 1.5 },
  { ...BASE, sdk: -3 },
  { ...BASE, sdk: { v: 1 } },
  { ...BASE, sdk: { name: 'clicklake-js', version: '1.4.0' } },
  { ...BASE, sdk: { version: '1.4.0', name: 'clicklake-js', build: 12, extra: {} }, app: { z: { y: 'x', a: 'ü' }, b: 1 } },
  { ...BASE, sdk: { a: { b: { c: 'too deep' } } } },
  { ...BASE, sdk: { a: [1] } },
  { ...BASE, sdk: { a: null } },
  { ...BASE, sdk: { '1': 'index', a: 'b' } },
  { ...BASE, sdk: { 'ü': 'non-ascii name' } },
  { ...BASE, sdk: { a: 'esc"aped' } },
  { ...BASE, sdk: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
  { ...BASE, '7': 'seven' },
  { ...BASE, 'ünknown': 'x' },
  { ...BASE, ...Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`u${i}`, 'v'])) },
  { ...BASE, ...Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`u${i}`, 'v'])) },
  { ...BASE, extra_json: '{}', quarantine_reason: 'mine' },
  ...[MAX_EVENT_BYTES - 1, MAX_EVENT_BYTES, MAX_EVENT_BYTES + 1].map((size) => {
    const head = JSON.stringify({ ...BASE, pad: '' });
    return { ...BASE, pad: 'x'.repeat(size - head.length) };
  }),
  { ...BASE, received_time: 5 },
  { ...BASE, nested: { a: [1, 2, { b: null }], c: -0.5e-3 } },
];

describe('encodeEventBatch (the collector fast path)', () => {
  it('agrees with validateBatch and avsc on each variant, alone and in one batch', () => {
    for (const variant of VARIANTS) expectAgreement(JSON.stringify({ events: [variant] }));
    expectAgreement(JSON.stringify({ events: VARIANTS }));
  });

  it('encodes plain events itself and leaves only the others to the ordinary path', () => {
    const result = wire(JSON.stringify({ events: [BASE, AD, VIDEO, FULL, { ...BASE, sdk: 'x' }, { ...BASE, ip: 'bad' }, { ...BASE, sdk: [1] }] }));
    expect(result.ok && { fast: result.events.map((e) => e.index), odd: result.odd.map((e) => e.index) }).toEqual({ fast: [0, 1, 2, 3, 4], odd: [5, 6] });
  });

  it('agrees on generated traffic, with late, too late, duplicate and malformed events', () => {
    const model = createTrafficModel({ seed: 11, campaigns: 20, users: 1000, titles: 50, lateFraction: 0.1, tooLateFraction: 0.1, duplicateFraction: 0.05, malformedFraction: 0.1 });
    for (let i = 0; i < 10; i++) {
      const now = T + i * 60_000;
      const result = expectAgreement(JSON.stringify({ events: model.nextBatch(500, now).events }), defaultValidationContext(now));
      expect(result.ok).toBe(true);
    }
  });

  it('keeps JSON text of other spacing and key order', () => {
    const event = { ...FULL, sdk: { version: '1.4.0', name: 'clicklake-js', more: { b: 2, a: '1' } } };
    const text = ` \n{ "events" :\t[ ${JSON.stringify(Object.fromEntries(Object.entries(event).reverse()), null, 2)} ] }\r\n`;
    const result = expectAgreement(text);
    expect(result.ok && result.events.length).toBe(1);
  });

  it('leaves unknown objects with a repeated name to the ordinary path (the last value wins there)', () => {
    const result = expectAgreement(`{"events":[{"event_id":"e","event_type":"page_view","event_time":"2026-11-22T05:41:00Z","user_id":"u","sdk":{"a":"1","a":"2"}}]}`);
    expect(result.ok && result.odd.length).toBe(1);
  });

  it('declines bodies that are not exactly {"events": [...]} of 1..1000 events, so the ordinary path answers them', () => {
    const declined = [
      '',
      '[]',
      '{}',
      '{"events": []}',
      '{"events": {}}',
      '{"events": [{}], "more": 1}',
      '{"more": 1, "events": [{}]}',
      '{"\\u0065vents": [{}]}',
      '{"events": [{}]} x',
      '\ufeff{"events": [{}]}',
      JSON.stringify({ events: Array.from({ length: 1001 }, () => BASE) }),
    ];
    for (const text of declined) expect(wire(text).ok).toBe(false);
    expect(wire(JSON.stringify({ events: Array.from({ length: 1000 }, () => BASE) })).ok).toBe(true);
  });

  it('declines any body JSON.parse refuses, and agrees on the rest (random corruptions)', () => {
    const rng = createRng(5);
    const base = JSON.stringify({ events: [FULL, VIDEO, { ...BASE, sdk: [1, { a: 'b' }] }] });
    const alphabet = ' {}[]:,"\\0123456789.eE+-tfnulrsa\u00e9\u20ac\t\n';
    for (let i = 0; i < 3000; i++) {
      const chars = [...base];
      const edits = 1 + rng.int(0, 3);
      for (let e = 0; e < edits; e++) {
        const at = rng.int(0, chars.length - 1);
        const c = alphabet[rng.int(0, alphabet.length - 1)] as string;
        const op = rng.int(0, 2);
        if (op === 0) chars[at] = c;
        else if (op === 1) chars.splice(at, 0, c);
        else chars.splice(at, 1);
      }
      expectAgreement(chars.join(''));
    }
  });

  it('declines invalid UTF-8 (the ordinary path decodes it with replacement characters)', () => {
    const bytes = Buffer.concat([Buffer.from('{"events":[{"event_id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","event_type":"page_view","event_time":1796175079184,"user_id":"u"}]}')]);
    expect(encodeEventBatch(bytes, ctx, SCHEMA_ID, MAX_EVENTS_PER_BATCH, alloc).ok).toBe(false);
  });

  it('writes values into buffers from alloc that stay valid across calls', () => {
    const first = wire(JSON.stringify({ events: [FULL, FULL] }));
    const copy = first.ok ? first.events.map((e) => Buffer.from(e.value)) : [];
    wire(JSON.stringify({ events: [BASE] }));
    expect(first.ok && first.events.map((e) => Buffer.from(e.value))).toEqual(copy);
  });
});

describe('encodeEventBatch event_time and ip readers', () => {
  const timeOf = (eventTime: unknown, ip?: string): boolean | undefined => {
    const result = expectAgreement(JSON.stringify({ events: [{ ...BASE, event_time: eventTime, ...(ip === undefined ? {} : { ip }) }] }), defaultValidationContext(Date.UTC(9999, 0, 1)));
    return result.ok ? result.events.length === 1 : undefined;
  };

  it('agrees with parseRfc3339 on random and edge-case times', () => {
    const rng = createRng(9);
    const pad = (n: number, w: number): string => String(n).padStart(w, '0');
    const edge = ['2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '2000-02-29T23:59:59.999Z', '2100-02-29T00:00:00Z', '2026-12-31T23:59:59z', '2026-11-22t05:41:00Z',
      '2026-11-22T24:00:00Z', '2026-11-22T23:60:00Z', '2026-11-22T23:59:60Z', '2026-13-01T00:00:00Z', '2026-00-01T00:00:00Z', '2026-11-00T00:00:00Z',
      '2026-11-22T05:41:00.Z', '2026-11-22T05:41:00.1Z', '2026-11-22T05:41:00.12Z', '2026-11-22T05:41:00.123456789012345678Z', '2026-11-22T05:41:00.12aZ',
      '2026-11-22T05:41:00+00:00', '2026-11-22T05:41:00-23:59', '2026-11-22T05:41:00+24:00', '2026-11-22T05:41:00+01:60', '2026-11-22T05:41:00.5+01:30',
      '2026-11-22T05:41:00+0130', '2026-11-22T05:41:00+01:3', '2026-11-22T05:41:00.+01:30', '2026-11-22T05:41:00 +01:30', '2026-11-22T05:41:00-00:00', '2026-11-22T05:41:00', '2026-11-22T05:41Z', ' 2026-11-22T05:41:00Z', '2026-1-22T05:41:00Z',
      '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '2026-11-22T05:41:00ZZ', '+2026-11-22T05:41:00Z'];
    for (const t of edge) timeOf(t);
    expect([timeOf('2026-11-22T05:41:00.123Z'), timeOf('2024-02-29T00:00:00Z'), timeOf('2026-02-29T00:00:00Z'), timeOf('2026-11-22T05:41:00.123-07:30')]).toEqual([true, true, false, true]);
    for (let i = 0; i < 3000; i++) {
      const y = rng.chance(0.5) ? rng.int(1999, 2030) : rng.int(0, 9999);
      const zone = rng.chance(0.5) ? 'Z' : `${rng.chance(0.5) ? '+' : '-'}${pad(rng.int(0, 24), 2)}:${pad(rng.int(0, 60), 2)}`;
      const text = `${pad(y, 4)}-${pad(rng.int(0, 13), 2)}-${pad(rng.int(0, 32), 2)}T${pad(rng.int(0, 24), 2)}:${pad(rng.int(0, 60), 2)}:${pad(rng.int(0, 60), 2)}${rng.chance(0.5) ? `.${rng.int(0, 99999)}` : ''}${zone}`;
      timeOf(text);
    }
  });

  it('agrees with isIpAddress on dotted quads and near misses', () => {
    const ips = ['0.0.0.0', '255.255.255.255', '256.0.0.1', '01.2.3.4', '1.2.3', '1.2.3.4.', '1.2.3.4.5', '.1.2.3', '1..2.3', '1.2.3.04', '1.2.3.-4', '1234.1.1.1', '::1', '1.2.3.4 ', '199.249.200.0'];
    for (const ip of ips) timeOf('2026-11-22T05:41:00Z', ip);
    expect([timeOf('2026-11-22T05:41:00Z', '10.0.0.255'), timeOf('2026-11-22T05:41:00Z', '10.0.0.256')]).toEqual([true, false]);
    const rng = createRng(3);
    for (let i = 0; i < 2000; i++) timeOf('2026-11-22T05:41:00Z', Array.from({ length: rng.int(3, 5) }, () => String(rng.int(0, 300))).join('.'));
  });

  it('agrees with isIpAddress on IPv6 text and near misses', () => {
    const ips = ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::1', ':1', '1:', '1:::2', '12345::1', 'fe80::1%eth0',
      '2001:db8::192.0.2.1', '::ffff:192.0.2.1', 'g::1', '1:2:3:4:5:6:7::', '::1:2:3:4:5:6:7', '1:2:3:4::5:6:7:8', `${'0000:'.repeat(7)}0000`, `::${'ffff:'.repeat(6)}ffff`];
    for (const ip of ips) timeOf('2026-11-22T05:41:00Z', ip);
    expect([timeOf('2026-11-22T05:41:00Z', '2001:db8::1'), timeOf('2026-11-22T05:41:00Z', '2001:db8::1::')]).toEqual([true, false]);
    const rng = createRng(4);
    const alphabet = '0123456789abcdefABCDEFg:::.';
    for (let i = 0; i < 5000; i++) {
      const ip = Array.from({ length: rng.int(1, 40) }, () => alphabet[rng.int(0, alphabet.length - 1)]).join('');
      timeOf('2026-11-22T05:41:00Z', ip);
    }
  });
});
