/**
 * Daily Gold of a day: the day's published Silver hours downloaded, the three daily tables computed
 * in DuckDB (activities/goldSql.ts), every version uploaded first and only then the partitions
 * switched, so a failure publishes none of them.
 */
import { Context } from '@temporalio/activity';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GOLD_CAMPAIGN_DAILY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY, partitionLocation, partitionPrefix, SILVER_EVENTS, type TableDef } from '../../core/lakeTables';
import { hoursOfDay, parseHourKey } from '../../core/time';
import { writeGoldDay } from '../goldSql';
import { keyOfLocation, publishedLocation, publishPartition } from '../lake';
import { uploadFile } from '../parquet';
import { dayRestatementReason, recordRestatements } from '../restatements';
import { requireBytes } from '../s3Objects';
import { withTempDir } from '../tempDir';
import type { DayResult, RunIdentity } from '../promote';
import { heartbeating, PART, type Lake } from './lake';

/** Downloads the published Silver file of each hour of the day that has one. */
async function downloadDaySilver(lake: Lake, dt: string, dir: string): Promise<string[]> {
  const ctx = Context.current();
  const silverFiles: string[] = [];
  for (const hour of hoursOfDay(dt)) {
    const { hr } = parseHourKey(hour);
    const location = await publishedLocation(lake.s3, lake.bucket, SILVER_EVENTS, { dt, hr });
    if (location === undefined) continue;
    const file = path.join(dir, `silver-${hr}.parquet`);
    fs.writeFileSync(file, await requireBytes(lake.s3, lake.bucket, `${keyOfLocation(location, lake.bucket)}${PART}`));
    silverFiles.push(file);
    ctx.heartbeat({ dt, hoursRead: silverFiles.length });
  }
  return silverFiles;
}

export async function promoteDay(lake: Lake, input: { dt: string } & RunIdentity): Promise<DayResult> {
  return withTempDir(`clicklake-promote-day-${input.dt}-`, async (dir) => {
    const silverFiles = await downloadDaySilver(lake, input.dt, dir);
    const day = await heartbeating({ dt: input.dt, step: 'duckdb' }, () => writeGoldDay({ silverFiles, dt: input.dt, outDir: path.join(dir, 'gold') }));
    const values = { dt: input.dt };
    const tables: Array<readonly [TableDef, string]> = [
      [GOLD_CAMPAIGN_DAILY, day.files.campaign_daily],
      [GOLD_DAU_DAILY, day.files.dau_daily],
      [GOLD_TITLE_PLAYS_DAILY, day.files.title_plays_daily],
    ];
    for (const [def, file] of tables) await uploadFile(lake.s3, lake.bucket, `${partitionPrefix(def, values, input.version)}${PART}`, file);
    const restated = { newVersion: input.version, reason: await dayRestatementReason(lake, GOLD_CAMPAIGN_DAILY, input.dt), workflowId: input.workflowId, finishedAt: Date.now() };
    for (const [def] of tables) await recordRestatements(lake, { def, values, newLocation: partitionLocation(def, lake.bucket, values, input.version), ...restated });
    for (const [def] of tables) await publishPartition(lake.s3, lake.presto, lake.bucket, def, values, partitionLocation(def, lake.bucket, values, input.version));
    return { dt: input.dt, version: input.version, silverRows: day.silverRows, hoursRead: silverFiles.length, rows: day.rows };
  });
}
