/**
 * An erasure in Silver and Gold: where the user is (the hours Silver and the quarantine hold their
 * user_key, and the hours Bronze holds that no published version has read yet), the old partition
 * versions deleted once the affected hours and days are published again, and the verification that
 * nothing of the user is left in any version still present.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { versionsErasureDeletes } from '../../core/compaction';
import { quoteLiteral } from '../../core/lake';
import {
  AUDIT_HOUR_RUNS,
  GOLD_CAMPAIGN_DAILY,
  GOLD_CTR_HOURLY,
  GOLD_DAU_DAILY,
  GOLD_TITLE_PLAYS_DAILY,
  partitionPrefix,
  qualifiedName,
  SILVER_EVENTS,
  SILVER_QUARANTINE,
  type PartitionValues,
  type TableDef,
} from '../../core/lakeTables';
import { reconcileWindow } from '../../core/reconcile';
import { nextHours } from '../../core/erasure';
import { HOUR_MS, hourKey, parseHourKey } from '../../core/time';
import { publishedLocation } from '../lake';
import { deletePartitionVersion, partitionVersions } from '../compaction';
import { withConnection } from '../parquet';
import type { Lake } from '../promote/lake';
import { listIndexedHours } from '../reconcile';
import { getBytes } from '../s3Objects';
import { SESSIONS } from '../promote/lake';
import { parseSessionState } from '../../core/silver';
import { hourStaleness } from '../staleness';
import { withTempDir } from '../tempDir';

/** The erased user as SQL: `user_key` listed and dated up to `until` (Infinity: suppressed). */
export interface ErasedUser {
  readonly userKey: string;
  readonly untilMs: number;
}

function userPredicate(user: ErasedUser): string {
  const dated = Number.isFinite(user.untilMs) ? ` AND event_time <= ${user.untilMs}` : '';
  return `user_key = ${quoteLiteral(user.userKey)}${dated}`;
}

/** The published hours whose Silver or quarantine holds the user, with how many rows each. */
export async function silverHoursOf(lake: Lake, user: ErasedUser): Promise<Array<{ hour: string; rows: number }>> {
  const where = userPredicate(user);
  const rows = await lake.presto.queryObjects(
    `SELECT dt, hr, count(*) AS n FROM (SELECT dt, hr FROM ${qualifiedName(SILVER_EVENTS)} WHERE ${where} ` +
      `UNION ALL SELECT dt, hr FROM ${qualifiedName(SILVER_QUARANTINE)} WHERE ${where}) GROUP BY dt, hr ORDER BY dt, hr`,
  );
  return rows.map((r) => ({ hour: `${String(r.dt)}T${String(r.hr)}`, rows: Number(r.n) }));
}

/**
 * The hours published at or after `sinceMs` by a run that dropped erased records (the audit ledger's
 * `erased`): with the list read after the request, such a run may have left the user out of published
 * Silver while the hour's Bronze and its older versions still hold them. A superset (another user's
 * erasure counts too); restating an hour the user was never in changes nothing.
 */
export async function hoursErasedSince(lake: Lake, sinceMs: number): Promise<string[]> {
  const rows = await lake.presto.queryObjects(
    `SELECT DISTINCT dt, hr FROM ${qualifiedName(AUDIT_HOUR_RUNS)} WHERE layer = 'silver' AND status = 'published' AND erased > 0 AND finished_at >= ${sinceMs} ORDER BY dt, hr`,
  );
  return rows.map((r) => `${String(r.dt)}T${String(r.hr)}`);
}

/** Days Kafka still holds records for, before the request: the window whose unread Bronze is scanned. */
const BRONZE_LOOKBACK_DAYS = 8;

/**
 * The hours of the window up to the request whose Bronze no published version has fully read
 * (unpublished or STALE): the user's records there are not in Silver yet, so Silver cannot name them.
 */
export async function unreadBronzeHours(lake: Lake, requestedAtMs: number): Promise<Array<{ hour: string; published: boolean }>> {
  const hours = await listIndexedHours(lake, reconcileWindow(requestedAtMs, BRONZE_LOOKBACK_DAYS));
  const unread: Array<{ hour: string; published: boolean }> = [];
  for (const hour of hours) {
    const { state } = await hourStaleness(lake, hour);
    if (state !== 'fresh') unread.push({ hour, published: state === 'stale' });
    Context.current().heartbeat({ checked: hour });
  }
  return unread;
}

/** Of the hours after these, the published ones. */
export async function publishedNextHours(lake: Lake, hours: readonly string[]): Promise<string[]> {
  const published: string[] = [];
  for (const next of nextHours(hours, (hour) => hourKey(parseHourKey(hour).startMs + HOUR_MS))) {
    const { dt, hr } = parseHourKey(next);
    if ((await publishedLocation(lake.s3, lake.bucket, SILVER_EVENTS, { dt, hr })) !== undefined) published.push(next);
  }
  return published;
}

/** The hourly partitions of an hour and the daily ones of a day that an erasure restates. */
const HOURLY: readonly TableDef[] = [SILVER_EVENTS, SILVER_QUARANTINE, GOLD_CTR_HOURLY];
const DAILY: readonly TableDef[] = [GOLD_CAMPAIGN_DAILY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY];

function partitionsOf(hours: readonly string[], days: readonly string[]): Array<{ def: TableDef; values: PartitionValues }> {
  const hourly = hours.flatMap((hour) => {
    const { dt, hr } = parseHourKey(hour);
    return HOURLY.map((def) => ({ def, values: { dt, hr } }));
  });
  return [...hourly, ...days.flatMap((dt) => DAILY.map((def) => ({ def, values: { dt } })))];
}

/**
 * Deletes every version older than the published one of the affected partitions, and any newer,
 * unpublished Silver or quarantine version that still holds the user (a run that read the list before
 * the request and never published: every run since drops the user); how many versions.
 */
export async function purgeOldVersions(lake: Lake, user: ErasedUser, hours: readonly string[], days: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const { def, values } of partitionsOf(hours, days)) {
    const { versions, published } = await partitionVersions(lake, def, values);
    const older = versionsErasureDeletes(versions, published);
    const holding: string[] = [];
    if (def === SILVER_EVENTS || def === SILVER_QUARANTINE) {
      for (const version of versions.filter((v) => v !== published && !older.includes(v))) {
        if ((await userRowsInVersion(lake, def, values, version, user)) > 0) holding.push(version);
      }
    }
    for (const version of [...older, ...holding]) {
      await deletePartitionVersion(lake, def, values, version);
      deleted += 1;
    }
    Context.current().heartbeat({ partition: partitionPrefix(def, values), deleted });
  }
  return deleted;
}

async function parquetKeys(lake: Lake, prefix: string): Promise<string[]> {
  const out = await lake.s3.send(new ListObjectsV2Command({ Bucket: lake.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k.endsWith('.parquet'));
}

/** Whether the session state beside a Silver version still holds the user's cursor. */
async function sessionsNameUser(lake: Lake, values: PartitionValues, version: string, user: ErasedUser): Promise<boolean> {
  const text = (await getBytes(lake.s3, lake.bucket, `${partitionPrefix(SILVER_EVENTS, values, version)}${SESSIONS}`))?.toString('utf8');
  if (text === undefined) return false;
  const cursor = parseSessionState(JSON.parse(text)).get(user.userKey);
  return cursor !== undefined && cursor.lastEventMs <= user.untilMs;
}

/** Rows of the user in the Parquet files of one partition version (downloaded, counted in DuckDB). */
async function userRowsInVersion(lake: Lake, def: TableDef, values: PartitionValues, version: string, user: ErasedUser): Promise<number> {
  const keys = await parquetKeys(lake, partitionPrefix(def, values, version));
  if (keys.length === 0) return 0;
  return withTempDir('clicklake-erasure-verify-', async (dir) => {
    const files: string[] = [];
    for (const [i, key] of keys.entries()) {
      const bytes = await getBytes(lake.s3, lake.bucket, key);
      if (bytes === undefined) continue;
      const file = path.join(dir, `part-${i}.parquet`);
      fs.writeFileSync(file, bytes);
      files.push(file);
    }
    if (files.length === 0) return 0;
    return withConnection(1, async (connection) => {
      const rows = (await connection.runAndReadAll(`SELECT count(*) FROM read_parquet([${files.map(quoteLiteral).join(', ')}]) WHERE ${userPredicate(user)}`)).getRows();
      return Number(rows[0]?.[0] ?? 0);
    });
  });
}

/**
 * What is left of the user in Silver and Gold, as findings (empty: nothing): any row in any version
 * still present of the hours' Silver and quarantine partitions, and any version of an affected Gold
 * partition other than the published one (it counted the user's events).
 */
export async function silverGoldFindings(lake: Lake, user: ErasedUser, hours: readonly string[], days: readonly string[]): Promise<string[]> {
  const findings: string[] = [];
  for (const { def, values } of partitionsOf(hours, days)) {
    const { versions, published } = await partitionVersions(lake, def, values);
    const name = `${def.schema}.${def.table} ${partitionPrefix(def, values)}`;
    if (def === SILVER_EVENTS || def === SILVER_QUARANTINE) {
      for (const version of versions) {
        const rows = await userRowsInVersion(lake, def, values, version, user);
        if (rows > 0) findings.push(`${name}v=${version}: ${rows} rows of the user`);
        if (def === SILVER_EVENTS && (await sessionsNameUser(lake, values, version, user))) findings.push(`${name}v=${version}: its session state holds the user's cursor`);
      }
    } else {
      const older = versionsErasureDeletes(versions, published);
      if (older.length > 0) findings.push(`${name}: ${older.length} older versions remain`);
    }
    Context.current().heartbeat({ verified: name });
  }
  const published = await silverHoursOf(lake, user);
  for (const { hour, rows } of published) findings.push(`published Silver ${hour}: ${rows} rows of the user`);
  return findings;
}
