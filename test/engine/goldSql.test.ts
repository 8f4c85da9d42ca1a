import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeGoldDay } from '../../activities/goldSql';
import { parquetColumnTypes, readParquetRows, withConnection, writeParquet } from '../../activities/parquet';
import { quoteLiteral } from '../../core/lake';
import { BadInputError } from '../../core/errors';
import { defaultValidationContext, validateEvent } from '../../core/event';
import { createTrafficModel } from '../../core/generator';
import { goldDay, type GoldDay } from '../../core/gold';
import { GOLD_CAMPAIGN_DAILY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY, SILVER_EVENTS, type DataRow, type TableDef } from '../../core/lakeTables';
import { sessionize, toSilverRow, type SilverRow } from '../../core/silver';
import { compareText } from '../../core/text';
import { DAY_MS, HOUR_MS, MINUTE_MS, hourOf, parseDay } from '../../core/time';

const DT = '2026-11-22';
const DAY = parseDay(DT);
const KEY = { hmacKey: 'gold-sql-test-key' };

/** The generator's traffic over five hours of DT, as promotion makes it Silver: valid, on time, first copy of each event_id, sessionized. */
function generatedRows(): SilverRow[] {
  const model = createTrafficModel({ seed: 11, campaigns: 40, users: 300, titles: 60, duplicateFraction: 0.03, malformedFraction: 0.03 });
  const seen = new Set<string>();
  const rows: SilverRow[] = [];
  for (const hour of [0, 5, 6, 13, 23]) {
    for (let minute = 0; minute < 60; minute += 6) {
      // Events are up to 5 s older than their send time: all of them are of DT.
      const nowMs = DAY + hour * HOUR_MS + minute * MINUTE_MS + 10_000;
      for (const wire of model.nextBatch(40, nowMs).events) {
        const result = validateEvent(wire, defaultValidationContext(nowMs));
        if (!result.ok || result.quarantined || seen.has(result.event.event_id)) continue;
        seen.add(result.event.event_id);
        rows.push(toSilverRow(result.event, KEY));
      }
    }
  }
  return sessionize(rows, new Map()).rows;
}

/** A Silver row of DT written by hand: a page_view of user_key `k1` unless changed. */
function row(event_id: string, event_time: number, changes: Partial<SilverRow> = {}): SilverRow {
  return {
    event_id,
    event_type: 'page_view',
    event_time,
    received_time: event_time + 1000,
    user_key: 'k1',
    session_id: 's1',
    campaign_id: null,
    ad_id: null,
    placement: null,
    title_id: null,
    position_ms: null,
    device_type: 'web',
    country: null,
    page_url: null,
    properties: null,
    ...hourOf(event_time),
    ...changes,
  };
}

const T = DAY + 7 * HOUR_MS;
const impression = (id: string, campaign: string | null, user_key: string): SilverRow => row(id, T, { event_type: 'ad_impression', campaign_id: campaign, ad_id: 'a1', user_key });
const click = (id: string, campaign: string | null, user_key: string): SilverRow => row(id, T + MINUTE_MS, { event_type: 'ad_click', campaign_id: campaign, ad_id: 'a1', user_key });

/** The corners goldDay defines: each changes a number or a row if a query gets it wrong. */
const EDGE_ROWS: SilverRow[] = [
  row('first-ms', DAY, { user_key: 'k-first', device_type: null }),
  row('last-ms', DAY + DAY_MS - 1, { user_key: 'k-last', device_type: 'other' }),
  // Ids differing only in Unicode normalisation or case are different ids; astral and U+FFFD sort differently by code unit and code point.
  impression('u1', 'ｃ-日本-é', 'k-é'),
  impression('u2', 'ｃ-日本-é', 'k-e\u0301'),
  impression('u3', 'ｃ-日本-e\u0301', 'k-é'),
  click('u4', '😀', 'k-😀'),
  click('u5', '😀', 'k-😀'),
  impression('u6', '\uFFFD', 'k1'),
  click('u7', '\uFFFD', 'k2'),
  impression('u8', 'Camp', 'k1'),
  impression('u9', 'camp', 'k1'),
  // One click in three impressions by two users: ctr 1/3, unique_users 2.
  impression('r1', 'thirds', 'k1'),
  impression('r2', 'thirds', 'k2'),
  impression('r3', 'thirds', 'k1'),
  click('r4', 'thirds', 'k1'),
  // Not counted by campaign_daily: ad events without a campaign, a campaign on a page_view.
  impression('n1', null, 'k-no-campaign'),
  click('n2', null, 'k-no-campaign'),
  row('n3', T, { campaign_id: 'page-only', user_key: 'k-page' }),
  // Plays: the same viewer twice; no title; a pause is not a play.
  row('p1', T, { event_type: 'video_play', title_id: 'タイトル', user_key: 'k-viewer', device_type: 'tv' }),
  row('p2', T + 1, { event_type: 'video_play', title_id: 'タイトル', user_key: 'k-viewer', device_type: null }),
  row('p3', T + 2, { event_type: 'video_play', title_id: null, user_key: 'k-untitled', device_type: 'stb' }),
  row('p4', T + 3, { event_type: 'video_pause', title_id: 'paused-only', user_key: 'k-viewer', position_ms: 5 }),
];

const ROWS: SilverRow[] = [...generatedRows(), ...EDGE_ROWS];

type DailyTable = keyof GoldDay;
const DEFS: { readonly [T in DailyTable]: TableDef } = { campaign_daily: GOLD_CAMPAIGN_DAILY, dau_daily: GOLD_DAU_DAILY, title_plays_daily: GOLD_TITLE_PLAYS_DAILY };
const KEYS: { readonly [T in DailyTable]: string } = { campaign_daily: 'campaign_id', dau_daily: 'device_type', title_plays_daily: 'title_id' };
const TABLES = Object.keys(DEFS) as DailyTable[];

/** Rows sorted by the table's key in code-unit order (goldDay's), whatever order the file has. */
function sortedByKey(table: DailyTable, rows: readonly object[]): object[] {
  const key = (r: object): string => String((r as Record<string, unknown>)[KEYS[table]]);
  return [...rows].sort((a, b) => compareText(key(a), key(b)));
}

/** goldDay's rows without the partition column, as writeParquet stores them. */
function expectedRows(rows: readonly SilverRow[]): { [T in DailyTable]: object[] } {
  const day = goldDay(rows, DT);
  const strip = (table: DailyTable): object[] => day[table].map(({ dt: _dt, ...data }) => data);
  return { campaign_daily: strip('campaign_daily'), dau_daily: strip('dau_daily'), title_plays_daily: strip('title_plays_daily') };
}

let tmp: string;
let count = 0;
const tmpPath = (name: string): string => path.join(tmp, `${++count}-${name}`);

/** Writes the rows as Silver files, row i into file i mod `parts` (so every file holds several hours). */
async function silverFiles(rows: readonly SilverRow[], parts: number): Promise<string[]> {
  const files: string[] = [];
  for (let part = 0; part < parts; part++) {
    const file = tmpPath(`silver-${part}.parquet`);
    await writeParquet(SILVER_EVENTS, rows.filter((_, i) => i % parts === part) as Array<DataRow<SilverRow>>, file);
    files.push(file);
  }
  return files;
}

/** How a file stores its columns: Parquet leaf types and the compression codecs of its column chunks. */
async function parquetFormat(file: string): Promise<{ types: unknown[]; compression: string[] }> {
  const compression = await withConnection(undefined, async (connection) => {
    const reader = await connection.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata(${quoteLiteral(file)}) ORDER BY 1`);
    return reader.getRows().map(([codec]) => String(codec));
  });
  return { types: await parquetColumnTypes(file), compression };
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clicklake-gold-sql-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('writeGoldDay', () => {
  it('writes the daily tables goldDay computes from the same Silver rows', async () => {
    const expected = expectedRows(ROWS);
    // The data reaches the corners the queries must get right.
    expect(expected.campaign_daily).toEqual(
      expect.arrayContaining([
        { campaign_id: 'ｃ-日本-é', impressions: 2, clicks: 0, ctr: 0, unique_users: 2 },
        { campaign_id: '😀', impressions: 0, clicks: 2, ctr: null, unique_users: 1 },
        { campaign_id: 'thirds', impressions: 3, clicks: 1, ctr: 1 / 3, unique_users: 2 },
      ]),
    );
    expect(expected.dau_daily.map((r) => (r as { device_type: string }).device_type).sort()).toEqual(['all', 'android', 'ios', 'other', 'stb', 'tv', 'web']);
    expect(expected.campaign_daily.length).toBeGreaterThan(30);
    expect(expected.title_plays_daily.length).toBeGreaterThan(30);

    const files = [...(await silverFiles(ROWS, 4)), ...(await silverFiles([], 1))];
    const outDir = tmpPath('gold');
    const result = await writeGoldDay({ silverFiles: files, dt: DT, outDir, threads: 2 });

    expect(result).toEqual({
      silverRows: ROWS.length,
      files: { campaign_daily: path.join(outDir, 'campaign_daily.parquet'), dau_daily: path.join(outDir, 'dau_daily.parquet'), title_plays_daily: path.join(outDir, 'title_plays_daily.parquet') },
      rows: { campaign_daily: expected.campaign_daily.length, dau_daily: expected.dau_daily.length, title_plays_daily: expected.title_plays_daily.length },
    });
    for (const table of TABLES) {
      expect({ table, rows: sortedByKey(table, await readParquetRows(DEFS[table], result.files[table])) }).toEqual({ table, rows: expected[table] });
    }
  });

  it('writes the Parquet column types and compression writeParquet writes for the same tables', async () => {
    const expected = expectedRows(ROWS);
    const result = await writeGoldDay({ silverFiles: await silverFiles(ROWS, 2), dt: DT, outDir: tmpPath('gold') });
    for (const table of TABLES) {
      const reference = tmpPath(`${table}.parquet`);
      await writeParquet(DEFS[table], expected[table], reference);
      const format = await parquetFormat(reference);
      expect(format.compression).toEqual(['ZSTD']);
      expect({ table, ...(await parquetFormat(result.files[table])) }).toEqual({ table, ...format });
    }
  });

  it.each<[string, () => Promise<string[]>]>([
    ['no files', async () => []],
    ['empty files', () => silverFiles([], 2)],
  ])('writes empty tables, with their columns and types, from %s', async (_name, files) => {
    const result = await writeGoldDay({ silverFiles: await files(), dt: DT, outDir: tmpPath('gold'), threads: 1 });
    expect(result.silverRows).toBe(0);
    expect(result.rows).toEqual({ campaign_daily: 0, dau_daily: 0, title_plays_daily: 0 });
    for (const table of TABLES) {
      const reference = tmpPath(`${table}.parquet`);
      await writeParquet(DEFS[table], [], reference);
      expect(await readParquetRows(DEFS[table], result.files[table])).toEqual([]);
      expect({ table, ...(await parquetFormat(result.files[table])) }).toEqual({ table, ...(await parquetFormat(reference)) });
    }
  });

  it.each<[string, number]>([
    ['the last ms of the day before', DAY - 1],
    ['the first ms of the day after', DAY + DAY_MS],
  ])('refuses a Silver row of %s, as goldDay does, and writes nothing', async (_name, time) => {
    const rows = [...EDGE_ROWS, row('stray', time)];
    expect(() => goldDay(rows, DT)).toThrow(`gold day ${DT}: event stray is of another day`);
    const outDir = tmpPath('gold');
    const written = writeGoldDay({ silverFiles: await silverFiles(rows, 3), dt: DT, outDir });
    await expect(written).rejects.toThrow(BadInputError);
    await expect(written).rejects.toThrow(`gold day ${DT}: event stray is of another day (1 of ${rows.length} rows)`);
    expect(fs.existsSync(outDir)).toBe(false);
  });

  it('refuses a day that is not YYYY-MM-DD', async () => {
    await expect(writeGoldDay({ silverFiles: [], dt: '2026-11-31', outDir: tmpPath('gold') })).rejects.toThrow(new BadInputError('day: expected YYYY-MM-DD, got "2026-11-31"'));
  });
});
