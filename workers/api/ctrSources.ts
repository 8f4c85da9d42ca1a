/**
 * What the CTR metrics router (core/metricsRoute.ts) needs from the stack: which hours and days are
 * published (the metastore object says the version readers see; the audit ledger how many times it
 * was published), and the counts of each source. Gold and Silver are read in Trino as the API
 * user, so the engine's own row filters apply; Redis is read only for a campaign the user may see.
 */
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type Redis from 'ioredis';
import type { Presto } from '../../activities/clients';
import { keyOfLocation, publishedLocation } from '../../activities/lake';
import { bucketKey, counterField, minuteOf } from '../../core/ctr';
import { AUDIT_HOUR_RUNS, GOLD_CAMPAIGN_DAILY, GOLD_CTR_HOURLY, GOLD_DIM_CAMPAIGN, SILVER_EVENTS, partitionMetadataKey, partitionPrefix, qualifiedName, type TableDef } from '../../core/lakeTables';
import type { Counts, PublishedDay, PublishedHour } from '../../core/metricsRoute';
import { METASTORE_PREFIX, quoteLiteral } from '../../core/lake';
import { HOUR_MS, MINUTE_MS, parseDay, parseHourKey } from '../../core/time';
import { versionOfKey } from '../../core/versions';

export interface LakeReaders {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Trino as the API user. */
  readonly presto: Presto;
  /** Trino as the pipeline's own user (metadata only: the audit ledger of publishes). */
  readonly pipeline: Presto;
  readonly redis: Redis;
  readonly ctrPrefix: string;
}

/** At most this many S3 reads at once. */
const PARALLEL = 16;

async function inBatches<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += PARALLEL) out.push(...(await Promise.all(items.slice(i, i + PARALLEL).map(fn))));
  return out;
}

const ADS = `event_type IN ('ad_impression', 'ad_click') AND campaign_id IS NOT NULL`;

function dtRange(hours: readonly string[]): string {
  const days = hours.map((h) => parseHourKey(h).dt).sort();
  return `dt BETWEEN ${quoteLiteral(days[0] as string)} AND ${quoteLiteral(days[days.length - 1] as string)}`;
}

/** Published hours of ctr_hourly among `hours`: the version readers see and how often it was published. */
export async function publishedHours(r: LakeReaders, hours: readonly string[]): Promise<Map<string, PublishedHour>> {
  const out = new Map<string, PublishedHour>();
  if (hours.length === 0) return out;
  const locations = await inBatches(hours, async (hour) => {
    const { dt, hr } = parseHourKey(hour);
    const location = await publishedLocation(r.s3, r.bucket, GOLD_CTR_HOURLY, { dt, hr });
    return [hour, location === undefined ? undefined : (versionOfKey(partitionPrefix(GOLD_CTR_HOURLY, { dt, hr }), keyOfLocation(location, r.bucket)) ?? location)] as const;
  });
  const published = locations.filter((l): l is readonly [string, string] => l[1] !== undefined);
  if (published.length === 0) return out;
  const runs = await r.pipeline.queryObjects(
    `SELECT dt, hr, count(*) AS runs, max(finished_at) AS last FROM ${qualifiedName(AUDIT_HOUR_RUNS)} ` +
      `WHERE layer = 'gold' AND status = 'published' AND ${dtRange(published.map(([h]) => h))} GROUP BY dt, hr`,
  );
  const byHour = new Map(runs.map((row) => [`${String(row.dt)}T${String(row.hr)}`, row]));
  for (const [hour, version] of published) {
    const row = byHour.get(hour);
    out.set(hour, { version, publishedRuns: Number(row?.runs ?? 1), lastPublishedMs: row === undefined ? null : Number(row.last) });
  }
  return out;
}

/** Published days of a daily Gold table among `days`, with when each was switched (its metastore object's time). */
export async function publishedDays(r: Pick<LakeReaders, 's3' | 'bucket'>, days: readonly string[], def: TableDef = GOLD_CAMPAIGN_DAILY): Promise<Map<string, PublishedDay>> {
  const entries = await inBatches(days, async (dt) => {
    const location = await publishedLocation(r.s3, r.bucket, def, { dt });
    if (location === undefined) return undefined;
    const head = await r.s3.send(new HeadObjectCommand({ Bucket: r.bucket, Key: partitionMetadataKey(def, { dt }) }));
    const version = versionOfKey(partitionPrefix(def, { dt }), keyOfLocation(location, r.bucket)) ?? location;
    return [dt, { version, publishedAtMs: head.LastModified?.getTime() ?? 0 }] as const;
  });
  return new Map(entries.filter((e): e is readonly [string, PublishedDay] => e !== undefined));
}

function hourIn(hours: readonly string[]): string {
  const pairs = hours.map((h) => {
    const { dt, hr } = parseHourKey(h);
    return `(dt = ${quoteLiteral(dt)} AND hr = ${quoteLiteral(hr)})`;
  });
  return `(${pairs.join(' OR ')})`;
}

/** ctr_hourly of the campaign in the published hours, by hour start. */
export async function goldHourCounts(r: LakeReaders, campaignId: string, hours: readonly string[]): Promise<Map<number, Counts>> {
  if (hours.length === 0) return new Map();
  const rows = await r.presto.queryObjects(
    `SELECT dt, hr, impressions, clicks FROM ${qualifiedName(GOLD_CTR_HOURLY)} WHERE campaign_id = ${quoteLiteral(campaignId)} AND ${dtRange(hours)} AND ${hourIn(hours)}`,
  );
  return new Map(rows.map((row) => [parseHourKey(`${String(row.dt)}T${String(row.hr)}`).startMs, { impressions: Number(row.impressions), clicks: Number(row.clicks) }]));
}

/** campaign_daily of the campaign on the days, by day start. */
export async function goldDayCounts(r: LakeReaders, campaignId: string, days: readonly string[]): Promise<Map<number, Counts>> {
  if (days.length === 0) return new Map();
  const rows = await r.presto.queryObjects(
    `SELECT dt, impressions, clicks FROM ${qualifiedName(GOLD_CAMPAIGN_DAILY)} WHERE campaign_id = ${quoteLiteral(campaignId)} AND dt IN (${days.map(quoteLiteral).join(', ')})`,
  );
  return new Map(rows.map((row) => [parseDay(String(row.dt)), { impressions: Number(row.impressions), clicks: Number(row.clicks) }]));
}

/** Silver of the campaign in the published hours, by minute start: the same events ctr_hourly counts. */
export async function silverMinuteCounts(r: LakeReaders, campaignId: string, hours: readonly string[]): Promise<Map<number, Counts>> {
  if (hours.length === 0) return new Map();
  const rows = await r.presto.queryObjects(
    `SELECT event_time / ${MINUTE_MS} AS m, count_if(event_type = 'ad_impression') AS impressions, count_if(event_type = 'ad_click') AS clicks ` +
      `FROM ${qualifiedName(SILVER_EVENTS)} WHERE campaign_id = ${quoteLiteral(campaignId)} AND ${ADS} AND ${dtRange(hours)} AND ${hourIn(hours)} GROUP BY 1`,
  );
  return new Map(rows.map((row) => [Number(row.m) * MINUTE_MS, { impressions: Number(row.impressions), clicks: Number(row.clicks) }]));
}

/** The real-time minutes of the campaign in the hours (not published), by minute start. */
export async function realtimeMinuteCounts(r: LakeReaders, campaignId: string, hours: readonly string[]): Promise<Map<number, Counts>> {
  const minutes: number[] = [];
  for (const hour of hours) {
    const start = parseHourKey(hour).startMs;
    for (let t = start; t < start + HOUR_MS; t += MINUTE_MS) minutes.push(minuteOf(t));
  }
  const out = new Map<number, Counts>();
  if (minutes.length === 0) return out;
  const fields = [counterField('impressions', campaignId), counterField('clicks', campaignId)];
  const pipeline = r.redis.pipeline();
  for (const minute of minutes) pipeline.hmget(bucketKey(r.ctrPrefix, minute), ...fields);
  const replies = (await pipeline.exec()) ?? [];
  replies.forEach(([err, value], i) => {
    if (err) throw err;
    const [impressions, clicks] = value as [string | null, string | null];
    if (impressions === null && clicks === null) return;
    out.set((minutes[i] as number) * MINUTE_MS, { impressions: Number(impressions ?? 0), clicks: Number(clicks ?? 0) });
  });
  return out;
}

/** Whether the API user may see the campaign: Trino's row filter on dim_campaign decides (campaign managers). */
export async function campaignVisible(r: LakeReaders, campaignId: string): Promise<boolean> {
  const rows = await r.presto.queryObjects(`SELECT count(*) AS n FROM ${qualifiedName(GOLD_DIM_CAMPAIGN)} WHERE campaign_id = ${quoteLiteral(campaignId)}`);
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * Per day, when the last of its hours was published: the newest metastore object of Silver's hour
 * partitions of the day (a publish writes it; Silver and hourly Gold are published together). From
 * S3 alone, on the same clock as the daily summaries' objects it is compared with.
 */
export async function lastHourPublishes(r: Pick<LakeReaders, 's3' | 'bucket'>, days: readonly string[]): Promise<Map<string, number>> {
  const entries = await inBatches(days, async (dt) => {
    const prefix = `${METASTORE_PREFIX}${SILVER_EVENTS.schema}/${SILVER_EVENTS.table}/dt=${dt}/`;
    let newest: number | undefined;
    let token: string | undefined;
    do {
      const out = await r.s3.send(new ListObjectsV2Command({ Bucket: r.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of out.Contents ?? []) newest = Math.max(newest ?? 0, o.LastModified?.getTime() ?? 0);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return [dt, newest] as const;
  });
  return new Map(entries.filter((e): e is readonly [string, number] => e[1] !== undefined));
}

/**
 * The days among `days` whose daily Gold table `def` is not newer than every hour of the day: not
 * published, or published before one of its hours was (a day not promoted again since). A rewrite
 * to that table would not equal the Silver query there.
 */
export async function staleDays(r: Pick<LakeReaders, 's3' | 'bucket'>, def: TableDef, days: readonly string[]): Promise<string[]> {
  if (days.length === 0) return [];
  const lastHour = await lastHourPublishes(r, days);
  const stale = await inBatches(days, async (dt) => {
    const head = await r.s3.send(new HeadObjectCommand({ Bucket: r.bucket, Key: partitionMetadataKey(def, { dt }) })).catch((err: { name?: string }) => {
      if (err.name === 'NotFound' || err.name === 'NoSuchKey') return undefined;
      throw err;
    });
    const dayMs = head?.LastModified?.getTime();
    return dayMs === undefined || dayMs < (lastHour.get(dt) ?? 0) ? dt : undefined;
  });
  return stale.filter((d): d is string => d !== undefined);
}
