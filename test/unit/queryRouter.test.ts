import { BadInputError } from '../../core/errors';
import { fingerprint, routeQuery } from '../../core/queryRouter';

const SILVER = 'lake.silver.events';
const AD = "event_type IN ('ad_impression', 'ad_click')";

interface Case {
  readonly name: string;
  readonly sql: string;
  readonly table: string;
  readonly reason: string;
  /** The rewritten SQL; absent when the query passes through unchanged. */
  readonly rewrite?: string;
}

const REWRITES: Case[] = [
  {
    name: 'ad counts per campaign and hour → ctr_hourly',
    sql: `SELECT campaign_id, dt, hr, count(*) FILTER (WHERE event_type = 'ad_impression') AS impressions, count_if(event_type = 'ad_click') AS clicks FROM lake.silver.events WHERE ${AD} AND dt = '2026-11-22' GROUP BY campaign_id, dt, hr`,
    table: 'lake.gold.ctr_hourly',
    reason: 'answered by lake.gold.ctr_hourly',
    rewrite: `SELECT campaign_id, dt, hr, SUM(impressions) AS "impressions", SUM(clicks) AS "clicks" FROM "lake"."gold"."ctr_hourly" WHERE dt = '2026-11-22' GROUP BY campaign_id, dt, hr`,
  },
  {
    name: 'ad counts per campaign and day → campaign_daily',
    sql: `SELECT campaign_id, dt, count_if(event_type = 'ad_impression') AS i, count_if(event_type = 'ad_click') AS c FROM lake.silver.events WHERE ${AD} AND dt BETWEEN '2026-11-20' AND '2026-11-22' GROUP BY 1, 2 ORDER BY 1, 2`,
    table: 'lake.gold.campaign_daily',
    reason: 'answered by lake.gold.campaign_daily',
    rewrite: `SELECT campaign_id, dt, SUM(impressions) AS "i", SUM(clicks) AS "c" FROM "lake"."gold"."campaign_daily" WHERE dt BETWEEN '2026-11-20' AND '2026-11-22' GROUP BY 1, 2 ORDER BY 1 ASC, 2 ASC`,
  },
  {
    name: 'per day over some hours → sum of ctr_hourly',
    sql: `SELECT campaign_id, dt, count_if(event_type = 'ad_click') AS clicks FROM lake.silver.events WHERE ${AD} AND dt = '2026-11-22' AND hr >= '06' AND hr < '12' GROUP BY campaign_id, dt`,
    table: 'lake.gold.ctr_hourly',
    reason: 'answered by lake.gold.ctr_hourly',
    rewrite: `SELECT campaign_id, dt, SUM(clicks) AS "clicks" FROM "lake"."gold"."ctr_hourly" WHERE dt = '2026-11-22' AND hr >= '06' AND hr < '12' GROUP BY campaign_id, dt`,
  },
  {
    name: 'one event type, count(*): Gold rows without that type are left out',
    sql: "SELECT campaign_id, count(*) AS clicks FROM lake.silver.events WHERE event_type = 'ad_click' AND campaign_id IN ('c1', 'c2') AND dt >= '2026-11-20' AND dt <= '2026-11-21' GROUP BY campaign_id",
    table: 'lake.gold.campaign_daily',
    reason: 'answered by lake.gold.campaign_daily',
    rewrite: `SELECT campaign_id, SUM(clicks) AS "clicks" FROM "lake"."gold"."campaign_daily" WHERE campaign_id IN ('c1', 'c2') AND dt >= '2026-11-20' AND dt <= '2026-11-21' AND clicks > 0 GROUP BY campaign_id`,
  },
  {
    name: 'CTR expression over hour-aligned event_time → ctr_hourly with hour keys',
    sql: `SELECT campaign_id, CAST(count_if(event_type = 'ad_click') AS DOUBLE) / NULLIF(count_if(event_type = 'ad_impression'), 0) AS ctr FROM lake.silver.events e WHERE e.${AD} AND e.event_time >= 1764000000000 AND e.event_time < 1764007200000 GROUP BY e.campaign_id`,
    table: 'lake.gold.ctr_hourly',
    reason: 'answered by lake.gold.ctr_hourly',
    rewrite:
      `SELECT campaign_id, CAST(SUM(clicks) AS DOUBLE) / NULLIF(SUM(impressions), 0) AS "ctr" FROM "lake"."gold"."ctr_hourly" AS "e" ` +
      "WHERE concat(dt, 'T', hr) >= '2025-11-24T16' AND concat(dt, 'T', hr) < '2025-11-24T18' AND dt >= '2025-11-24' AND dt <= '2025-11-24' GROUP BY campaign_id",
  },
  {
    name: 'day-aligned event_time → dt bounds on campaign_daily',
    sql: `SELECT campaign_id, count(*) AS n FROM lake.silver.events WHERE ${AD} AND event_time >= 1763942400000 AND event_time < 1764115200000 GROUP BY campaign_id`,
    table: 'lake.gold.campaign_daily',
    reason: 'answered by lake.gold.campaign_daily',
    rewrite: `SELECT campaign_id, SUM(impressions + clicks) AS "n" FROM "lake"."gold"."campaign_daily" WHERE dt >= '2025-11-24' AND dt < '2025-11-26' GROUP BY campaign_id`,
  },
  {
    name: 'no GROUP BY: the sum of no rows is 0, as the count',
    sql: "select count(*) from lake.silver.events where event_type = 'ad_impression' and campaign_id = 'c1' and dt = '2026-11-22'",
    table: 'lake.gold.campaign_daily',
    reason: 'answered by lake.gold.campaign_daily',
    rewrite: `SELECT coalesce(SUM(impressions), 0) FROM "lake"."gold"."campaign_daily" WHERE campaign_id = 'c1' AND dt = '2026-11-22' AND impressions > 0`,
  },
  {
    name: 'distinct users per campaign and day → campaign_daily.unique_users',
    sql: `SELECT campaign_id, dt, count(DISTINCT user_key) AS users FROM lake.silver.events WHERE ${AD} AND dt >= '2026-11-20' GROUP BY campaign_id, dt HAVING count(DISTINCT user_key) > 1`,
    table: 'lake.gold.campaign_daily',
    reason: 'answered by lake.gold.campaign_daily',
    rewrite: `SELECT campaign_id, dt, SUM(unique_users) AS "users" FROM "lake"."gold"."campaign_daily" WHERE dt >= '2026-11-20' GROUP BY campaign_id, dt HAVING SUM(unique_users) > 1`,
  },
  {
    name: 'distinct users of one campaign on one day (both keys fixed by the filter)',
    sql: `SELECT count(DISTINCT user_key) FROM lake.silver.events WHERE ${AD} AND campaign_id = 'c1' AND dt = '2026-11-22'`,
    table: 'lake.gold.campaign_daily',
    reason: 'answered by lake.gold.campaign_daily',
    rewrite: `SELECT coalesce(SUM(unique_users), 0) FROM "lake"."gold"."campaign_daily" WHERE campaign_id = 'c1' AND dt = '2026-11-22'`,
  },
  {
    name: 'DAU per day → dau_daily, the all row',
    sql: "SELECT dt, count(DISTINCT user_key) AS dau FROM lake.silver.events WHERE dt >= '2026-11-20' AND dt < '2026-11-22' GROUP BY dt ORDER BY dt",
    table: 'lake.gold.dau_daily',
    reason: 'answered by lake.gold.dau_daily',
    rewrite: `SELECT dt, SUM(dau) AS "dau" FROM "lake"."gold"."dau_daily" WHERE dt >= '2026-11-20' AND dt < '2026-11-22' AND device_type = 'all' GROUP BY dt ORDER BY dt ASC`,
  },
  {
    name: "DAU of one device type → that row of dau_daily",
    sql: "SELECT count(DISTINCT user_key) FROM lake.silver.events WHERE dt = '2026-11-20' AND device_type = 'ios'",
    table: 'lake.gold.dau_daily',
    reason: 'answered by lake.gold.dau_daily',
    rewrite: `SELECT coalesce(SUM(dau), 0) FROM "lake"."gold"."dau_daily" WHERE dt = '2026-11-20' AND device_type = 'ios'`,
  },
  {
    name: 'plays and unique viewers per title and day → title_plays_daily',
    sql: "SELECT title_id, dt, count(*) AS plays, count(DISTINCT user_key) AS viewers FROM silver.events WHERE event_type = 'video_play' AND dt = '2026-11-22' GROUP BY title_id, dt ORDER BY plays DESC LIMIT 10",
    table: 'lake.gold.title_plays_daily',
    reason: 'answered by lake.gold.title_plays_daily',
    rewrite: `SELECT title_id, dt, SUM(plays) AS "plays", SUM(unique_viewers) AS "viewers" FROM "lake"."gold"."title_plays_daily" WHERE dt = '2026-11-22' GROUP BY title_id, dt ORDER BY plays DESC LIMIT 10`,
  },
  {
    name: 'plays per title over a week: plays add up across days',
    sql: "SELECT title_id, count(*) AS plays, max(dt) AS last_day FROM lake.silver.events WHERE event_type = 'video_play' AND dt BETWEEN '2026-11-16' AND '2026-11-22' GROUP BY title_id",
    table: 'lake.gold.title_plays_daily',
    reason: 'answered by lake.gold.title_plays_daily',
    rewrite: `SELECT title_id, SUM(plays) AS "plays", MAX(dt) AS "last_day" FROM "lake"."gold"."title_plays_daily" WHERE dt BETWEEN '2026-11-16' AND '2026-11-22' GROUP BY title_id`,
  },
  {
    name: 'OR and functions of the keys are kept as they are',
    sql: "SELECT campaign_id, count(*) AS n FROM lake.silver.events WHERE event_type = 'ad_impression' AND (campaign_id = 'a' OR substr(campaign_id, 1, 1) = 'b') GROUP BY campaign_id ORDER BY n DESC, campaign_id LIMIT 5",
    table: 'lake.gold.campaign_daily',
    reason: 'answered by lake.gold.campaign_daily',
    rewrite: `SELECT campaign_id, SUM(impressions) AS "n" FROM "lake"."gold"."campaign_daily" WHERE (campaign_id = 'a' OR substr(campaign_id, 1, 1) = 'b') AND impressions > 0 GROUP BY campaign_id ORDER BY n DESC, campaign_id ASC LIMIT 5`,
  },
];

const REFUSALS: Case[] = [
  { name: 'country', sql: "SELECT country, count(*) FROM lake.silver.events WHERE event_type = 'ad_click' GROUP BY country", table: SILVER, reason: 'no summary holds column country' },
  {
    name: 'device_type on ad counts',
    sql: `SELECT campaign_id, count(*) FROM lake.silver.events WHERE ${AD} AND device_type = 'ios' GROUP BY campaign_id`,
    table: SILVER,
    reason: 'filter on device_type: lake.gold.ctr_hourly and lake.gold.campaign_daily (ad counts) hold no column device_type',
  },
  { name: 'GROUP BY user_key', sql: "SELECT user_key, count(*) FROM lake.silver.events WHERE event_type = 'ad_click' GROUP BY user_key", table: SILVER, reason: 'GROUP BY user_key: summaries hold no users' },
  { name: 'filter on user_key', sql: `SELECT campaign_id, count(*) FROM lake.silver.events WHERE ${AD} AND user_key = 'k' GROUP BY 1`, table: SILVER, reason: 'filter on user_key: summaries hold no users' },
  {
    name: 'event_time not on whole hours',
    sql: `SELECT campaign_id, count(*) FROM lake.silver.events WHERE ${AD} AND event_time >= 1764000000000 AND event_time < 1764001800000 GROUP BY campaign_id`,
    table: SILVER,
    reason: 'filter on event_time is not aligned to whole hours',
  },
  {
    name: 'event_time in a function',
    sql: `SELECT campaign_id, count(*) FROM lake.silver.events WHERE ${AD} AND from_unixtime(event_time / 1e3) >= TIMESTAMP '2026-11-22 00:00:00' GROUP BY campaign_id`,
    table: SILVER,
    reason: 'filter on event_time: only event_time compared with epoch milliseconds (>=, >, <, <=, BETWEEN) is understood',
  },
  {
    name: 'distinct users over several days',
    sql: `SELECT campaign_id, count(DISTINCT user_key) FROM lake.silver.events WHERE ${AD} AND dt BETWEEN '2026-11-20' AND '2026-11-22' GROUP BY campaign_id`,
    table: SILVER,
    reason: 'count(DISTINCT user_key) over several days: distinct users cannot be summed across days (GROUP BY dt or filter dt = one value)',
  },
  {
    name: 'distinct users over all campaigns of a day',
    sql: `SELECT dt, count(DISTINCT user_key) FROM lake.silver.events WHERE ${AD} GROUP BY dt`,
    table: SILVER,
    reason: 'count(DISTINCT user_key) over several campaigns: distinct users cannot be summed across campaigns (GROUP BY campaign_id or filter campaign_id = one value)',
  },
  {
    name: 'distinct users per hour',
    sql: `SELECT campaign_id, dt, hr, count(DISTINCT user_key) FROM lake.silver.events WHERE ${AD} GROUP BY campaign_id, dt, hr`,
    table: SILVER,
    reason: 'count(DISTINCT user_key) with GROUP BY hr: lake.gold.campaign_daily.unique_users counts whole days, and distinct users cannot be summed across hours',
  },
  {
    name: 'distinct users of clicks only',
    sql: "SELECT campaign_id, dt, count(DISTINCT user_key) FROM lake.silver.events WHERE event_type = 'ad_click' GROUP BY campaign_id, dt",
    table: SILVER,
    reason: 'count(DISTINCT user_key) over ad_click only: lake.gold.campaign_daily.unique_users counts users of ad_impression and ad_click together',
  },
  {
    name: 'ad counts without an event_type filter',
    sql: "SELECT campaign_id, count_if(event_type = 'ad_click') FROM lake.silver.events GROUP BY campaign_id",
    table: SILVER,
    reason: "count_if(event_type = 'ad_click') without a filter event_type IN ('ad_impression', 'ad_click') or event_type = 'video_play': summaries count only those events",
  },
  { name: 'page views', sql: "SELECT dt, count(*) FROM lake.silver.events WHERE event_type = 'page_view' GROUP BY dt", table: SILVER, reason: 'no summary holds events of type page_view' },
  {
    name: 'join',
    sql: 'SELECT e.campaign_id, count(*) FROM lake.silver.events e JOIN lake.gold.dim_campaign d ON e.campaign_id = d.campaign_id GROUP BY 1',
    table: SILVER,
    reason: 'join: summaries hold no rows to join',
  },
  {
    name: 'window function',
    sql: `SELECT campaign_id, count(*), rank() OVER (ORDER BY count(*) DESC) FROM lake.silver.events WHERE ${AD} GROUP BY campaign_id`,
    table: SILVER,
    reason: 'window function rank: not rewritten',
  },
  {
    name: 'HAVING on another aggregate',
    sql: `SELECT campaign_id, count(*) FROM lake.silver.events WHERE ${AD} GROUP BY campaign_id HAVING avg(position_ms) > 3`,
    table: SILVER,
    reason: 'aggregate AVG(position_ms): no summary holds it',
  },
  { name: 'single events', sql: "SELECT event_id, campaign_id FROM lake.silver.events WHERE event_type = 'ad_click' LIMIT 10", table: SILVER, reason: 'no summary holds column event_id' },
  { name: 'SELECT *', sql: 'SELECT * FROM lake.silver.events', table: SILVER, reason: 'SELECT *: summaries hold counts, not events' },
  {
    name: 'LIMIT without ORDER BY',
    sql: `SELECT campaign_id, count(*) FROM lake.silver.events WHERE ${AD} GROUP BY campaign_id LIMIT 5`,
    table: SILVER,
    reason: 'LIMIT without ORDER BY: the rows kept are arbitrary, so no rewrite can give the same ones',
  },
  {
    name: "DAU of absent device types as 'other'",
    sql: "SELECT count(DISTINCT user_key) FROM lake.silver.events WHERE dt = '2026-11-22' AND device_type = 'other'",
    table: SILVER,
    reason: "filter device_type = 'other': lake.gold.dau_daily counts absent device_type as 'other' and all users as 'all'",
  },
  {
    name: 'hr on a daily summary',
    sql: "SELECT title_id, count(*) FROM lake.silver.events WHERE event_type = 'video_play' AND hr = '05' GROUP BY title_id",
    table: SILVER,
    reason: 'filter on hr: lake.gold.title_plays_daily is daily',
  },
  {
    name: 'a function of unknown determinism',
    sql: `SELECT campaign_id, count(*) FROM lake.silver.events WHERE ${AD} AND rand() < 0.5 GROUP BY campaign_id`,
    table: SILVER,
    reason: 'function rand: not known to be deterministic and scalar, not rewritten',
  },
  { name: 'subquery', sql: `SELECT count(*) FROM lake.silver.events WHERE ${AD} AND campaign_id IN (SELECT campaign_id FROM lake.gold.dim_campaign)`, table: SILVER, reason: 'subquery: only a single SELECT over lake.silver.events is rewritten' },
  {
    name: 'ROLLUP',
    sql: `SELECT campaign_id, dt, count(*) FROM lake.silver.events WHERE ${AD} GROUP BY ROLLUP (campaign_id, dt)`,
    table: SILVER,
    reason: 'ROLLUP: grouping sets are not rewritten',
  },
  {
    name: 'a qualifier of another table',
    sql: `SELECT x.campaign_id, count(*) FROM lake.silver.events e WHERE ${AD} GROUP BY 1`,
    table: SILVER,
    reason: 'column x.campaign_id: x is not the table read',
  },
  {
    name: 'campaign on DAU',
    sql: "SELECT dt, count(DISTINCT user_key) FROM lake.silver.events WHERE campaign_id = 'c1' GROUP BY dt",
    table: SILVER,
    reason: 'filter on campaign_id: lake.gold.dau_daily (daily active users) holds no column campaign_id',
  },
  {
    name: 'hours of event_time on a daily summary',
    sql: "SELECT title_id, count(*) FROM lake.silver.events WHERE event_type = 'video_play' AND event_time >= 1764000000000 GROUP BY title_id",
    table: SILVER,
    reason: 'filter on event_time is not aligned to whole days: lake.gold.title_plays_daily is daily',
  },
  {
    name: 'WITH',
    sql: `WITH ads AS (SELECT * FROM lake.silver.events WHERE ${AD}) SELECT campaign_id, count(*) FROM ads GROUP BY 1`,
    table: SILVER,
    reason: 'WITH: only a single SELECT over lake.silver.events is rewritten',
  },
  { name: 'already Gold', sql: "SELECT * FROM lake.gold.ctr_hourly WHERE dt = '2026-11-22'", table: 'lake.gold.ctr_hourly', reason: 'already reads a summary' },
  { name: 'audit table', sql: 'SELECT count(*) FROM lake.audit.hour_runs', table: 'lake.audit.hour_runs', reason: 'reads lake.audit.hour_runs: no summary of it' },
  { name: 'no table', sql: 'SELECT 1', table: '', reason: 'reads no table' },
  { name: 'not a SELECT', sql: "DELETE FROM lake.silver.events WHERE dt = '2026-11-22'", table: SILVER, reason: 'not a SELECT (DELETE): not rewritten' },
];

function route(sql: string): { table: string; reason: string; rewrite?: string } {
  const r = routeQuery(sql);
  return r.rewritten ? { table: r.table, reason: r.reason, rewrite: r.sql } : { table: r.table, reason: r.reason };
}

describe('routeQuery', () => {
  it.each(REWRITES)('rewrites: $name', ({ sql, table, reason, rewrite }) => {
    expect(route(sql)).toEqual({ table, reason, rewrite });
  });

  it.each(REFUSALS)('passes through: $name', ({ sql, table, reason }) => {
    const r = routeQuery(sql);
    expect({ table: r.table, reason: r.reason, rewritten: r.rewritten, sql: r.sql }).toEqual({ table, reason, rewritten: false, sql });
  });

  it('passes text it cannot parse to Trino unchanged, saying why', () => {
    const r = routeQuery('SELEC campaign_id FROM lake.silver.events');
    expect(r.sql).toBe('SELEC campaign_id FROM lake.silver.events');
    expect(r.rewritten).toBe(false);
    expect(r.table).toBe('');
    expect(r.reason).toMatch(/^not parsed: Expected .* found\.$/);
    expect(r.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(routeQuery('SELECT 1; SELECT 2').reason).toBe('not parsed: 2 statements; one is run at a time');
  });

  it('gives the whole route: partitions and tables of what runs', () => {
    const sql = "SELECT campaign_id, dt, hr, count_if(event_type = 'ad_click') AS c FROM lake.silver.events WHERE event_type = 'ad_click' AND dt IN ('2026-11-22', '2026-11-21') AND hr BETWEEN '05' AND '07' GROUP BY 1, 2, 3";
    expect(routeQuery(sql)).toEqual({
      sql: `SELECT campaign_id, dt, hr, SUM(clicks) AS "c" FROM "lake"."gold"."ctr_hourly" WHERE dt IN ('2026-11-22', '2026-11-21') AND hr BETWEEN '05' AND '07' AND clicks > 0 GROUP BY 1, 2, 3`,
      table: 'lake.gold.ctr_hourly',
      rewritten: true,
      reason: 'answered by lake.gold.ctr_hourly',
      fingerprint: fingerprint(sql).hash,
      partitions: [
        {
          table: 'lake.gold.ctr_hourly',
          dt: { kind: 'in', values: ['2026-11-21', '2026-11-22'] },
          hr: { kind: 'range', min: { value: '05', inclusive: true }, max: { value: '07', inclusive: true } },
          unbounded: false,
        },
      ],
      tables: ['lake.gold.ctr_hourly'],
    });
  });

  it('follows what the user may read: masked user_key, rows filtered to its campaigns', () => {
    const distinct = `SELECT campaign_id, dt, count(DISTINCT user_key) FROM lake.silver.events WHERE ${AD} GROUP BY campaign_id, dt`;
    const counts = `SELECT campaign_id, dt, count(*) FROM lake.silver.events WHERE ${AD} GROUP BY campaign_id, dt`;
    const plays = "SELECT title_id, dt, count(*) FROM lake.silver.events WHERE event_type = 'video_play' GROUP BY title_id, dt";
    expect(routeQuery(distinct, { userKeyMasked: true }).reason).toBe(
      'count(DISTINCT user_key): user_key is masked for you, so Silver counts no users where lake.gold.campaign_daily.unique_users counts them',
    );
    expect(routeQuery(counts, { userKeyMasked: true, campaignFiltered: true }).table).toBe('lake.gold.campaign_daily');
    expect(routeQuery(plays, { campaignFiltered: true }).reason).toBe('your rows are filtered to your campaigns: lake.gold.title_plays_daily has no campaign_id to filter them on');
    expect(routeQuery(plays).table).toBe('lake.gold.title_plays_daily');
  });

  it('names the field of bad input', () => {
    expect(() => routeQuery('  ')).toThrow(new BadInputError('sql: must be a non-empty string'));
    expect(() => routeQuery(undefined as unknown as string)).toThrow('sql: must be a non-empty string');
  });
});

describe('fingerprint', () => {
  const base = "SELECT campaign_id, count(*) AS n FROM lake.silver.events WHERE event_type = 'ad_click' AND dt >= '2026-11-20' AND dt < '2026-11-22' GROUP BY campaign_id";

  it('is the same across whitespace and keyword or identifier case', () => {
    const variant = "select   Campaign_ID,\n\tCOUNT(*) as n\nfrom LAKE.Silver.EVENTS\nwhere EVENT_TYPE = 'ad_click'  and DT >= '2026-11-20' and dt < '2026-11-22'\ngroup by campaign_id";
    expect(fingerprint(variant)).toEqual(fingerprint(base));
    expect(fingerprint(base.replace('lake.silver.events', 'silver.events')).normalizedSql).not.toBe(fingerprint(base).normalizedSql);
  });

  it('differs when the time range or a literal differs', () => {
    const other = base.replace("dt < '2026-11-22'", "dt < '2026-11-23'");
    expect(fingerprint(other).hash).not.toBe(fingerprint(base).hash);
    expect(fingerprint(base.replace("'ad_click'", "'AD_CLICK'")).hash).not.toBe(fingerprint(base).hash);
  });

  it('gives its pieces: normalized SQL, tables, partitions (unbounded when a side is open)', () => {
    expect(fingerprint(base)).toEqual({
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      normalizedSql: `SELECT campaign_id, COUNT(*) AS "n" FROM "lake"."silver"."events" WHERE event_type = 'ad_click' AND dt >= '2026-11-20' AND dt < '2026-11-22' GROUP BY campaign_id`,
      tables: ['lake.silver.events'],
      partitions: [
        {
          table: 'lake.silver.events',
          dt: { kind: 'range', min: { value: '2026-11-20', inclusive: true }, max: { value: '2026-11-22', inclusive: false } },
          hr: { kind: 'all' },
          unbounded: false,
        },
      ],
    });
    expect(fingerprint("SELECT count(*) FROM lake.gold.campaign_daily WHERE dt >= '2026-11-20'").partitions).toEqual([
      { table: 'lake.gold.campaign_daily', dt: { kind: 'range', min: { value: '2026-11-20', inclusive: true }, max: null }, unbounded: true },
    ]);
    // A join reads every partition of each table: only a single table's WHERE bounds it.
    expect(fingerprint("SELECT * FROM lake.gold.ctr_hourly c JOIN lake.gold.dim_campaign d ON c.campaign_id = d.campaign_id WHERE c.dt = '2026-11-22'").partitions).toEqual([
      { table: 'lake.gold.ctr_hourly', dt: { kind: 'all' }, hr: { kind: 'all' }, unbounded: true },
    ]);
  });

  it('lists the tables read, not the names of WITH queries', () => {
    expect(fingerprint('WITH a AS (SELECT * FROM lake.gold.dau_daily) SELECT * FROM a JOIN silver.events e ON a.dt = e.dt').tables).toEqual(['lake.gold.dau_daily', 'lake.silver.events']);
  });

  it('intersects the terms on one column', () => {
    const sql = "SELECT count(*) FROM lake.silver.events WHERE dt IN ('2026-11-20', '2026-11-21', '2026-11-25') AND dt BETWEEN '2026-11-21' AND '2026-11-30' AND hr > '03' AND hr >= '02'";
    expect(fingerprint(sql).partitions).toEqual([
      { table: 'lake.silver.events', dt: { kind: 'in', values: ['2026-11-21', '2026-11-25'] }, hr: { kind: 'range', min: { value: '03', inclusive: false }, max: null }, unbounded: false },
    ]);
  });
});
