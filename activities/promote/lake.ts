/**
 * What a promotion reads from and appends to the lake around its DuckDB work: the hour's Bronze
 * objects (downloaded, with the record count their manifests commit), the session state a published
 * Silver hour ended with, and the audit ledger rows. Every function takes the lake it works on.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BRONZE_CODECS, hourIndexPrefix, manifestKeyOfHourIndex, parseBronzeObjectKey, type BronzeManifest } from '../../core/bronze';
import { InvariantViolationError } from '../../core/errors';
import { AUDIT_HOUR_RUNS, partitionLocation, partitionPrefix, SILVER_EVENTS, type HourRunRow } from '../../core/lakeTables';
import { parseSessionState, pruneSessionState, type SessionCursor } from '../../core/silver';
import { coverageOf, parseCoverage, type HourCoverage } from '../../core/staleness';
import { HOUR_MS, hourKey, parseHourKey } from '../../core/time';
import { readManifest } from '../bronze';
import type { Presto } from '../clients';
import { keyOfLocation, publishedLocation, publishPartition } from '../lake';
import { writeParquetToS3 } from '../parquet';
import { getBytes, getText } from '../s3Objects';

/** The lake a promotion works on. */
export interface Lake {
  readonly s3: S3Client;
  readonly presto: Presto;
  readonly bucket: string;
}

/** The data file of a partition version, and the session state beside a Silver version. */
export const PART = 'part-00000.parquet';
export const SESSIONS = '_sessions.json';
/** Beside a Silver version: the Bronze manifests it read (core/staleness.ts). */
export const COVERAGE = '_coverage.json';

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = out.NextContinuationToken;
  } while (token);
  return keys;
}

/**
 * A manifest and its object's bytes, as one consistent pair: an erasure may replace the object (a
 * new key, the manifest switched in one PUT, then the old object deleted) between the two reads, so
 * when the object a manifest named is gone, the manifest is read again and its new object taken.
 */
async function manifestWithObject(lake: Lake, key: string, hour: string): Promise<{ manifest: BronzeManifest; bytes: Buffer | undefined }> {
  for (let attempt = 1; ; attempt++) {
    const manifest = await readManifest(lake.s3, lake.bucket, key);
    // Nothing of the hour left in the object (all erased): only its count is needed.
    if ((manifest.hourHistogram[hour] ?? 0) === 0) return { manifest, bytes: undefined };
    const bytes = await getBytes(lake.s3, lake.bucket, manifest.objectKey);
    if (bytes !== undefined) return { manifest, bytes };
    if (attempt >= 3) throw new InvariantViolationError(`s3://${lake.bucket}/${manifest.objectKey} is missing, though its manifest ${key} names it`);
  }
}

/**
 * Downloads the Bronze objects holding the hour into `dir`, and how many records of the hour their
 * manifests say they hold: the promotion must read exactly that many (a conservation check of
 * Bronze itself, before the ledger of Silver); and how many of the hour's records they erased.
 */
export async function downloadBronze(lake: Lake, hour: string, dir: string): Promise<{ files: string[]; manifestRows: number; erasedRows: number; coverage: HourCoverage }> {
  const manifests = await hourManifestKeys(lake, hour);
  const ctx = Context.current();
  const files: string[] = [];
  const read: Array<[string, number]> = [];
  let manifestRows = 0;
  let erasedRows = 0;
  for (const [i, key] of manifests.entries()) {
    const { manifest, bytes } = await manifestWithObject(lake, key, hour);
    manifestRows += manifest.hourHistogram[hour] ?? 0;
    erasedRows += manifest.erasedHistogram?.[hour] ?? 0;
    read.push([key, manifest.hourHistogram[hour] ?? 0]);
    if (bytes !== undefined) {
      // The file keeps the object's suffix: DuckDB picks gzip or zstd by it.
      const file = path.join(dir, `bronze-${String(i).padStart(6, '0')}${BRONZE_CODECS[parseBronzeObjectKey(manifest.objectKey).codec]}`);
      fs.writeFileSync(file, bytes);
      files.push(file);
    }
    ctx.heartbeat({ hour, objectsRead: i + 1, of: manifests.length });
  }
  return { files, manifestRows, erasedRows, coverage: coverageOf(hour, read) };
}

/** The manifests of the Bronze objects the hour index names for the hour (one LIST, no object read). */
export async function hourManifestKeys(lake: Lake, hour: string): Promise<string[]> {
  return (await listKeys(lake.s3, lake.bucket, hourIndexPrefix(hour))).map(manifestKeyOfHourIndex);
}

/** The coverage record of the hour's published Silver version; undefined when it has none (older versions). */
export async function publishedCoverage(lake: Lake, location: string): Promise<HourCoverage | undefined> {
  const text = await getText(lake.s3, lake.bucket, `${keyOfLocation(location, lake.bucket)}${COVERAGE}`);
  return text === undefined ? undefined : parseCoverage(JSON.parse(text), `${location}${COVERAGE}`);
}

/** The session state the published Silver version of the hour ended with; undefined when unpublished. */
export async function publishedSessions(lake: Lake, hour: string): Promise<Map<string, SessionCursor> | undefined> {
  const { dt, hr } = parseHourKey(hour);
  const location = await publishedLocation(lake.s3, lake.bucket, SILVER_EVENTS, { dt, hr });
  if (location === undefined) return undefined;
  const text = await getText(lake.s3, lake.bucket, `${keyOfLocation(location, lake.bucket)}${SESSIONS}`);
  return text === undefined ? new Map() : parseSessionState(JSON.parse(text));
}

/** The session state at the end of the previous hour, as its published Silver version left it. */
export async function priorSessions(lake: Lake, hour: string): Promise<Map<string, SessionCursor>> {
  const { startMs } = parseHourKey(hour);
  return pruneSessionState((await publishedSessions(lake, hourKey(startMs - HOUR_MS))) ?? new Map(), startMs);
}

/** Appends one row to `lake.audit.hour_runs` (one file per run and layer, so a retry overwrites it). */
export async function appendAudit(lake: Lake, row: HourRunRow): Promise<void> {
  const values = { dt: row.dt, hr: row.hr };
  await writeParquetToS3(lake.s3, lake.bucket, `${partitionPrefix(AUDIT_HOUR_RUNS, values)}${row.layer}-${row.version}.parquet`, AUDIT_HOUR_RUNS, [row]);
  if ((await publishedLocation(lake.s3, lake.bucket, AUDIT_HOUR_RUNS, values)) === undefined) {
    await publishPartition(lake.s3, lake.presto, lake.bucket, AUDIT_HOUR_RUNS, values, partitionLocation(AUDIT_HOUR_RUNS, lake.bucket, values));
  }
}

/** How often a long DuckDB step heartbeats; well inside the promotion activities' 2-minute timeout. */
const HEARTBEAT_EVERY_MS = 10_000;

/**
 * Runs a long step (DuckDB works off the event loop) while heartbeating every HEARTBEAT_EVERY_MS,
 * so a big hour is not taken for a dead worker and retried over and over.
 */
export async function heartbeating<T>(details: Record<string, unknown>, step: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const started = Date.now();
  const timer = setInterval(() => ctx.heartbeat({ ...details, runningForMs: Date.now() - started }), HEARTBEAT_EVERY_MS);
  try {
    return await step();
  } finally {
    clearInterval(timer);
  }
}
