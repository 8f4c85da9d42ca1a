/**
 * The query router's rewrites on the real stack: traffic of this run's own id scope goes through the
 * collector into a quiet stretch of past hours, every hour and day is promoted, and then each Silver
 * query the router rewrites must give, on Trino, exactly what its Gold rewrite gives: the same
 * columns (names and types) and the same rows. Campaign and title ids are the run's own (the scope's
 * prefix), so other data on the lake does not matter; DAU has no such key and is compared only when
 * the day holds nothing but this traffic.
 */
import { Presto } from '../../activities/clients';
import { routeQuery } from '../../core/queryRouter';
import { HOUR_MS, hourKey, parseHourKey } from '../../core/time';
import { generate } from '../../workers/generate';
import { findQuietWindow, newIdScope, runPromoteDay, runPromoteHour } from '../../workers/lakeCommands';
import { stackConfig } from '../support/stack';

const config = stackConfig();
const AD = "event_type IN ('ad_impression', 'ad_click')";

interface Result {
  readonly columns: Array<{ name: string; type: string }>;
  readonly rows: string[];
}

async function run(presto: Presto, sql: string): Promise<Result> {
  const { columns, rows } = await presto.query(sql);
  return { columns: columns.map((c) => ({ name: c.name, type: c.type })), rows: rows.map((row) => JSON.stringify(row)).sort() };
}

describe('query router on Trino: every rewrite gives the Silver result', () => {
  const presto = new Presto(config.presto);
  let scope = '';
  let day = '';
  let hours: string[] = [];
  let wholeDay = false;

  beforeAll(async () => {
    const now = Date.now();
    const quiet = await findQuietWindow(config, now);
    wholeDay = quiet.wholeDay;
    scope = newIdScope();
    const result = await generate(
      config.collector,
      {
        ratePerSec: 3000,
        durationSec: 2,
        batchSize: 500,
        concurrency: 4,
        gzip: true,
        eventTimeShiftMs: quiet.targetMs - now,
        // Late events spread the traffic over the hours before the target: several hours to group by.
        traffic: { idScope: scope, seed: Math.floor(Math.random() * 2 ** 31), campaigns: 6, users: 300, titles: 5, lateFraction: 0.3, duplicateFraction: 0.05 },
      },
      undefined,
    );
    hours = [...new Set(result.accepted.filter((e) => e.quarantine_reason === null).map((e) => hourKey(e.event_time)))].sort();
    for (const hour of hours) await runPromoteHour(config, hour);
    const days = [...new Set(hours.map((h) => h.slice(0, 10)))].sort();
    for (const dt of days) await runPromoteDay(config, dt);
    // The day of the target hour: the one with the most of the traffic.
    day = hourKey(quiet.targetMs).slice(0, 10);
  }, 600_000);

  /** The Silver queries, each with the Gold table its rewrite must read. */
  function cases(): Array<{ name: string; table: string; sql: string; onlyWholeDay?: boolean }> {
    const campaigns = `campaign_id LIKE '${scope}%'`;
    const titles = `title_id LIKE '${scope}%'`;
    const first = hours[0] as string;
    const last = hours[hours.length - 1] as string;
    const days = `dt BETWEEN '${first.slice(0, 10)}' AND '${last.slice(0, 10)}'`;
    // Two whole hours, starting at the second hour of the traffic (or its first when it has one).
    const lo = parseHourKey(hours[Math.min(1, hours.length - 1)] as string).startMs;
    const dayHours = hours.filter((h) => h.startsWith(day)).map((h) => h.slice(11));
    return [
      {
        name: 'ad counts per campaign and hour',
        table: 'lake.gold.ctr_hourly',
        sql: `SELECT campaign_id, dt, hr, count(*) FILTER (WHERE event_type = 'ad_impression') AS impressions, count_if(event_type = 'ad_click') AS clicks FROM lake.silver.events WHERE ${AD} AND ${campaigns} AND ${days} GROUP BY campaign_id, dt, hr`,
      },
      {
        name: 'ad counts and CTR per campaign and day',
        table: 'lake.gold.campaign_daily',
        sql:
          `SELECT campaign_id, dt, count_if(event_type = 'ad_impression') AS impressions, count_if(event_type = 'ad_click') AS clicks, ` +
          `CAST(count_if(event_type = 'ad_click') AS DOUBLE) / NULLIF(count_if(event_type = 'ad_impression'), 0) AS ctr, count(*) AS events ` +
          `FROM lake.silver.events WHERE ${AD} AND ${campaigns} AND ${days} GROUP BY campaign_id, dt`,
      },
      {
        name: 'clicks per campaign over the days',
        table: 'lake.gold.campaign_daily',
        sql: `SELECT campaign_id, count(*) AS clicks FROM lake.silver.events WHERE event_type = 'ad_click' AND ${campaigns} AND ${days} GROUP BY campaign_id`,
      },
      {
        // Hours without clicks have a ctr_hourly row but no Silver group.
        name: 'clicks per campaign and hour (only hours with clicks)',
        table: 'lake.gold.ctr_hourly',
        sql: `SELECT campaign_id, dt, hr, count(*) AS clicks FROM lake.silver.events WHERE event_type = 'ad_click' AND ${campaigns} AND ${days} GROUP BY campaign_id, dt, hr`,
      },
      {
        name: 'impressions per campaign and day over some hours',
        table: 'lake.gold.ctr_hourly',
        sql: `SELECT campaign_id, dt, count(*) AS impressions FROM lake.silver.events WHERE event_type = 'ad_impression' AND ${campaigns} AND dt = '${day}' AND hr IN (${dayHours.slice(0, 3).map((h) => `'${h}'`).join(', ')}) GROUP BY campaign_id, dt`,
      },
      {
        name: 'CTR over two whole hours of event_time',
        table: 'lake.gold.ctr_hourly',
        sql:
          `SELECT campaign_id, CAST(count_if(event_type = 'ad_click') AS DOUBLE) / NULLIF(count_if(event_type = 'ad_impression'), 0) AS ctr ` +
          `FROM lake.silver.events WHERE ${AD} AND ${campaigns} AND event_time >= ${lo} AND event_time < ${lo + 2 * HOUR_MS} GROUP BY campaign_id ORDER BY ctr DESC LIMIT 100`,
      },
      {
        name: 'all impressions of the scope on the day, no GROUP BY',
        table: 'lake.gold.campaign_daily',
        sql: `SELECT count(*) FROM lake.silver.events WHERE event_type = 'ad_impression' AND ${campaigns} AND dt = '${day}'`,
      },
      {
        name: 'a day without traffic, no GROUP BY: 0 both ways',
        table: 'lake.gold.campaign_daily',
        sql: `SELECT count(*) AS n FROM lake.silver.events WHERE event_type = 'ad_click' AND ${campaigns} AND dt = '2001-01-01'`,
      },
      {
        name: 'distinct users per campaign and day',
        table: 'lake.gold.campaign_daily',
        sql: `SELECT campaign_id, dt, count(DISTINCT user_key) AS users FROM lake.silver.events WHERE ${AD} AND ${campaigns} AND ${days} GROUP BY campaign_id, dt HAVING count(DISTINCT user_key) > 1`,
      },
      {
        name: 'plays and unique viewers per title and day',
        table: 'lake.gold.title_plays_daily',
        sql: `SELECT title_id, dt, count(*) AS plays, count(DISTINCT user_key) AS unique_viewers FROM lake.silver.events WHERE event_type = 'video_play' AND ${titles} AND ${days} GROUP BY title_id, dt`,
      },
      {
        name: 'plays per title over the days, and the last day played',
        table: 'lake.gold.title_plays_daily',
        sql: `SELECT title_id, count(*) AS plays, max(dt) AS last_day FROM lake.silver.events WHERE event_type = 'video_play' AND ${titles} AND ${days} GROUP BY title_id ORDER BY plays DESC, title_id LIMIT 3`,
      },
      {
        name: 'DAU per day',
        table: 'lake.gold.dau_daily',
        sql: `SELECT dt, count(DISTINCT user_key) AS dau FROM lake.silver.events WHERE dt = '${day}' GROUP BY dt`,
        onlyWholeDay: true,
      },
      {
        name: 'DAU of one device type',
        table: 'lake.gold.dau_daily',
        sql: `SELECT count(DISTINCT user_key) AS dau FROM lake.silver.events WHERE dt = '${day}' AND device_type = 'web'`,
        onlyWholeDay: true,
      },
    ];
  }

  it('rewrites each query to its summary, and Trino gives the same columns and rows', async () => {
    expect(hours.length).toBeGreaterThan(2);
    const compared: string[] = [];
    for (const c of cases()) {
      const route = routeQuery(c.sql, { catalog: config.presto.catalog });
      expect({ name: c.name, rewritten: route.rewritten, table: route.table, reason: route.reason }).toEqual({
        name: c.name,
        rewritten: true,
        table: c.table,
        reason: `answered by ${c.table}`,
      });
      if (c.onlyWholeDay === true && !wholeDay) continue;
      const [silver, gold] = await Promise.all([run(presto, c.sql), run(presto, route.sql)]);
      expect({ name: c.name, ...gold }).toEqual({ name: c.name, ...silver });
      // Every comparison but the empty day's has rows: equal empty results would prove nothing.
      if (!c.name.startsWith('a day without traffic')) expect({ name: c.name, rows: silver.rows.length > 0 }).toEqual({ name: c.name, rows: true });
      compared.push(c.name);
    }
    expect(compared.length).toBe(wholeDay ? 13 : 11);
  }, 300_000);
});
