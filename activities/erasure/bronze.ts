/**
 * An erasure in the raw zone: the Bronze objects of an hour rewritten without the erased user's
 * records, and the scan that verifies none is left. Each rewrite commits as ingestion does: the new
 * object under a new key (`.r<N>`), its hour markers, then its manifest replaced in one PUT (the
 * commit point), and only then the old object deleted. A promotion reading meanwhile holds the old
 * manifest and the old object, or the new pair; when the old object is gone under it, it reads the
 * manifest again (activities/promote/lake.ts).
 */
import { decompress as zstdDecompress } from '@mongodb-js/zstd';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { gunzipSync } from 'node:zlib';
import { parseBronzeLine, parseBronzeObjectKey, type BronzeManifest, type BronzeRecord } from '../../core/bronze';
import { isErased, type ErasureRule } from '../../core/erasure';
import { userKey } from '../../core/silver';
import { hourKey } from '../../core/time';
import { putBronzeObject, readManifest } from '../bronze/objects';
import { hourManifestKeys, type Lake } from '../promote/lake';
import { getBytes } from '../s3Objects';

/** The NDJSON lines of a Bronze object; undefined when the object is gone. */
async function objectLines(lake: Lake, manifest: BronzeManifest): Promise<string[] | undefined> {
  const bytes = await getBytes(lake.s3, lake.bucket, manifest.objectKey);
  if (bytes === undefined) return undefined;
  const raw = parseBronzeObjectKey(manifest.objectKey).codec === 'gzip' ? gunzipSync(bytes) : await zstdDecompress(bytes);
  return raw
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

/**
 * How many lines the rule erases, read cheaply (JSON.parse for user_id and event_time only): most
 * objects hold none of the user's records and need no full reading. A line that is not of that shape
 * counts as not erased here; the full reading of a rewrite still parses every line strictly.
 */
function erasedLineCount(lines: readonly string[], rule: ErasureRule, keys: Map<string, string>, hmacKey: string): number {
  let erased = 0;
  for (const line of lines) {
    const event = (JSON.parse(line) as { event?: { user_id?: unknown; event_time?: unknown } }).event;
    if (typeof event?.user_id !== 'string' || typeof event.event_time !== 'number') continue;
    let key = keys.get(event.user_id);
    if (key === undefined) keys.set(event.user_id, (key = userKey(hmacKey, event.user_id)));
    if (isErased(rule, key, event.event_time)) erased++;
  }
  return erased;
}

/** Splits records into those the rule erases (by hour) and the rest; user_key computed once per user. */
function splitErased(records: readonly BronzeRecord[], rule: ErasureRule, hmacKey: string, keys: Map<string, string>): { kept: BronzeRecord[]; erased: Map<string, number> } {
  const kept: BronzeRecord[] = [];
  const erased = new Map<string, number>();
  for (const record of records) {
    const id = record.event.user_id;
    let key = keys.get(id);
    if (key === undefined) keys.set(id, (key = userKey(hmacKey, id)));
    if (isErased(rule, key, record.event.event_time)) {
      const hour = hourKey(record.event.event_time);
      erased.set(hour, (erased.get(hour) ?? 0) + 1);
    } else kept.push(record);
  }
  return { kept, erased };
}

export interface BronzeRewrite {
  /** Manifest keys of the objects rewritten. */
  readonly objects: string[];
  readonly recordsRemoved: number;
}

/**
 * Rewrites every Bronze object of the hour holding records the rule erases; an object holding none is
 * left as it is, so a retry (or another hour sharing the object) finds nothing more to do.
 */
export async function rewriteBronzeHour(lake: Lake, hour: string, rule: ErasureRule, hmacKey: string): Promise<BronzeRewrite> {
  const objects: string[] = [];
  let recordsRemoved = 0;
  const userKeys = new Map<string, string>();
  const keys = await hourManifestKeys(lake, hour);
  for (const [i, key] of keys.entries()) {
    const manifest = await readManifest(lake.s3, lake.bucket, key);
    const lines = manifest.rowCount === 0 ? [] : await objectLines(lake, manifest);
    if (lines === undefined) throw new Error(`s3://${lake.bucket}/${manifest.objectKey}: missing, though its manifest ${key} names it (an erasure running at the same time? retried)`);
    const records = erasedLineCount(lines, rule, userKeys, hmacKey) === 0 ? [] : lines.map((line, n) => parseBronzeLine(line, `${manifest.objectKey} line ${n + 1}`));
    const { kept, erased } = splitErased(records, rule, hmacKey, userKeys);
    if (erased.size > 0) {
      const before = manifest.erasedHistogram ?? {};
      const merged = Object.fromEntries([...new Set([...Object.keys(before), ...erased.keys()])].map((h) => [h, (before[h] ?? 0) + (erased.get(h) ?? 0)]));
      await putBronzeObject(lake.s3, lake.bucket, manifest, kept, { erased: merged, rewrite: (manifest.rewrite ?? 0) + 1 });
      await lake.s3.send(new DeleteObjectCommand({ Bucket: lake.bucket, Key: manifest.objectKey }));
      objects.push(key);
      recordsRemoved += records.length - kept.length;
    }
    Context.current().heartbeat({ hour, objectsScanned: i + 1, of: keys.length, rewritten: objects.length });
  }
  return { objects, recordsRemoved };
}

/** How many records the rule erases are still in the hour's Bronze objects (0 after a rewrite). */
export async function erasedRecordsLeft(lake: Lake, hour: string, rule: ErasureRule, hmacKey: string): Promise<number> {
  let left = 0;
  const userKeys = new Map<string, string>();
  for (const key of await hourManifestKeys(lake, hour)) {
    const manifest = await readManifest(lake.s3, lake.bucket, key);
    const lines = manifest.rowCount === 0 ? [] : ((await objectLines(lake, manifest)) ?? []);
    left += erasedLineCount(lines, rule, userKeys, hmacKey);
  }
  return left;
}
