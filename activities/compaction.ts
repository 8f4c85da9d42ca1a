/**
 * Compaction of a closed day (workflows/compactDay.ts): Bronze objects merged per core/compaction.ts,
 * the hour index switched so a promotion running meanwhile reads every record once, the replaced
 * objects removed once nothing refers to them; and retention of unpublished Silver and Gold
 * partition versions. The order of the Bronze steps is what makes a concurrent reader safe (proof in
 * docs/lake.md "Compaction"):
 *   1. the merged object and its manifest (under the merged range's own keys; no marker names them);
 *   2. the replaced manifests deleted: a reader that listed an old marker now fails to read its
 *      manifest (a retriable error: its retry lists again);
 *   3. per hour, the merged marker written, then the old markers deleted in key order;
 *   4. after a grace, the replaced objects deleted (deleteReplaced, a separate activity).
 */
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { hourIndexKey, manifestHours, manifestKey, parseManifest, type BronzeManifest } from '../core/bronze';
import { compactionFigures, mergedManifest, planBronzeCompaction, rangeOfManifestKey, versionsToDelete, type CompactionInput, type MergeGroup, type RetentionPolicy } from '../core/compaction';
import { InvariantViolationError } from '../core/errors';
import { GOLD_CAMPAIGN_DAILY, GOLD_CTR_HOURLY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY, partitionPrefix, SILVER_EVENTS, SILVER_QUARANTINE, type PartitionValues, type TableDef } from '../core/lakeTables';
import { coverageAfterCompaction, type CoverageReplacement } from '../core/staleness';
import { compareText } from '../core/text';
import { parseDay } from '../core/time';
import { versionOfKey } from '../core/versions';
import type { ActivityDeps } from './index';
import { keyOfLocation, publishedLocation } from './lake';
import { COVERAGE, hourManifestKeys, publishedCoverage, type Lake } from './promote/lake';
import { getBytes, requireBytes } from './s3Objects';

export interface CompactionPlanInput {
  readonly dt: string;
  /** Only objects of these topics (all when absent). */
  readonly topics?: readonly string[];
  readonly targetBytes?: number;
}

export interface BronzeFigures {
  readonly objects_before: number;
  readonly objects_after: number;
  readonly bytes_before: number;
  readonly bytes_after: number;
}

export interface CompactionPlan {
  readonly dt: string;
  readonly groups: MergeGroup[];
  readonly bronze: BronzeFigures;
  /** How long replaced objects stay after the switch (config). */
  readonly graceMs: number;
}

export interface RetentionInput {
  readonly dt: string;
  /** Workflow time: versions are aged against it. */
  readonly nowMs: number;
  readonly policy?: RetentionPolicy;
}

export const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));

const hourOf = (dt: string, hr: string): string => `${dt}T${hr}`;

/**
 * The manifests the day's hour index names (scoped to `topics`), read; and those it names that are
 * gone (`dangling`: a compaction stopped inside its switch deleted them; resumeSwitches finishes it).
 */
async function dayObjects(lake: Lake, dt: string, topics: readonly string[] | undefined): Promise<{ inputs: CompactionInput[]; dangling: string[] }> {
  const keys = new Set((await Promise.all(HOURS.map((hr) => hourManifestKeys(lake, hourOf(dt, hr))))).flat());
  const inputs: CompactionInput[] = [];
  const dangling: string[] = [];
  for (const key of [...keys].sort(compareText)) {
    if (topics !== undefined && !topics.includes(rangeOfManifestKey(key).topic)) continue;
    const bytes = await getBytes(lake.s3, lake.bucket, key);
    if (bytes === undefined) dangling.push(key);
    else inputs.push({ manifestKey: key, manifest: parseManifest(JSON.parse(bytes.toString('utf8'))) });
  }
  return { inputs, dangling };
}

/** The merged manifest (key and content) that replaced a dangling one: same partition, its range within, naming it in `replaces`. */
async function replacementOf(lake: Lake, dangling: string): Promise<{ key: string; manifest: BronzeManifest; replaces: string[] } | undefined> {
  const range = rangeOfManifestKey(dangling);
  const prefix = dangling.slice(0, dangling.lastIndexOf('/') + 1);
  for (const key of (await listAll(lake.s3, lake.bucket, prefix)).keys) {
    const r = rangeOfManifestKey(key);
    if (key === dangling || r.firstOffset > range.firstOffset || r.lastOffset < range.lastOffset) continue;
    const json = JSON.parse((await requireBytes(lake.s3, lake.bucket, key)).toString('utf8')) as { replaces?: unknown };
    const replaces = Array.isArray(json.replaces) ? json.replaces.filter((k): k is string => typeof k === 'string') : [];
    if (replaces.includes(dangling)) return { key, manifest: parseManifest(json), replaces };
  }
  return undefined;
}

/**
 * Finishes the marker switch (step 3) of merges a stopped compaction left half done, found from the
 * dangling manifests; the replaced objects stay (nothing names them). Returns how many it finished.
 */
async function resumeSwitches(lake: Lake, dangling: readonly string[]): Promise<number> {
  const done = new Set<string>();
  for (const key of dangling) {
    const merged = await replacementOf(lake, key);
    if (merged === undefined || done.has(merged.key)) continue;
    done.add(merged.key);
    for (const hour of Object.keys(merged.manifest.hourHistogram)) {
      await put(lake.s3, lake.bucket, hourIndexKey(hour, merged.manifest), '');
      for (const old of merged.replaces.map((k) => hourIndexKey(hour, rangeOfManifestKey(k))).sort(compareText)) await remove(lake.s3, lake.bucket, old);
    }
  }
  return done.size;
}

async function put(s3: S3Client, bucket: string, key: string, body: string | Buffer, contentType?: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}

async function remove(s3: S3Client, bucket: string, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

/** Told after each change a merge makes to the lake (the activity heartbeats with it). */
export type MergeProgress = (step: string) => void | Promise<void>;

/** The members' bytes concatenated (zstd frames concatenate into one valid stream), each checked against its manifest. */
async function mergedBytes(lake: Lake, group: MergeGroup, progress: MergeProgress): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const { manifest } of group.members) {
    const bytes = await requireBytes(lake.s3, lake.bucket, manifest.objectKey);
    if (bytes.length !== manifest.bytes) throw new InvariantViolationError(`${manifest.objectKey}: ${bytes.length} bytes, its manifest says ${manifest.bytes}`);
    parts.push(bytes);
    await progress(`read ${parts.length} of ${group.members.length}`);
  }
  return Buffer.concat(parts);
}

/** Steps 1-3 of the module comment for one group; a retry repeats them (the replaced objects are still there). */
export async function mergeGroup(lake: Lake, group: MergeGroup, progress: MergeProgress = () => undefined): Promise<string> {
  const manifest = mergedManifest(group);
  await put(lake.s3, lake.bucket, manifest.objectKey, await mergedBytes(lake, group, progress), 'application/x-ndjson');
  await put(lake.s3, lake.bucket, manifestKey(manifest.objectKey), JSON.stringify(manifest), 'application/json');
  await progress('merged object and manifest written');
  await Promise.all(group.members.map((m) => remove(lake.s3, lake.bucket, m.manifestKey)));
  await progress('replaced manifests deleted');
  for (const hour of manifestHours(manifest)) {
    await put(lake.s3, lake.bucket, hourIndexKey(hour, group), '');
    await progress(`${hour}: merged marker written`);
    const old = group.members.filter((m) => manifestHours(m.manifest).includes(hour)).map((m) => hourIndexKey(hour, m.manifest));
    for (const key of old.sort(compareText)) {
      await remove(lake.s3, lake.bucket, key);
      await progress(`${hour}: marker ${key} deleted`);
    }
  }
  return manifestKey(manifest.objectKey);
}

/** Step 4: the replaced objects, which no manifest and no marker names any more. */
export async function deleteReplaced(lake: Lake, group: MergeGroup): Promise<number> {
  for (const { manifest } of group.members) await remove(lake.s3, lake.bucket, manifest.objectKey);
  return group.members.length;
}

/** Per hour of the groups: what each merged manifest replaced of that hour. */
function replacementsByHour(groups: readonly MergeGroup[]): Map<string, CoverageReplacement[]> {
  const byHour = new Map<string, CoverageReplacement[]>();
  for (const group of groups) {
    const merged = manifestKey(mergedManifest(group).objectKey);
    const hours = new Set(group.members.flatMap((m) => Object.keys(m.manifest.hourHistogram)));
    for (const hour of hours) {
      const replaced = Object.fromEntries(group.members.map((m) => [m.manifestKey, m.manifest.hourHistogram[hour] ?? 0]));
      byHour.set(hour, [...(byHour.get(hour) ?? []), { merged, replaced }]);
    }
  }
  return byHour;
}

/**
 * Adds the merged manifests to the coverage of each hour's published Silver version that read all
 * they replace (core/staleness.ts coverageAfterCompaction), so a compacted hour is not STALE.
 * Returns how many coverage records it rewrote.
 */
export async function refreshCoverage(lake: Lake, groups: readonly MergeGroup[]): Promise<number> {
  let rewritten = 0;
  for (const [hour, replacements] of replacementsByHour(groups)) {
    const [dt = '', hr = ''] = hour.split('T');
    const location = await publishedLocation(lake.s3, lake.bucket, SILVER_EVENTS, { dt, hr });
    const coverage = location === undefined ? undefined : await publishedCoverage(lake, location);
    if (location === undefined || coverage === undefined) continue;
    const next = coverageAfterCompaction(coverage, replacements);
    if (next === coverage) continue;
    await put(lake.s3, lake.bucket, `${keyOfLocation(location, lake.bucket)}${COVERAGE}`, JSON.stringify(next), 'application/json');
    rewritten += 1;
  }
  return rewritten;
}

async function listAll(s3: S3Client, bucket: string, prefix: string, delimiter?: string): Promise<{ keys: string[]; prefixes: string[] }> {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }));
    for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
    for (const p of out.CommonPrefixes ?? []) if (p.Prefix) prefixes.push(p.Prefix);
    token = out.NextContinuationToken;
  } while (token);
  return { keys, prefixes };
}

/** The version folders of a partition, and the one published (undefined when none is). */
export async function partitionVersions(lake: Lake, def: TableDef, values: PartitionValues): Promise<{ versions: string[]; published: string | undefined }> {
  const prefix = partitionPrefix(def, values);
  const { prefixes } = await listAll(lake.s3, lake.bucket, prefix, '/');
  const versions = prefixes.filter((p) => p.startsWith(`${prefix}v=`)).map((p) => p.slice(prefix.length + 2, -1));
  const location = await publishedLocation(lake.s3, lake.bucket, def, values);
  const published = location === undefined ? undefined : versionOfKey(prefix, keyOfLocation(location, lake.bucket));
  return { versions, published };
}

/** Deletes every object of one version folder of a partition; how many objects. */
export async function deletePartitionVersion(lake: Lake, def: TableDef, values: PartitionValues, version: string): Promise<number> {
  const { keys } = await listAll(lake.s3, lake.bucket, partitionPrefix(def, values, version));
  for (const key of keys) await remove(lake.s3, lake.bucket, key);
  return keys.length;
}

/** Every versioned partition of a day: Silver events and quarantine and ctr_hourly per hour, the three daily Gold tables. */
function dayPartitions(dt: string): Array<{ def: TableDef; values: PartitionValues }> {
  parseDay(dt);
  const hourly = HOURS.flatMap((hr) => [SILVER_EVENTS, SILVER_QUARANTINE, GOLD_CTR_HOURLY].map((def) => ({ def: def as TableDef, values: { dt, hr } })));
  const daily = [GOLD_CAMPAIGN_DAILY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY].map((def) => ({ def: def as TableDef, values: { dt } }));
  return [...hourly, ...daily];
}

/** Deletes the day's partition versions retention chooses (never a published one); how many. */
export async function applyRetention(lake: Lake, input: RetentionInput, policy: RetentionPolicy): Promise<number> {
  let deleted = 0;
  for (const { def, values } of dayPartitions(input.dt)) {
    const { versions, published } = await partitionVersions(lake, def, values);
    for (const version of versionsToDelete(versions, published, input.nowMs, policy)) {
      await deletePartitionVersion(lake, def, values, version);
      deleted += 1;
    }
    Context.current().heartbeat({ partition: partitionPrefix(def, values), deleted });
  }
  return deleted;
}

export function createCompactionActivities(deps: ActivityDeps) {
  const lake: Lake = { s3: deps.s3, presto: deps.presto, bucket: deps.config.s3.bucket };
  const settings = deps.config.compaction;
  return {
    /** The day's merge groups and its Bronze figures (one LIST per hour, a GET per manifest). */
    async planCompaction(input: CompactionPlanInput): Promise<CompactionPlan> {
      const first = await dayObjects(lake, input.dt, input.topics);
      const resumed = first.dangling.length === 0 ? 0 : await resumeSwitches(lake, first.dangling);
      const objects = resumed === 0 ? first.inputs : (await dayObjects(lake, input.dt, input.topics)).inputs;
      const groups = planBronzeCompaction(objects, input.dt, input.targetBytes ?? settings.targetBytes);
      return { dt: input.dt, groups, bronze: compactionFigures(objects, groups), graceMs: settings.graceMs };
    },
    async mergeBronzeGroup(group: MergeGroup): Promise<string> {
      const ctx = Context.current();
      return mergeGroup(lake, group, (step) => ctx.heartbeat({ group: `${group.topic}/${group.partition}/${group.firstOffset}-${group.lastOffset}`, step }));
    },
    async refreshCompactedCoverage(groups: MergeGroup[]): Promise<number> {
      return refreshCoverage(lake, groups);
    },
    async deleteReplacedObjects(group: MergeGroup): Promise<number> {
      return deleteReplaced(lake, group);
    },
    async applyVersionRetention(input: RetentionInput): Promise<number> {
      return applyRetention(lake, input, input.policy ?? { keepNewest: settings.keepVersions, keepDays: settings.keepDays });
    },
  };
}

export type CompactionActivities = ReturnType<typeof createCompactionActivities>;
