/**
 * Records restatements (`lake.audit.restatements`, core/restatements.ts): before a publish replaces
 * a published Gold version, both versions' files (small: one row per campaign, device or title) are
 * read with DuckDB and one row per changed, added or removed Gold row is written to a file of its
 * own, named after the partition and the new version, so a retry rewrites it and never duplicates.
 * It is written before the switch: a publish that then fails leaves a record of a change that its
 * next run makes again, never a change without its record.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { quoteLiteral } from '../core/lake';
import { AUDIT_RESTATEMENTS, partitionPrefix, type PartitionValues, type TableDef } from '../core/lakeTables';
import type { RunReason } from '../core/lakeTables';
import { restatementReason, restatementRows, type RestatedTable, type RestatementReason, type RestatementRow } from '../core/restatements';
import { parseRunVersion, versionOfKey } from '../core/versions';
import { keyOfLocation, publishedLocation } from './lake';
import { readParquetRows, writeParquetToS3 } from './parquet';
import { PART, type Lake } from './promote/lake';
import { getBytes } from './s3Objects';
import { withTempDir } from './tempDir';

export interface RestatementInput<Row extends object> {
  readonly def: TableDef<Row>;
  readonly values: PartitionValues;
  /** The version about to be published, and its location. */
  readonly newVersion: string;
  readonly newLocation: string;
  readonly reason: RestatementReason;
  readonly workflowId: string;
  readonly finishedAt: number;
}

/** The key of the restatement file of one publish: directly under the (unpartitioned) table's prefix. */
export function restatementKey(table: string, values: PartitionValues, newVersion: string): string {
  return `${AUDIT_RESTATEMENTS.prefix}${table}-${values.dt}-${values.hr ?? 'day'}-${newVersion}.parquet`;
}

async function readVersionRows<Row extends object>(lake: Lake, def: TableDef<Row>, location: string, file: string): Promise<Array<Record<string, unknown>> | undefined> {
  const bytes = await getBytes(lake.s3, lake.bucket, `${keyOfLocation(location, lake.bucket)}${PART}`);
  if (bytes === undefined) return undefined;
  fs.writeFileSync(file, bytes);
  return (await readParquetRows(def, file)) as Array<Record<string, unknown>>;
}

/**
 * Diffs the partition's published version (if any, and other than the new one) with the new one
 * and appends the restatement rows; returns them. The first publish of a partition restates nothing.
 */
export async function recordRestatements<Row extends object>(lake: Lake, input: RestatementInput<Row>): Promise<RestatementRow[]> {
  const { def, values } = input;
  const oldLocation = await publishedLocation(lake.s3, lake.bucket, def, values);
  if (oldLocation === undefined || oldLocation === input.newLocation) return [];
  const oldVersion = versionOfKey(partitionPrefix(def, values), keyOfLocation(oldLocation, lake.bucket)) ?? keyOfLocation(oldLocation, lake.bucket);
  const rows = await withTempDir(`clicklake-restate-${def.table}-`, async (dir) => {
    const before = await readVersionRows(lake, def, oldLocation, path.join(dir, 'old.parquet'));
    const after = await readVersionRows(lake, def, input.newLocation, path.join(dir, 'new.parquet'));
    // A version whose file is gone (compacted away) has nothing to compare: nothing to record.
    if (before === undefined || after === undefined) return [];
    const context = { table: def.table as RestatedTable, oldVersion, newVersion: input.newVersion, reason: input.reason, workflowId: input.workflowId, finishedAt: input.finishedAt, dt: values.dt, hr: values.hr };
    return restatementRows(context, before, after);
  });
  if (rows.length > 0) await writeParquetToS3(lake.s3, lake.bucket, restatementKey(def.table, values, input.newVersion), AUDIT_RESTATEMENTS, rows);
  return rows;
}

/**
 * Why a day's daily Gold is restated: the reason of the latest hour run of the day published since
 * its published version was made (the hours that changed it), `manual` when none is found.
 */
export async function dayRestatementReason(lake: Lake, def: TableDef, dt: string): Promise<RestatementReason> {
  const location = await publishedLocation(lake.s3, lake.bucket, def, { dt });
  const version = location === undefined ? undefined : versionOfKey(partitionPrefix(def, { dt }), keyOfLocation(location, lake.bucket));
  if (version === undefined) return 'manual';
  const since = parseRunVersion(version).createdAtMs;
  const rows = await lake.presto.queryObjects(
    `SELECT reason FROM lake.audit.hour_runs WHERE dt = ${quoteLiteral(dt)} AND layer = 'silver' AND status = 'published' AND finished_at >= ${since} ORDER BY finished_at DESC LIMIT 1`,
  );
  const reason = rows[0]?.reason;
  return restatementReason(typeof reason === 'string' ? (reason as RunReason) : undefined);
}
