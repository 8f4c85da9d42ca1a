import {
  comparableTables,
  diffTable,
  GOLD_CHECKS,
  goldChecks,
  goldPartitionSql,
  quietDayCandidates,
  rowKey,
  truthPartitions,
  verifyTables,
  type GoldCheckSpec,
} from '../../core/goldDiff';

const CTR = GOLD_CHECKS[0] as GoldCheckSpec;
const DAU = GOLD_CHECKS[2] as GoldCheckSpec;
const row = (campaign_id: string, impressions: number, clicks: number, hr = '05') => ({
  campaign_id,
  impressions,
  clicks,
  ctr: impressions === 0 ? null : clicks / impressions,
  dt: '2026-11-22',
  hr,
});

describe('rowKey', () => {
  it('lists the columns in order, rounds numbers to nine decimals and reads absent values as null', () => {
    expect(rowKey({ b: 2, a: 1 / 3, c: 'x' }, ['a', 'b', 'd'])).toBe('[0.333333333,2,null]');
    expect(rowKey({ ctr: 0.1 + 0.2 }, ['ctr'])).toBe(rowKey({ ctr: 0.3 }, ['ctr']));
    expect(rowKey({ ctr: 0.3000001 }, ['ctr'])).not.toBe(rowKey({ ctr: 0.3 }, ['ctr']));
  });
});

describe('diffTable', () => {
  it.each([
    ['equal rows in another order', [row('c1', 10, 1), row('c2', 4, 0)], [row('c2', 4, 0), row('c1', 10, 1)], null],
    ['a row the lake lacks', [row('c1', 10, 1), row('c2', 4, 0)], [row('c1', 10, 1)], { table: 'ctr_hourly', missing: [row('c2', 4, 0)], unexpected: [] }],
    ['a row the truth lacks', [row('c1', 10, 1)], [row('c1', 10, 1), row('c9', 1, 1)], { table: 'ctr_hourly', missing: [], unexpected: [row('c9', 1, 1)] }],
    ['one count off', [row('c1', 10, 1)], [row('c1', 10, 2)], { table: 'ctr_hourly', missing: [row('c1', 10, 1)], unexpected: [row('c1', 10, 2)] }],
    ['the same counts in another hour', [row('c1', 10, 1, '05')], [row('c1', 10, 1, '06')], { table: 'ctr_hourly', missing: [row('c1', 10, 1, '05')], unexpected: [row('c1', 10, 1, '06')] }],
  ])('%s', (_name, expected, found, diff) => {
    expect(diffTable(CTR, expected, found)).toEqual(diff);
  });

  it('keeps the first `limit` rows of each side', () => {
    const expected = ['a', 'b', 'c'].map((id) => row(id, 1, 0));
    expect(diffTable(CTR, expected, [], 2)).toEqual({ table: 'ctr_hourly', missing: expected.slice(0, 2), unexpected: [] });
  });
});

describe('verifyTables', () => {
  it('counts rows per table and is ok only when no table differs', () => {
    const dau = [{ device_type: 'all', dau: 3, dt: '2026-11-22' }];
    expect(verifyTables([{ spec: CTR, expected: [row('c1', 1, 0)], found: [row('c1', 1, 0)] }, { spec: DAU, expected: dau, found: dau }])).toEqual({
      ok: true,
      tables: { ctr_hourly: { expected: 1, found: 1 }, dau_daily: { expected: 1, found: 1 } },
      diffs: [],
    });
    expect(verifyTables([{ spec: CTR, expected: [row('c1', 1, 0)], found: [] }, { spec: DAU, expected: dau, found: dau }])).toEqual({
      ok: false,
      tables: { ctr_hourly: { expected: 1, found: 0 }, dau_daily: { expected: 1, found: 1 } },
      diffs: [{ table: 'ctr_hourly', missing: [row('c1', 1, 0)], unexpected: [] }],
    });
  });
});

describe('what to read', () => {
  it('reads each partition the truth has rows for, once', () => {
    expect(truthPartitions(CTR, [row('c1', 1, 0, '05'), row('c2', 1, 0, '05'), row('c1', 1, 0, '07')])).toEqual([
      ['2026-11-22', '05'],
      ['2026-11-22', '07'],
    ]);
    expect(truthPartitions(DAU, [{ dt: '2026-11-22' }, { dt: '2026-11-23' }, { dt: '2026-11-22' }])).toEqual([['2026-11-22'], ['2026-11-23']]);
  });

  it('restricts a table with an id key to the scope, and dau_daily never', () => {
    expect(goldPartitionSql(CTR, ['2026-11-22', '05'], 'r1a2b3c4d-')).toBe(
      "SELECT campaign_id, impressions, clicks, ctr, dt, hr FROM lake.gold.ctr_hourly WHERE dt = '2026-11-22' AND hr = '05' AND starts_with(campaign_id, 'r1a2b3c4d-')",
    );
    expect(goldPartitionSql(DAU, ["2026-11-22'"], 'r1-')).toBe("SELECT device_type, dau, dt FROM lake.gold.dau_daily WHERE dt = '2026-11-22'''");
  });

  it('checks every table unless told which', () => {
    expect(goldChecks().map((spec) => spec.table)).toEqual(['ctr_hourly', 'campaign_daily', 'dau_daily', 'title_plays_daily']);
    expect(goldChecks(['title_plays_daily', 'ctr_hourly']).map((spec) => spec.table)).toEqual(['ctr_hourly', 'title_plays_daily']);
  });
});

describe('where replayed traffic lands', () => {
  const now = Date.UTC(2026, 11, 1, 21, 52);

  it('tries the days 2 to 6 back, each with the day before, at 12:30; else 3 days back on the id scope', () => {
    const { candidates, fallback } = quietDayCandidates(now);
    expect(candidates.map((c) => [c.hours[0], c.hours[47], c.hours.length, new Date(c.window.targetMs).toISOString(), c.window.wholeDay])).toEqual([
      ['2026-11-28T00', '2026-11-29T23', 48, '2026-11-29T12:30:00.000Z', true],
      ['2026-11-27T00', '2026-11-28T23', 48, '2026-11-28T12:30:00.000Z', true],
      ['2026-11-26T00', '2026-11-27T23', 48, '2026-11-27T12:30:00.000Z', true],
      ['2026-11-25T00', '2026-11-26T23', 48, '2026-11-26T12:30:00.000Z', true],
      ['2026-11-24T00', '2026-11-25T23', 48, '2026-11-25T12:30:00.000Z', true],
    ]);
    expect(fallback).toEqual({ targetMs: Date.UTC(2026, 10, 28, 21, 52), wholeDay: false });
  });

  it('compares dau_daily only on a quiet day', () => {
    expect(comparableTables({ targetMs: now, wholeDay: true })).toBeUndefined();
    expect(comparableTables({ targetMs: now, wholeDay: false })).toEqual(['ctr_hourly', 'campaign_daily', 'title_plays_daily']);
  });
});
