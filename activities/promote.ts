/**
 * Promotion of an event hour (Bronze → Silver → Gold hourly) and of a day (daily Gold). The hour's
 * work happens in embedded DuckDB (activities/silverSql.ts) over the Bronze objects downloaded to a
 * private temporary folder, which a retry starts afresh.
 *
 * A run writes everything under its own version prefix (`.../v=<version>/`), checks it (the ledger
 * balances, the files hold the rows the ledger says), and only then publishes: each partition is
 * switched to the new version in one step (activities/lake.ts). The audit ledger row of each layer is
 * appended to `lake.audit.hour_runs`. Old versions stay for rollback until compaction removes them.
 */
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Context, log } from '@temporalio/activity';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BRONZE_CODECS, hourIndexPrefix, manifestKeyOfHourIndex, parseBronzeObjectKey } from '../core/bronze';
import type { ClicklakeConfig } from '../core/config';
import { InvariantViolationError } from '../core/errors';
import { checkLedger, EMPTY_LEDGER, goldHourLedger, type Ledger } from '../core/ledger';
import {
  AUDIT_HOUR_RUNS,
  GOLD_CAMPAIGN_DAILY,
  GOLD_CTR_HOURLY,
  GOLD_DAU_DAILY,
  GOLD_TITLE_PLAYS_DAILY,
  partitionLocation,
  partitionPrefix,
  SILVER_EVENTS,
  type HourRunRow,
  type TableDef,
} from '../core/lakeTables';
import { nextHourSessionsChanged, parseSessionState, pruneSessionState, sessionStateToJson, type SessionCursor } from '../core/silver';
import { HOUR_MS, hourKey, hoursOfDay, parseHourKey } from '../core/time';
import type { Presto } from './clients';
import { readManifest } from './bronze';
import { keyOfLocation, publishedLocation, publishPartition } from './lake';
import { getText, requireBytes } from './s3Objects';
import { uploadFile, writeParquetToS3 } from './parquet';
import { writeGoldDay } from './goldSql';
import { buildSilverHour } from './silverSql';
import { withTempDir } from './tempDir';

export interface PromoteDeps {
  readonly config: ClicklakeConfig;
  readonly s3: S3Client;
  readonly presto: Presto;
}

export interface RunIdentity {
  readonly workflowId: string;
  readonly runId: string;
  /** Sortable, unique per run (core/versions.ts runVersion). */
  readonly version: string;
}

export interface HourResult {
  readonly hour: string;
  readonly version: string;
  readonly silver: Ledger;
  readonly gold: Ledger;
  readonly goldRows: number;
  readonly silverLocation: string;
  readonly goldLocation: string;
  /**
   * Publishing this version changes the derived sessions of the next hour, which is published: it
   * must be promoted again. Absent in results recorded before the field existed.
   */
  readonly nextHourStale?: boolean;
}

export interface DayResult {
  readonly dt: string;
  readonly version: string;
  readonly silverRows: number;
  readonly hoursRead: number;
  readonly rows: { readonly campaign_daily: number; readonly dau_daily: number; readonly title_plays_daily: number };
}

const PART = 'part-00000.parquet';
const SESSIONS = '_sessions.json';

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

/** How often a long DuckDB step heartbeats; well inside the promotion activities' 2-minute timeout. */
const HEARTBEAT_EVERY_MS = 10_000;

/**
 * Runs a long step (DuckDB works off the event loop) while heartbeating every HEARTBEAT_EVERY_MS,
 * so a big hour is not taken for a dead worker and retried over and over.
 */
async function heartbeating<T>(details: Record<string, unknown>, step: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const started = Date.now();
  const timer = setInterval(() => ctx.heartbeat({ ...details, runningForMs: Date.now() - started }), HEARTBEAT_EVERY_MS);
  try {
    return await step();
  } finally {
    clearInterval(timer);
  }
}

export function createPromoteActivities(deps: PromoteDeps) {
  const { config, s3, presto } = deps;
  const bucket = config.s3.bucket;

  /**
   * Downloads the Bronze objects holding the hour into `dir`, and how many records of the hour their
   * manifests say they hold: the promotion must read exactly that many (a conservation check of
   * Bronze itself, before the ledger of Silver).
   */
  async function downloadBronze(hour: string, dir: string): Promise<{ files: string[]; manifestRows: number }> {
    const manifests = (await listKeys(s3, bucket, hourIndexPrefix(hour))).map(manifestKeyOfHourIndex);
    const ctx = Context.current();
    const files: string[] = [];
    let manifestRows = 0;
    for (const [i, key] of manifests.entries()) {
      const manifest = await readManifest(s3, bucket, key);
      manifestRows += manifest.hourHistogram[hour] ?? 0;
      // The file keeps the object's suffix: DuckDB picks gzip or zstd by it.
      const file = path.join(dir, `bronze-${String(i).padStart(6, '0')}${BRONZE_CODECS[parseBronzeObjectKey(manifest.objectKey).codec]}`);
      fs.writeFileSync(file, await requireBytes(s3, bucket, manifest.objectKey));
      files.push(file);
      ctx.heartbeat({ hour, objectsRead: i + 1, of: manifests.length });
    }
    return { files, manifestRows };
  }

  /** The session state the published Silver version of the hour ended with; undefined when unpublished. */
  async function publishedSessions(hour: string): Promise<Map<string, SessionCursor> | undefined> {
    const { dt, hr } = parseHourKey(hour);
    const location = await publishedLocation(s3, bucket, SILVER_EVENTS, { dt, hr });
    if (location === undefined) return undefined;
    const text = await getText(s3, bucket, `${keyOfLocation(location, bucket)}${SESSIONS}`);
    return text === undefined ? new Map() : parseSessionState(JSON.parse(text));
  }

  /** The session state at the end of the previous hour, as its published Silver version left it. */
  async function priorSessions(hour: string): Promise<Map<string, SessionCursor>> {
    const { startMs } = parseHourKey(hour);
    return pruneSessionState((await publishedSessions(hourKey(startMs - HOUR_MS))) ?? new Map(), startMs);
  }

  async function appendAudit(row: HourRunRow): Promise<void> {
    const values = { dt: row.dt, hr: row.hr };
    await writeParquetToS3(s3, bucket, `${partitionPrefix(AUDIT_HOUR_RUNS, values)}${row.layer}-${row.version}.parquet`, AUDIT_HOUR_RUNS, [row]);
    if ((await publishedLocation(s3, bucket, AUDIT_HOUR_RUNS, values)) === undefined) {
      await publishPartition(s3, presto, bucket, AUDIT_HOUR_RUNS, values, partitionLocation(AUDIT_HOUR_RUNS, bucket, values));
    }
  }

  return {
    /**
     * Builds Silver and hourly Gold of an hour under the run's version, unpublished. Fails loudly
     * (LedgerImbalanceError) when the ledger does not balance.
     */
    async buildHour(input: { hour: string } & RunIdentity): Promise<HourResult> {
      const { dt, hr, key: hour, startMs } = parseHourKey(input.hour);
      const values = { dt, hr };
      return withTempDir(`clicklake-promote-${hour}-`, async (dir) => {
        const bronze = await downloadBronze(hour, dir);
        const silverFile = path.join(dir, 'silver.parquet');
        const goldFile = path.join(dir, 'gold.parquet');
        const priorState = await priorSessions(hour);
        const built = await heartbeating({ hour, step: 'duckdb' }, () =>
          buildSilverHour({ bronzeFiles: bronze.files, hour, priorState, hmacKey: config.pii.hmacKey, silverFile, goldFile }),
        );
        const silverLedger = checkLedger(built.ledger);
        if (silverLedger.rows_in !== bronze.manifestRows) {
          throw new InvariantViolationError(`silver ${hour}: read ${silverLedger.rows_in} Bronze records of the hour, the manifests say ${bronze.manifestRows}`);
        }
        if (built.silverRows !== silverLedger.rows_out) throw new InvariantViolationError(`silver ${hour}: wrote ${built.silverRows} rows, the ledger says ${silverLedger.rows_out}`);
        for (const rejection of built.rejections.slice(0, 20)) {
          log.warn('rejected by re-validation', { hour, topic: rejection.topic, partition: rejection.partition, offset: rejection.offset, errors: rejection.errors });
        }

        const silverPrefix = partitionPrefix(SILVER_EVENTS, values, input.version);
        await uploadFile(s3, bucket, `${silverPrefix}${PART}`, silverFile);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${silverPrefix}${SESSIONS}`, Body: JSON.stringify(sessionStateToJson(built.endState)) }));
        const goldPrefix = partitionPrefix(GOLD_CTR_HOURLY, values, input.version);
        await uploadFile(s3, bucket, `${goldPrefix}${PART}`, goldFile);
        // What Gold holds, read back from the written files: every ad event of the Silver file, counted once.
        const goldLedger = checkLedger(goldHourLedger({ silverAdEvents: built.adEvents, goldCounted: built.goldCounted }));
        // The next hour's derived sessions start from this hour's end state: if it changes what
        // reaches the next hour, and that hour is published, it must be sessionized again.
        const next = parseHourKey(hourKey(startMs + HOUR_MS));
        const before = (await publishedSessions(hour)) ?? new Map<string, SessionCursor>();
        const nextHourStale =
          nextHourSessionsChanged(before, built.endState, next.startMs) &&
          (await publishedLocation(s3, bucket, SILVER_EVENTS, { dt: next.dt, hr: next.hr })) !== undefined;

        return {
          hour,
          version: input.version,
          silver: silverLedger,
          gold: goldLedger,
          goldRows: built.goldRows,
          silverLocation: `s3://${bucket}/${silverPrefix}`,
          goldLocation: `s3://${bucket}/${goldPrefix}`,
          nextHourStale,
        };
      });
    },

    /** Switches the hour's Silver and Gold partitions to the run's version and appends the ledger rows. */
    async publishHour(input: { result: HourResult } & RunIdentity): Promise<void> {
      const finishedAt = Date.now(); // an audit stamp of when the run published, not a business decision
      const { dt, hr } = parseHourKey(input.result.hour);
      const values = { dt, hr };
      await publishPartition(s3, presto, bucket, SILVER_EVENTS, values, input.result.silverLocation);
      await publishPartition(s3, presto, bucket, GOLD_CTR_HOURLY, values, input.result.goldLocation);
      for (const [layer, ledger] of [['silver', input.result.silver], ['gold', input.result.gold]] as const) {
        await appendAudit({ layer, ...ledger, workflow_id: input.workflowId, run_id: input.runId, finished_at: finishedAt, version: input.version, status: 'published', error: null, dt, hr });
      }
    },

    /**
     * Appends the audit row of a run that failed and published nothing (`status = 'failed'`, the
     * error's name and message), so `lake.audit.hour_runs` and `clicklake status` say why the hour is
     * FAILED. The ledger is the built one when the run got that far, else all zeros.
     */
    async recordFailedRun(input: { hour: string; error: string; silver?: Ledger } & RunIdentity): Promise<void> {
      const { dt, hr } = parseHourKey(input.hour);
      const ledger = input.silver ?? EMPTY_LEDGER;
      await appendAudit({ layer: 'silver', ...ledger, workflow_id: input.workflowId, run_id: input.runId, finished_at: Date.now(), version: input.version, status: 'failed', error: input.error, dt, hr });
    },

    /**
     * Recomputes the daily Gold tables of a day from its published Silver hours (in DuckDB over the
     * downloaded files, activities/goldSql.ts), and publishes them.
     */
    async promoteDay(input: { dt: string } & RunIdentity): Promise<DayResult> {
      const ctx = Context.current();
      return withTempDir(`clicklake-promote-day-${input.dt}-`, async (dir) => {
        const silverFiles: string[] = [];
        for (const hour of hoursOfDay(input.dt)) {
          const { hr } = parseHourKey(hour);
          const location = await publishedLocation(s3, bucket, SILVER_EVENTS, { dt: input.dt, hr });
          if (location === undefined) continue;
          const file = path.join(dir, `silver-${hr}.parquet`);
          fs.writeFileSync(file, await requireBytes(s3, bucket, `${keyOfLocation(location, bucket)}${PART}`));
          silverFiles.push(file);
          ctx.heartbeat({ dt: input.dt, hoursRead: silverFiles.length });
        }
        const day = await heartbeating({ dt: input.dt, step: 'duckdb' }, () => writeGoldDay({ silverFiles, dt: input.dt, outDir: path.join(dir, 'gold') }));
        const values = { dt: input.dt };
        // Upload all three versions first, then switch the partitions: a failure publishes none of them.
        const tables: Array<readonly [TableDef, string]> = [
          [GOLD_CAMPAIGN_DAILY, day.files.campaign_daily],
          [GOLD_DAU_DAILY, day.files.dau_daily],
          [GOLD_TITLE_PLAYS_DAILY, day.files.title_plays_daily],
        ];
        for (const [def, file] of tables) await uploadFile(s3, bucket, `${partitionPrefix(def, values, input.version)}${PART}`, file);
        for (const [def] of tables) await publishPartition(s3, presto, bucket, def, values, partitionLocation(def, bucket, values, input.version));
        return { dt: input.dt, version: input.version, silverRows: day.silverRows, hoursRead: silverFiles.length, rows: day.rows };
      });
    },
  };
}

export type PromoteActivities = ReturnType<typeof createPromoteActivities>;
