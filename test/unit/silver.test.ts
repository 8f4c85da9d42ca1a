import type { BronzeRecord } from '../../core/bronze';
import { ConfigError } from '../../core/errors';
import { checkLedger } from '../../core/ledger';
import { createRng } from '../../core/random';
import {
  SILVER_COLUMNS,
  USER_KEY_LENGTH,
  classifyHour,
  clientInputOf,
  dedupFirstReceived,
  derivedSessionId,
  parseSessionState,
  nextHourSessionsChanged,
  pruneSessionState,
  sessionStateToJson,
  sessionize,
  toSilverRow,
  userKey,
  type HourClassification,
  type SessionCursor,
  type SilverRow,
} from '../../core/silver';
import { DAY_MS, HOUR_MS } from '../../core/time';
import type { EventRecord } from '../../schemas/eventRecord';
import { H5, MIN, bronzeRecord, pageView } from './bronzeFixtures';

const H6 = H5 + HOUR_MS;

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rng = createRng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('dedupFirstReceived', () => {
  const at = (id: string, received: number, partition: number, offset: number): BronzeRecord =>
    bronzeRecord(pageView(id, H5, { received_time: received }), partition, offset);
  const a1 = at('a', H5 + 5 * MIN, 1, 10);
  const a2 = at('a', H5 + 2 * MIN, 2, 99); // received earlier on another partition: wins
  const b1 = at('b', H5 + 3 * MIN, 2, 50);
  const b2 = at('b', H5 + 3 * MIN, 1, 70); // same receive time, lower partition: wins
  const c1 = at('c', H5 + 3 * MIN, 1, 71);
  const c2 = at('c', H5 + 3 * MIN, 1, 72); // same time and partition, higher offset: loses
  const d = at('d', H5, 0, 0);

  it.each<[string, BronzeRecord[], { kept: BronzeRecord[]; duplicates: number }]>([
    ['nothing', [], { kept: [], duplicates: 0 }],
    ['distinct events, in receive order', [b1, d, c1], { kept: [d, c1, b1], duplicates: 0 }],
    ['earlier receive time wins', [a1, a2], { kept: [a2], duplicates: 1 }],
    ['then the lower partition', [b1, b2], { kept: [b2], duplicates: 1 }],
    ['then the lower offset', [c2, c1], { kept: [c1], duplicates: 1 }],
    ['all together', [a1, a2, b1, b2, c1, c2, d, a1], { kept: [d, a2, b2, c1], duplicates: 4 }],
  ])('%s', (_, records, expected) => {
    expect(dedupFirstReceived(records)).toEqual(expected);
  });

  it('gives the same result for every order of the input', () => {
    const all = [a1, a2, b1, b2, c1, c2, d];
    const expected = dedupFirstReceived(all);
    for (let seed = 1; seed <= 50; seed++) expect(dedupFirstReceived(shuffled(all, seed))).toEqual(expected);
  });
});

describe('clientInputOf', () => {
  it('rebuilds the client fields that are set, with the unknown ones from extra_json', () => {
    const event = pageView('e1', H5, { country: 'US', extra_json: '{"__proto__":{"x":1},"sdk":{"name":"js"}}', quarantine_reason: 'late' });
    const input = clientInputOf(event);
    expect(input).toEqual({ event_id: 'e1', event_type: 'page_view', event_time: H5, user_id: 'u1', country: 'US', sdk: { name: 'js' }, ['__proto__']: { x: 1 } });
    expect(Object.getPrototypeOf(input)).toBe(Object.prototype);
    expect(Object.keys(input ?? {})).toContain('__proto__');
  });

  it.each(['not json', '[1]', 'null'])('is null for extra_json %j', (extra) => {
    expect(clientInputOf(pageView('e1', H5, { extra_json: extra }))).toBeNull();
  });
});

describe('classifyHour', () => {
  const LATE = H5 + 10 * MIN;
  const received = (days: number): number => LATE + days * DAY_MS;
  const ad = (id: string, fields: Partial<EventRecord>): EventRecord => pageView(id, H5 + 20 * MIN, { event_type: 'ad_impression', campaign_id: 'c1', ad_id: 'c1-ad1', ...fields });

  const e1 = pageView('e1', H5 + MIN);
  const e2 = pageView('e2', LATE, { received_time: received(8), quarantine_reason: 'event_time: older than the allowed lateness' });
  const e3bad = ad('e3', { country: 'USA', received_time: H5 + 21 * MIN });
  const e3 = ad('e3', { country: 'US', received_time: H5 + 22 * MIN });
  const e4 = pageView('e4', H6 + MIN);
  const e5 = pageView('e5', LATE, { received_time: received(7) + 1 }); // late by re-derivation only
  const e6 = pageView('e6', H5 + 59 * MIN, { received_time: H5 + 30 * MIN }); // 29 min in the future
  const e7 = ad('e7', { campaign_id: null });
  const e8 = pageView('e8', LATE, { received_time: received(7) }); // exactly the allowed lateness: on time

  const RECORDS: BronzeRecord[] = [
    bronzeRecord(e1, 0, 10),
    bronzeRecord({ ...e1, received_time: e1.received_time + MIN }, 1, 5), // a later copy
    bronzeRecord(e2, 0, 11),
    bronzeRecord({ ...e2, received_time: received(9) }, 0, 12), // a later copy of a late event
    bronzeRecord(e3bad, 1, 6), // invalid first copy never wins
    bronzeRecord(e3, 1, 7),
    bronzeRecord(e4, 0, 13), // another hour
    bronzeRecord(e5, 2, 1),
    bronzeRecord(e6, 2, 2),
    bronzeRecord(e7, 2, 3),
    bronzeRecord({ ...e7, received_time: e7.received_time + MIN }, 2, 4), // invalid twice: rejected twice
    bronzeRecord(e8, 0, 14),
  ];

  const EXPECTED: HourClassification = {
    hour: '2026-11-22T05',
    kept: [e1, e3, e8],
    ledger: { rows_in: 11, rows_out: 3, duplicates: 2, rejected: 4, late: 2, erased: 0 },
    rejections: [
      { topic: 'clicklake.events', partition: 1, offset: 6, errors: ['country: must be an ISO 3166-1 alpha-2 code (two letters)'] },
      { topic: 'clicklake.events', partition: 2, offset: 2, errors: [`event_time: in the future (${29 * MIN} ms after receipt, at most 900000 ms allowed)`] },
      { topic: 'clicklake.events', partition: 2, offset: 3, errors: ['campaign_id: required for ad_impression'] },
      { topic: 'clicklake.events', partition: 2, offset: 4, errors: ['campaign_id: required for ad_impression'] },
    ],
    // In receive order, as re-validated: each carries the reason its re-derivation gives, with the figures.
    quarantined: [
      { ...e5, quarantine_reason: 'event_time: older than the allowed lateness (604800001 ms before receipt, at most 604800000 ms allowed)' },
      { ...e2, quarantine_reason: 'event_time: older than the allowed lateness (691200000 ms before receipt, at most 604800000 ms allowed)' },
    ],
  };

  it('counts every record of the hour exactly once: rejected, then duplicate, then late, else out', () => {
    const result = classifyHour(RECORDS, '2026-11-22T05');
    expect(result).toEqual(EXPECTED);
    expect(checkLedger(result.ledger)).toEqual(EXPECTED.ledger);
  });

  it('does not depend on the order of the records', () => {
    for (let seed = 1; seed <= 20; seed++) expect(classifyHour(shuffled(RECORDS, seed), '2026-11-22T05')).toEqual(EXPECTED);
  });

  it.each<[string, Partial<HourClassification>]>([
    ['2026-11-22T06', { hour: '2026-11-22T06', kept: [e4], ledger: { rows_in: 1, rows_out: 1, duplicates: 0, rejected: 0, late: 0, erased: 0 }, rejections: [], quarantined: [] }],
    ['2026-11-22T04', { hour: '2026-11-22T04', kept: [], ledger: { rows_in: 0, rows_out: 0, duplicates: 0, rejected: 0, late: 0, erased: 0 }, rejections: [], quarantined: [] }],
  ])('ignores records of other hours: %s', (hour, expected) => {
    expect(classifyHour(RECORDS, hour)).toEqual(expected);
  });

  it('applies the lateness rules it is given', () => {
    const strict = classifyHour([bronzeRecord(e1, 0, 10), bronzeRecord(e8, 0, 14)], '2026-11-22T05', { allowedLatenessMs: DAY_MS, maxFutureMs: 0 });
    expect(strict.ledger).toEqual({ rows_in: 2, rows_out: 1, duplicates: 0, rejected: 0, late: 1, erased: 0 });
  });

  it('rejects a record whose extra_json is broken', () => {
    expect(classifyHour([bronzeRecord(pageView('e1', H5, { extra_json: '[' }), 0, 1)], '2026-11-22T05').rejections).toEqual([
      { topic: 'clicklake.events', partition: 0, offset: 1, errors: ['extra_json: must be a JSON object'] },
    ]);
  });

  it('refuses a bad hour', () => {
    expect(() => classifyHour([], '2026-11-22')).toThrow('hour: expected YYYY-MM-DDTHH (UTC), got "2026-11-22"');
  });
});

describe('userKey', () => {
  it('is HMAC-SHA256 in hex (RFC 4231 test case 2)', () => {
    expect(userKey('Jefe', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('is stable, fixed length, and differs per key and per user', () => {
    const keys = [userKey('k1', 'u1'), userKey('k1', 'u1'), userKey('k2', 'u1'), userKey('k1', 'u2'), userKey('k1', 'ü'.repeat(128))];
    expect(keys.map((k) => k.length)).toEqual(Array(5).fill(USER_KEY_LENGTH));
    expect(keys.every((k) => /^[0-9a-f]+$/.test(k))).toBe(true);
    expect(new Set(keys).size).toBe(4);
    expect(keys[0]).toBe(keys[1]);
  });

  it('refuses an empty key', () => {
    expect(() => userKey('', 'u1')).toThrow(ConfigError);
    expect(() => userKey('', 'u1')).toThrow('pii.hmacKey: empty');
  });
});

describe('toSilverRow', () => {
  const event = pageView('e1', H5 + 41 * MIN, {
    user_id: 'alice',
    session_id: 's1',
    device_type: 'web',
    country: 'US',
    page_url: 'https://watch.example.com/browse/1',
    referrer: 'https://search.example.org/?q=alice%40example.com',
    user_agent: 'Mozilla/5.0',
    ip: '203.0.113.7',
    email: 'alice@example.com',
    properties: { experiment: 'a' },
    extra_json: '{"sdk":"x"}',
  });

  it('has exactly the Silver columns, with user_key for user_id and no personal data', () => {
    const row = toSilverRow(event, { hmacKey: 'secret' });
    expect(row).toEqual({
      event_id: 'e1',
      event_type: 'page_view',
      event_time: H5 + 41 * MIN,
      received_time: H5 + 42 * MIN,
      user_key: userKey('secret', 'alice'),
      session_id: 's1',
      campaign_id: null,
      ad_id: null,
      placement: null,
      title_id: null,
      position_ms: null,
      device_type: 'web',
      country: 'US',
      page_url: 'https://watch.example.com/browse/1',
      properties: { experiment: 'a' },
      dt: '2026-11-22',
      hr: '05',
    });
    expect(Object.keys(row)).toEqual([...SILVER_COLUMNS]);
    const text = JSON.stringify(row);
    for (const secret of ['alice', '203.0.113.7', 'Mozilla']) expect(text).not.toContain(secret);
  });
});

describe('sessionize', () => {
  const U = 'user-key-1';
  const V = 'user-key-2';
  type Row = Pick<SilverRow, 'event_id' | 'event_time' | 'user_key' | 'session_id'>;
  const row = (event_id: string, user_key: string, event_time: number, session_id: string | null = null): Row => ({ event_id, user_key, event_time, session_id });
  const T = H5 + 5 * MIN;
  const S = (user: string, start: number): string => derivedSessionId(user, start);

  it('derives ids from (user_key, session start): stable, prefixed, 35 characters', () => {
    expect(derivedSessionId(U, T)).toBe(derivedSessionId(U, T));
    expect(derivedSessionId(U, T)).toMatch(/^ds-[0-9a-f]{32}$/);
    expect(new Set([S(U, T), S(U, T + 1), S(V, T)]).size).toBe(3);
  });

  it.each<[string, Row[], string[]]>([
    ['nothing', [], []],
    ['one session below the gap', [row('a', U, T), row('b', U, T + 10 * MIN), row('c', U, T + 39 * MIN)], [S(U, T), S(U, T), S(U, T)]],
    ['a split at exactly the gap', [row('a', U, T), row('b', U, T + 30 * MIN)], [S(U, T), S(U, T + 30 * MIN)]],
    ['no split just below it', [row('a', U, T), row('b', U, T + 30 * MIN - 1)], [S(U, T), S(U, T)]],
    [
      'inactivity, not session length, splits',
      [row('a', U, T), row('b', U, T + 29 * MIN), row('c', U, T + 58 * MIN), row('d', U, T + 95 * MIN)],
      [S(U, T), S(U, T), S(U, T), S(U, T + 95 * MIN)],
    ],
    ['input order does not matter; output keeps it', [row('b', U, T + 40 * MIN), row('a', U, T)], [S(U, T + 40 * MIN), S(U, T)]],
    ['users are apart', [row('a', U, T), row('b', V, T + MIN), row('c', U, T + 2 * MIN)], [S(U, T), S(V, T + MIN), S(U, T)]],
    [
      'client session ids are kept and do not extend derived sessions',
      [row('a', U, T), row('b', U, T + 20 * MIN, 'client-s'), row('c', U, T + 40 * MIN)],
      [S(U, T), 'client-s', S(U, T + 40 * MIN)],
    ],
  ])('%s', (_, rows, sessionIds) => {
    expect(sessionize(rows, new Map()).rows.map((r) => r.session_id)).toEqual(sessionIds);
  });

  it('continues a session of the previous hour from its end state, and returns the new end state', () => {
    const prior = new Map<string, SessionCursor>([[U, { lastEventMs: H6 - 10 * MIN, sessionId: 'ds-prior', sessionStartMs: H5 + 30 * MIN }]]);
    const result = sessionize([row('a', U, H6 + 5 * MIN), row('b', V, H6 + 6 * MIN)], prior);
    expect(result).toEqual({
      rows: [row('a', U, H6 + 5 * MIN, 'ds-prior'), row('b', V, H6 + 6 * MIN, S(V, H6 + 6 * MIN))],
      endState: new Map([
        [U, { lastEventMs: H6 + 5 * MIN, sessionId: 'ds-prior', sessionStartMs: H5 + 30 * MIN }],
        [V, { lastEventMs: H6 + 6 * MIN, sessionId: S(V, H6 + 6 * MIN), sessionStartMs: H6 + 6 * MIN }],
      ]),
    });
    expect(prior.get(U)?.lastEventMs).toBe(H6 - 10 * MIN);
  });

  /** Random users' events over three hours; a fifth with a client session id. */
  function traffic(seed: number): Row[] {
    const rng = createRng(seed);
    return Array.from({ length: 600 }, (_, i) => {
      const user = `k${rng.int(1, 15)}`;
      return row(`e${i}`, user, H5 + rng.int(0, 3 * HOUR_MS - 1), rng.chance(0.2) ? `client-${user}` : null);
    });
  }

  it.each([1, 2, 3])('gives the same ids hour by hour (state chained, pruned) as all at once, seed %d', (seed) => {
    const rows = traffic(seed);
    const together = sessionize(rows, new Map());
    let state: ReadonlyMap<string, SessionCursor> = new Map();
    const byHour = [H5, H6, H6 + HOUR_MS].flatMap((start) => {
      const result = sessionize(
        rows.filter((r) => r.event_time >= start && r.event_time < start + HOUR_MS),
        state,
      );
      state = pruneSessionState(result.endState, start + HOUR_MS);
      return result.rows;
    });
    const byId = (list: Row[]): Row[] => [...list].sort((a, b) => (a.event_id < b.event_id ? -1 : 1));
    expect(byId(byHour)).toEqual(byId(together.rows));
    expect(new Set(together.rows.map((r) => r.session_id)).size).toBeGreaterThan(15);
    expect(state).toEqual(pruneSessionState(together.endState, H6 + 2 * HOUR_MS));
  });

  it('prunes users who cannot continue into the next hour', () => {
    const cursor = (lastEventMs: number): SessionCursor => ({ lastEventMs, sessionId: `s${lastEventMs}`, sessionStartMs: H5 });
    const state = new Map([
      ['a', cursor(H6 - 30 * MIN)],
      ['b', cursor(H6 - 30 * MIN + 1)],
      ['c', cursor(H6 - 1)],
    ]);
    expect([...pruneSessionState(state, H6).keys()]).toEqual(['b', 'c']);
  });

  it('refuses a bad gap', () => {
    expect(() => sessionize([], new Map(), 0)).toThrow('gapMs must be a positive whole number, got 0');
  });

  it('says the next hour must be sessionized again only when a cursor that reaches it changed', () => {
    const cursor = (lastEventMs: number, sessionId = `s${lastEventMs}`): SessionCursor => ({ lastEventMs, sessionId, sessionStartMs: H5 });
    const before = new Map([
      ['a', cursor(H6 - 40 * MIN)], // cannot reach H6
      ['b', cursor(H6 - 10 * MIN)],
    ]);
    expect(nextHourSessionsChanged(before, new Map(before), H6)).toBe(false);
    // A restatement that only moves a user who cannot reach the next hour changes nothing there.
    expect(nextHourSessionsChanged(before, new Map([...before, ['a', cursor(H6 - 35 * MIN)]]), H6)).toBe(false);
    expect(nextHourSessionsChanged(before, new Map([...before, ['c', cursor(H6 - 35 * MIN)]]), H6)).toBe(false);
    // A late event that extends a session, a new user near the end, a different session id: all do.
    expect(nextHourSessionsChanged(before, new Map([...before, ['b', cursor(H6 - 5 * MIN, 'sb')]]), H6)).toBe(true);
    expect(nextHourSessionsChanged(before, new Map([...before, ['a', cursor(H6 - 20 * MIN)]]), H6)).toBe(true);
    expect(nextHourSessionsChanged(before, new Map([...before, ['b', cursor(H6 - 10 * MIN, 'other')]]), H6)).toBe(true);
    // An hour published for the first time after the next one: the next one saw no cursors.
    expect(nextHourSessionsChanged(new Map(), before, H6)).toBe(true);
    expect(nextHourSessionsChanged(new Map(), new Map([['a', cursor(H6 - 40 * MIN)]]), H6)).toBe(false);
  });
});

describe('session state as JSON', () => {
  const state = new Map<string, SessionCursor>([
    ['b', { lastEventMs: H5 + 5, sessionId: 'ds-2', sessionStartMs: H5 }],
    ['a', { lastEventMs: H5 + 9, sessionId: 'ds-1', sessionStartMs: H5 + 1 }],
  ]);

  it('round-trips, sorted by user_key', () => {
    const json = sessionStateToJson(state);
    expect(json).toEqual([
      { user_key: 'a', lastEventMs: H5 + 9, sessionId: 'ds-1', sessionStartMs: H5 + 1 },
      { user_key: 'b', lastEventMs: H5 + 5, sessionId: 'ds-2', sessionStartMs: H5 },
    ]);
    expect(parseSessionState(JSON.parse(JSON.stringify(json)))).toEqual(state);
  });

  it.each<[unknown, string]>([
    [{}, 'session state: must be an array, got object'],
    [[1], 'session state[0]: must be a JSON object, got number'],
    [[{ user_key: 'a', lastEventMs: 5, sessionId: '', sessionStartMs: 1 }], 'session state[0].sessionId: must be a non-empty string, got string'],
    [[{ user_key: 'a', lastEventMs: 5, sessionId: 's', sessionStartMs: 6 }], 'session state[0].sessionStartMs: 6 is after lastEventMs 5'],
    [[{ lastEventMs: 5, sessionId: 's', sessionStartMs: 1 }], 'session state[0].user_key: required'],
    [
      [
        { user_key: 'a', lastEventMs: 5, sessionId: 's', sessionStartMs: 1 },
        { user_key: 'a', lastEventMs: 5, sessionId: 's', sessionStartMs: 1 },
      ],
      'session state[1].user_key: appears twice',
    ],
  ])('refuses %j', (json, message) => {
    expect(() => parseSessionState(json)).toThrow(message);
  });
});
