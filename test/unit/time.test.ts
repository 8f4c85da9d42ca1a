import {
  DAY_MS,
  HOUR_MS,
  dayOf,
  dayStartMs,
  formatRfc3339,
  hourKey,
  hourKeyOf,
  hourOf,
  hourRange,
  hourStartMs,
  hoursOfDay,
  parseDay,
  parseHourKey,
  parseRfc3339,
} from '../../core/time';

const T = Date.UTC(2026, 10, 22, 5, 41, 7, 123); // 2026-11-22T05:41:07.123Z

describe('hour and day of an instant (UTC)', () => {
  it.each([
    [T, { dt: '2026-11-22', hr: '05' }, '2026-11-22T05'],
    [Date.UTC(2026, 10, 22), { dt: '2026-11-22', hr: '00' }, '2026-11-22T00'],
    [Date.UTC(2026, 10, 22) - 1, { dt: '2026-11-21', hr: '23' }, '2026-11-21T23'],
    [Date.UTC(2028, 1, 29, 12), { dt: '2028-02-29', hr: '12' }, '2028-02-29T12'],
    [Date.UTC(2026, 11, 31, 23, 59, 59, 999), { dt: '2026-12-31', hr: '23' }, '2026-12-31T23'],
  ])('%d', (ms, partition, key) => {
    expect(hourOf(ms)).toEqual(partition);
    expect(dayOf(ms)).toBe(partition.dt);
    expect(hourKey(ms)).toBe(key);
    expect(hourKeyOf(partition)).toBe(key);
  });

  it('floors to the hour and the day', () => {
    expect(hourStartMs(T)).toBe(Date.UTC(2026, 10, 22, 5));
    expect(dayStartMs(T)).toBe(Date.UTC(2026, 10, 22));
    expect(DAY_MS).toBe(24 * HOUR_MS);
  });

  it('refuses a non-finite instant', () => {
    expect(() => hourOf(Number.NaN)).toThrow('not a time in epoch milliseconds: NaN');
  });
});

describe('parseHourKey', () => {
  it('parses a key into its partition and start', () => {
    expect(parseHourKey('2026-11-22T05')).toEqual({ key: '2026-11-22T05', dt: '2026-11-22', hr: '05', startMs: Date.UTC(2026, 10, 22, 5) });
  });

  it.each(['2026-11-22T24', '2026-02-29T00', '2026-13-01T00', '2026-11-22T5', '2026-11-22 05', '2026-11-22T05:00', '', 'today'])('refuses %j', (key) => {
    expect(() => parseHourKey(key)).toThrow(`hour: expected YYYY-MM-DDTHH (UTC), got "${key}"`);
  });
});

describe('parseDay', () => {
  it('gives the start of the day', () => {
    expect(parseDay('2028-02-29')).toBe(Date.UTC(2028, 1, 29));
  });

  it.each(['2026-02-29', '2026-11-31', '2026-1-01', '20261122'])('refuses %j', (dt) => {
    expect(() => parseDay(dt)).toThrow(`day: expected YYYY-MM-DD, got "${dt}"`);
  });
});

describe('hour ranges', () => {
  it('lists every hour, both ends included, across a day boundary', () => {
    expect(hourRange('2026-11-21T22', '2026-11-22T01')).toEqual(['2026-11-21T22', '2026-11-21T23', '2026-11-22T00', '2026-11-22T01']);
    expect(hourRange('2026-11-22T05', '2026-11-22T05')).toEqual(['2026-11-22T05']);
  });

  it('refuses a reversed range', () => {
    expect(() => hourRange('2026-11-22T05', '2026-11-22T04')).toThrow('hour range: 2026-11-22T04 is before 2026-11-22T05');
  });

  it('lists the 24 hours of a day', () => {
    const hours = hoursOfDay('2026-11-22');
    expect([hours.length, hours[0], hours[23]]).toEqual([24, '2026-11-22T00', '2026-11-22T23']);
  });
});

describe('RFC 3339', () => {
  it.each<[string, number | undefined]>([
    ['2026-11-22T05:41:07.123Z', T],
    ['2026-11-22T05:41:07.1239Z', T],
    ['2026-11-22t05:41:07.123z', T],
    ['2026-11-22T07:41:07.123+02:00', T],
    ['2026-11-22T00:11:07.123-05:30', T],
    ['2026-11-23T05:40:07.123+23:59', T],
    ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ['0099-01-01T00:00:00Z', -59_042_995_200_000],
    ['2026-11-22T05:41:07', undefined],
    ['2026-11-22T05:41Z', undefined],
    ['2026-11-22T05:41:07+0200', undefined],
    ['2026-11-22T05:41:07.Z', undefined],
    ['2026-11-22T05:41:07+24:00', undefined],
    ['2026-11-22T05:41:07+02:60', undefined],
    ['2026-11-31T00:00:00Z', undefined],
    [' 2026-11-22T05:41:07Z', undefined],
  ])('%j', (text, expected) => {
    expect(parseRfc3339(text)).toBe(expected);
  });

  it.each([
    [0, '2026-11-22T05:41:07.123Z'],
    [120, '2026-11-22T07:41:07.123+02:00'],
    [-330, '2026-11-22T00:11:07.123-05:30'],
  ])('formats at offset %d and parses back', (offset, text) => {
    expect(formatRfc3339(T, offset)).toBe(text);
    expect(parseRfc3339(text)).toBe(T);
  });
});
