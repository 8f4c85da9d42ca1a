/**
 * The daily Gold tables of a day (`campaign_daily`, `dau_daily`, `title_plays_daily`) computed in
 * embedded DuckDB over the day's local Silver Parquet files, so a day of 24M events never becomes 24M
 * JS objects. The semantics are goldDay's (core/gold.ts, i.e. computeGoldTables of core/truth.ts):
 * - campaign_daily: ad_impression and ad_click events with a campaign_id, per campaign; unique_users
 *   is the distinct user_keys of those events; ctr = clicks / impressions, NULL without impressions.
 * - dau_daily: distinct user_keys per device_type (NULL counts as 'other'), plus an 'all' row; no
 *   rows at all for a day without events.
 * - title_plays_daily: video_play events with a title_id, per title; unique_viewers as above.
 * Every event_time must be of the day (BadInputError naming one stray event, as goldDay does); one
 * aggregate checks that before anything is written.
 *
 * Column names, order and types come from the TableDefs (core/lakeTables.ts), each column cast to the
 * type writeParquet stores, so the files are what writeParquet would write from goldDay's rows. Rows
 * are ordered by their key in DuckDB's byte (code point) order; goldDay sorts by UTF-16 code units,
 * which differs only between astral characters and U+E000..U+FFFF. Readers never rely on file order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BadInputError } from '../core/errors';
import { quoteIdentifier, quoteLiteral } from '../core/lake';
import { GOLD_CAMPAIGN_DAILY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY, SILVER_EVENTS, type DataRow, type TableDef } from '../core/lakeTables';
import { DAY_MS, parseDay } from '../core/time';
import type { CampaignDailyRow, DauDailyRow, TitlePlaysDailyRow } from '../core/truth';
import { storedColumnsSql, withConnection } from './parquet';

export interface GoldDayInput {
  /** Local Parquet files of `lake.silver.events` (data columns, as writeParquet writes them); may be empty. */
  readonly silverFiles: readonly string[];
  readonly dt: string;
  /** Directory of the output files (created if missing); the files are named after their tables. */
  readonly outDir: string;
  /** DuckDB threads (see ParquetOptions.threads); default: DuckDB's. */
  readonly threads?: number;
}

export interface GoldDayFiles {
  readonly silverRows: number;
  readonly files: { campaign_daily: string; dau_daily: string; title_plays_daily: string };
  readonly rows: { campaign_daily: number; dau_daily: number; title_plays_daily: number };
}

/**
 * A daily table as a query over the relation `silver`: an SQL expression per data column (the mapped
 * type makes a column missing from or added to the row type a compile error), the FROM ... GROUP BY
 * clauses, and the key column that orders the rows.
 */
interface DailyQuery<Row extends object> {
  readonly def: TableDef<Row>;
  readonly columns: { readonly [K in Extract<keyof DataRow<Row>, string>]-?: string };
  readonly from: string;
  readonly orderBy: Extract<keyof DataRow<Row>, string>;
}

const IMPRESSIONS = "count(*) FILTER (WHERE event_type = 'ad_impression')";
const CLICKS = "count(*) FILTER (WHERE event_type = 'ad_click')";

const CAMPAIGN_DAILY: DailyQuery<CampaignDailyRow> = {
  def: GOLD_CAMPAIGN_DAILY,
  columns: {
    campaign_id: 'campaign_id',
    impressions: IMPRESSIONS,
    clicks: CLICKS,
    ctr: `CAST(${CLICKS} AS DOUBLE) / NULLIF(${IMPRESSIONS}, 0)`,
    unique_users: 'count(DISTINCT user_key)',
  },
  from: "FROM silver WHERE event_type IN ('ad_impression', 'ad_click') AND campaign_id IS NOT NULL GROUP BY campaign_id",
  orderBy: 'campaign_id',
};

// The grouping set () is the 'all' row; it exists even without rows, hence HAVING.
const DAU_DAILY: DailyQuery<DauDailyRow> = {
  def: GOLD_DAU_DAILY,
  columns: { device_type: "COALESCE(device, 'all')", dau: 'count(DISTINCT user_key)' },
  from: "FROM (SELECT COALESCE(device_type, 'other') AS device, user_key FROM silver) GROUP BY GROUPING SETS ((device), ()) HAVING count(*) > 0",
  orderBy: 'device_type',
};

const TITLE_PLAYS_DAILY: DailyQuery<TitlePlaysDailyRow> = {
  def: GOLD_TITLE_PLAYS_DAILY,
  columns: { title_id: 'title_id', plays: 'count(*)', unique_viewers: 'count(DISTINCT user_key)' },
  from: "FROM silver WHERE event_type = 'video_play' AND title_id IS NOT NULL GROUP BY title_id",
  orderBy: 'title_id',
};

/** The Silver rows as a relation: the files, or an empty relation of the Silver columns (read_parquet needs a file). */
function silverRelation(files: readonly string[]): string {
  if (files.length > 0) return `read_parquet([${files.map(quoteLiteral).join(', ')}])`;
  return `(SELECT ${storedColumnsSql(SILVER_EVENTS, () => 'NULL')} LIMIT 0)`;
}

/** COPY of a daily table's rows to a Parquet file, as writeParquet writes them. */
function copySql<Row extends object>(query: DailyQuery<Row>, silver: string, file: string): string {
  const rows = `WITH silver AS (SELECT * FROM ${silver}) SELECT ${storedColumnsSql(query.def, query.columns)} ${query.from} ORDER BY ${quoteIdentifier(query.orderBy)}`;
  return `COPY (${rows}) TO ${quoteLiteral(file)} (FORMAT PARQUET, COMPRESSION ZSTD)`;
}

/**
 * Writes the day's three daily Gold tables, one Parquet file each, into outDir (replacing them), from
 * the day's Silver files; the rows equal goldDay's. BadInputError if a Silver row is of another day.
 */
export async function writeGoldDay(input: GoldDayInput): Promise<GoldDayFiles> {
  const dayStart = parseDay(input.dt);
  const silver = silverRelation(input.silverFiles);
  const fileOf = (def: TableDef): string => path.join(input.outDir, `${def.table}.parquet`);
  const files = { campaign_daily: fileOf(GOLD_CAMPAIGN_DAILY), dau_daily: fileOf(GOLD_DAU_DAILY), title_plays_daily: fileOf(GOLD_TITLE_PLAYS_DAILY) };
  return withConnection(input.threads, async (connection) => {
    // NULL event_time is of no day (goldDay throws on it too).
    const stray = `event_time IS NULL OR event_time < ${dayStart} OR event_time >= ${dayStart + DAY_MS}`;
    const check = await connection.runAndReadAll(`SELECT count(*), count(*) FILTER (WHERE ${stray}), min(event_id) FILTER (WHERE ${stray}) FROM ${silver}`);
    const [total, strays, example] = check.getRows()[0] ?? [];
    if (Number(strays) > 0) throw new BadInputError(`gold day ${input.dt}: event ${String(example)} is of another day (${Number(strays)} of ${Number(total)} rows)`);

    fs.mkdirSync(input.outDir, { recursive: true });
    const copy = async <Row extends object>(query: DailyQuery<Row>, file: string): Promise<number> => (await connection.run(copySql(query, silver, file))).rowsChanged;
    return {
      silverRows: Number(total),
      files,
      rows: {
        campaign_daily: await copy(CAMPAIGN_DAILY, files.campaign_daily),
        dau_daily: await copy(DAU_DAILY, files.dau_daily),
        title_plays_daily: await copy(TITLE_PLAYS_DAILY, files.title_plays_daily),
      },
    };
  });
}
