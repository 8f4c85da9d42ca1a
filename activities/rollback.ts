/**
 * Rollback: publish a kept earlier version of an hour (Silver and ctr_hourly) or of a day (the three
 * daily Gold tables) again, the same one-step switch a promotion makes (activities/lake.ts). A
 * version that was never written or that retention deleted is refused, naming it, before anything
 * switches. The Gold rows that change are recorded in lake.audit.restatements with reason `manual`.
 */
import { BadInputError } from '../core/errors';
import { GOLD_CAMPAIGN_DAILY, GOLD_CTR_HOURLY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY, partitionLocation, partitionPrefix, SILVER_EVENTS, type PartitionValues, type TableDef } from '../core/lakeTables';
import { parseDay, parseHourKey } from '../core/time';
import { parseRunVersion, versionOfKey } from '../core/versions';
import { keyOfLocation, publishedLocation, publishPartition } from './lake';
import type { Lake } from './promote/lake';
import { recordRestatements } from './restatements';
import { hasObjects } from './s3Objects';

export interface RollbackResult {
  /** `YYYY-MM-DDTHH` or `YYYY-MM-DD`. */
  readonly target: string;
  readonly version: string;
  /** Per table: the version published before (null: none) and how many Gold rows the switch restated. */
  readonly tables: Array<{ readonly table: string; readonly previous: string | null; readonly restated: number }>;
}

async function rollback(lake: Lake, target: string, values: PartitionValues, defs: readonly TableDef[], version: string, finishedAt: number): Promise<RollbackResult> {
  try {
    parseRunVersion(version);
  } catch {
    throw new BadInputError(`--version: "${version}" is not a version (YYYYMMDDTHHMMSSmmmZ-<run id>)`);
  }
  for (const def of defs) {
    if (!(await hasObjects(lake.s3, lake.bucket, partitionPrefix(def, values, version)))) {
      throw new BadInputError(`--version: ${def.schema}.${def.table} ${target} has no version ${version} (never written, or deleted by retention)`);
    }
  }
  const tables: Array<RollbackResult['tables'][number]> = [];
  for (const def of defs) {
    const before = await publishedLocation(lake.s3, lake.bucket, def, values);
    const previous = before === undefined ? null : (versionOfKey(partitionPrefix(def, values), keyOfLocation(before, lake.bucket)) ?? null);
    const location = partitionLocation(def, lake.bucket, values, version);
    const restated = def.schema === 'gold' ? await recordRestatements(lake, { def, values, newVersion: version, newLocation: location, reason: 'manual', workflowId: `rollback-${target}`, finishedAt }) : [];
    await publishPartition(lake.s3, lake.presto, lake.bucket, def, values, location);
    tables.push({ table: `${def.schema}.${def.table}`, previous, restated: restated.length });
  }
  return { target, version, tables };
}

/** Publishes version `version` of the hour's Silver and ctr_hourly partitions again. */
export function rollbackHour(lake: Lake, hour: string, version: string, finishedAt: number): Promise<RollbackResult> {
  const { key, dt, hr } = parseHourKey(hour);
  return rollback(lake, key, { dt, hr }, [SILVER_EVENTS as TableDef, GOLD_CTR_HOURLY as TableDef], version, finishedAt);
}

/** Publishes version `version` of the day's three daily Gold tables again. */
export function rollbackDay(lake: Lake, dt: string, version: string, finishedAt: number): Promise<RollbackResult> {
  parseDay(dt);
  return rollback(lake, dt, { dt }, [GOLD_CAMPAIGN_DAILY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY] as TableDef[], version, finishedAt);
}
