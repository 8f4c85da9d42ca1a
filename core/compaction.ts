/**
 * Compaction and retention, the decisions: which Bronze objects of a closed day merge into which,
 * the manifest of a merged object, and which partition versions retention deletes. Pure: no I/O,
 * no clock (the day and "now" are inputs).
 *
 * Merging. Only objects all of whose records belong to the day are candidates (an object that also
 * holds events of the day before or after stays as it is: compacting it would tie two days'
 * compactions together), and only zstd ones (what ingestion writes; zstd frames concatenate into a
 * valid stream, so a merge is a byte concatenation and the records are the very bytes they were).
 * Candidates of one topic-partition, in offset order, form groups of contiguous ranges (each starts
 * one past the previous one's last offset) of the same first event hour, of at most `targetBytes`
 * together; a group of one object is left alone. The hour keeps a later promotion of an hour reading
 * about what it read before (its own objects, merged), not the whole day of a partition 24 times. The merged object is the Bronze range from the group's first offset to its last,
 * so its key, manifest and hour-index markers live beside the originals under names of their own
 * (activities/compaction.ts switches them; docs/lake.md "Compaction" proves a promotion reads every
 * record once).
 */
import { BRONZE_MANIFEST_FORMAT, bronzeObjectKey, parseBronzeObjectKey, type BronzeManifest, type BronzeRange } from './bronze';
import { zonePrefix } from './lake';
import { BadInputError } from './errors';
import { compareText } from './text';
import { DAY_MS, parseDay } from './time';
import { parseRunVersion } from './versions';

/** Default size a merged Bronze object grows to: 128 MiB. */
export const DEFAULT_COMPACTION_TARGET_BYTES = 128 * 1024 * 1024;

/** A Bronze object as compaction sees it: its manifest and the manifest's key. */
export interface CompactionInput {
  readonly manifestKey: string;
  readonly manifest: BronzeManifest;
}

/** Objects of one topic-partition merged into one: their range, in offset order. */
export interface MergeGroup extends BronzeRange {
  readonly members: readonly CompactionInput[];
}

/** Whether every record of the object is of day `dt` (and it has records). */
function onlyOfDay(manifest: BronzeManifest, dt: string): boolean {
  const hours = Object.keys(manifest.hourHistogram);
  return hours.length > 0 && hours.every((hour) => hour.startsWith(`${dt}T`));
}

/** The earliest event hour an object holds (its histogram's keys are sorted). */
function firstHour(manifest: BronzeManifest | undefined): string | undefined {
  return manifest === undefined ? undefined : Object.keys(manifest.hourHistogram)[0];
}

function isZstd(manifest: BronzeManifest): boolean {
  return parseBronzeObjectKey(manifest.objectKey).codec === 'zstd';
}

/** Closes the group under construction: kept when it merges two objects or more. */
function flush(groups: MergeGroup[], members: CompactionInput[]): void {
  const first = members[0]?.manifest;
  const last = members.at(-1)?.manifest;
  if (members.length < 2 || first === undefined || last === undefined) return;
  groups.push({ topic: first.topic, partition: first.partition, firstOffset: first.firstOffset, lastOffset: last.lastOffset, members: [...members] });
}

/** The merge groups of a day's objects (any order; duplicates by manifest key counted once). */
export function planBronzeCompaction(objects: readonly CompactionInput[], dt: string, targetBytes: number): MergeGroup[] {
  parseDay(dt);
  if (!Number.isSafeInteger(targetBytes) || targetBytes < 1) throw new BadInputError(`targetBytes: must be a whole number ≥ 1, got ${targetBytes}`);
  const distinct = new Map(objects.map((o) => [o.manifestKey, o]));
  const candidates = [...distinct.values()]
    .filter(({ manifest }) => onlyOfDay(manifest, dt) && isZstd(manifest))
    .sort((a, b) => compareText(a.manifest.topic, b.manifest.topic) || a.manifest.partition - b.manifest.partition || a.manifest.firstOffset - b.manifest.firstOffset);
  const groups: MergeGroup[] = [];
  let members: CompactionInput[] = [];
  let bytes = 0;
  for (const candidate of candidates) {
    const m = candidate.manifest;
    const previous = members.at(-1)?.manifest;
    const head = members[0]?.manifest;
    const joins =
      previous !== undefined &&
      previous.topic === m.topic &&
      previous.partition === m.partition &&
      m.firstOffset === previous.lastOffset + 1 &&
      firstHour(m) === firstHour(head) &&
      bytes + m.bytes <= targetBytes;
    if (!joins) {
      flush(groups, members);
      members = [];
      bytes = 0;
    }
    members.push(candidate);
    bytes += m.bytes;
  }
  flush(groups, members);
  return groups;
}

/** A merged object's manifest: a Bronze manifest, plus the manifests it replaces (for the audit trail). */
export interface CompactedManifest extends BronzeManifest {
  readonly replaces: readonly string[];
}

/**
 * The manifest of a group's merged object, from the members' manifests alone: the object is their
 * bytes concatenated, so its size, rows, schema ids, hours and receive times are theirs summed.
 */
export function mergedManifest(group: MergeGroup): CompactedManifest {
  const manifests = group.members.map((m) => m.manifest);
  const hours = new Map<string, number>();
  for (const m of manifests) for (const [hour, n] of Object.entries(m.hourHistogram)) hours.set(hour, (hours.get(hour) ?? 0) + n);
  const ranges = manifests.flatMap((m) => (m.receivedRange === null ? [] : [m.receivedRange]));
  const erased = new Map<string, number>();
  for (const m of manifests) for (const [hour, n] of Object.entries(m.erasedHistogram ?? {})) erased.set(hour, (erased.get(hour) ?? 0) + n);
  return {
    format: BRONZE_MANIFEST_FORMAT,
    objectKey: bronzeObjectKey(group, 'zstd'),
    topic: group.topic,
    partition: group.partition,
    firstOffset: group.firstOffset,
    lastOffset: group.lastOffset,
    rowCount: manifests.reduce((sum, m) => sum + m.rowCount, 0),
    bytes: manifests.reduce((sum, m) => sum + m.bytes, 0),
    schemaIds: [...new Set(manifests.flatMap((m) => m.schemaIds))].sort((a, b) => a - b),
    hourHistogram: Object.fromEntries([...hours].sort(([a], [b]) => compareText(a, b))),
    receivedRange: ranges.length === 0 ? null : { min: Math.min(...ranges.map((r) => r.min)), max: Math.max(...ranges.map((r) => r.max)) },
    replaces: group.members.map((m) => m.manifestKey),
    ...(erased.size > 0 ? { erasedHistogram: Object.fromEntries([...erased].sort(([a], [b]) => compareText(a, b))) } : {}),
  };
}

/**
 * The versions of a partition an erasure deletes at once, whatever retention would keep: every one
 * older than the published version (which the erasure's own run built without the user, or a later
 * run). Newer unpublished ones are runs still building, which read the erasure list already. Sorted.
 */
export function versionsErasureDeletes(versions: readonly string[], published: string | undefined): string[] {
  if (published === undefined) return [];
  return versions.filter((v) => compareText(v, published) < 0).sort(compareText);
}

/** Bronze objects and bytes of a day before and after its merge groups are applied. */
export function compactionFigures(objects: readonly CompactionInput[], groups: readonly MergeGroup[]): { objects_before: number; objects_after: number; bytes_before: number; bytes_after: number } {
  const distinct = new Map(objects.map((o) => [o.manifestKey, o.manifest.bytes]));
  const bytes = [...distinct.values()].reduce((sum, n) => sum + n, 0);
  const merged = groups.reduce((sum, g) => sum + g.members.length, 0);
  return { objects_before: distinct.size, objects_after: distinct.size - merged + groups.length, bytes_before: bytes, bytes_after: bytes };
}

/** Retention of partition versions: keep this many newest, and every one younger than keepDays. */
export interface RetentionPolicy {
  readonly keepNewest: number;
  readonly keepDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepNewest: 3, keepDays: 7 };

/**
 * The versions of one partition retention deletes, sorted: neither the published one, nor one of
 * the `keepNewest` newest, nor one created less than `keepDays` before `nowMs`. Names that are not
 * versions are never chosen.
 */
export function versionsToDelete(versions: readonly string[], published: string | undefined, nowMs: number, policy: RetentionPolicy): string[] {
  const created = new Map<string, number>();
  for (const version of new Set(versions)) {
    try {
      created.set(version, parseRunVersion(version).createdAtMs);
    } catch {
      // not a version folder: not ours to delete
    }
  }
  const newest = new Set([...created.keys()].sort(compareText).slice(-Math.max(policy.keepNewest, 0)));
  if (policy.keepNewest === 0) newest.clear();
  const cutoff = nowMs - policy.keepDays * DAY_MS;
  return [...created]
    .filter(([version, at]) => version !== published && !newest.has(version) && at <= cutoff)
    .map(([version]) => version)
    .sort(compareText);
}

/** The closed day compactDay works on by default: the day before yesterday of `nowMs` (UTC). */
export function defaultCompactionDay(nowMs: number): string {
  return new Date(Math.floor(nowMs / DAY_MS) * DAY_MS - 2 * DAY_MS).toISOString().slice(0, 10);
}

/** The range a manifest key names (`bronze/_manifests/events/topic=T/partition=P/offsets=F-L.json`); BadInputError otherwise. */
export function rangeOfManifestKey(key: string): BronzeRange {
  const head = `${zonePrefix('bronze')}_manifests/`;
  if (!key.startsWith(head) || !key.endsWith('.json')) throw new BadInputError(`manifest key: expected ${head}...json, got "${key}"`);
  const { topic, partition, firstOffset, lastOffset } = parseBronzeObjectKey(`${zonePrefix('bronze')}${key.slice(head.length, -'.json'.length)}.ndjson.zst`);
  return { topic, partition, firstOffset, lastOffset };
}
