/**
 * Promotion of an event hour (Bronze → Silver → Gold hourly) and of a day (daily Gold).
 *
 * A run writes everything under its own version prefix (`.../v=<version>/`), checks it (the ledger
 * balances, the files hold the rows the ledger says), and only then publishes: each partition is
 * switched to the new version in one step (activities/lake.ts). The audit ledger row of each layer is
 * appended to `lake.audit.hour_runs`. Old versions stay for rollback until compaction removes them.
 */
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { hourIndexPrefix, objectKeyOfHourIndex, type BronzeRecord } from '../core/bronze';
import type { ClicklakeConfig } from '../core/config';
import { goldDay, goldHour } from '../core/gold';
import { checkLedger, type Ledger } from '../core/ledger';
import {
  AUDIT_HOUR_RUNS,
  GOLD_CAMPAIGN_DAILY,
  GOLD_CTR_HOURLY,
  GOLD_DAU_DAILY,
  GOLD_TITLE_PLAYS_DAILY,
  partitionLocation,
  partitionPrefix,
  SILVER_EVENTS,
  type DataRow,
  type HourRunRow,
  type TableDef,
} from '../core/lakeTables';
import { classifyHour, parseSessionState, pruneSessionState, sessionize, sessionStateToJson, toSilverRow, type SilverRow } from '../core/silver';
import { HOUR_MS, hourKey, hoursOfDay, parseHourKey } from '../core/time';
import { readBronzeObject } from './bronze';
import type { Presto } from './clients';
import { keyOfLocation, publishedLocation, publishPartition, readParquetObject } from './lake';
import { getText } from './s3Objects';
import { writeParquetToS3 } from './parquet';

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

export function createPromoteActivities(deps: PromoteDeps) {
  const { config, s3, presto } = deps;
  const bucket = config.s3.bucket;

  async function bronzeRecordsOf(hour: string): Promise<BronzeRecord[]> {
    const objects = (await listKeys(s3, bucket, hourIndexPrefix(hour))).map(objectKeyOfHourIndex);
    const ctx = Context.current();
    const records: BronzeRecord[] = [];
    for (const key of objects) {
      records.push(...(await readBronzeObject(s3, bucket, key)));
      ctx.heartbeat({ hour, objectsRead: key });
    }
    return records;
  }

  /** The session state at the end of the previous hour, as its published Silver version left it. */
  async function priorSessions(hour: string): Promise<ReturnType<typeof parseSessionState>> {
    const { startMs } = parseHourKey(hour);
    const previous = parseHourKey(hourKey(startMs - HOUR_MS));
    const location = await publishedLocation(s3, bucket, SILVER_EVENTS, { dt: previous.dt, hr: previous.hr });
    if (location === undefined) return new Map();
    const text = await getText(s3, bucket, `${keyOfLocation(location, bucket)}${SESSIONS}`);
    return text === undefined ? new Map() : pruneSessionState(parseSessionState(JSON.parse(text)), startMs);
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
      const { dt, hr, key: hour } = parseHourKey(input.hour);
      const values = { dt, hr };
      const classified = classifyHour(await bronzeRecordsOf(hour), hour);
      const silverLedger = checkLedger(classified.ledger);
      const rows = classified.kept.map((event) => toSilverRow(event, { hmacKey: config.pii.hmacKey }));
      const { rows: sessioned, endState } = sessionize(rows, await priorSessions(hour));
      const silverRows: SilverRow[] = sessioned;

      const silverPrefix = partitionPrefix(SILVER_EVENTS, values, input.version);
      const silverFile = await writeParquetToS3(s3, bucket, `${silverPrefix}${PART}`, SILVER_EVENTS, silverRows, { partition: values });
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${silverPrefix}${SESSIONS}`, Body: JSON.stringify(sessionStateToJson(endState)) }));
      if (silverFile.rows !== silverLedger.rows_out) throw new Error(`silver ${hour}: wrote ${silverFile.rows} rows, the ledger says ${silverLedger.rows_out}`);

      const gold = goldHour(silverRows, hour);
      const goldPrefix = partitionPrefix(GOLD_CTR_HOURLY, values, input.version);
      await writeParquetToS3(s3, bucket, `${goldPrefix}${PART}`, GOLD_CTR_HOURLY, gold, { partition: values });
      // Gold counts every ad event of Silver once: the sums must match the Silver rows they came from.
      const adEvents = silverRows.filter((r) => r.campaign_id !== null && (r.event_type === 'ad_impression' || r.event_type === 'ad_click')).length;
      const counted = gold.reduce((n, g) => n + g.impressions + g.clicks, 0);
      if (counted !== adEvents) throw new Error(`gold ${hour}: counted ${counted} ad events, Silver holds ${adEvents}`);
      const goldLedger = checkLedger({ rows_in: silverRows.length, rows_out: silverRows.length, duplicates: 0, rejected: 0, late: 0 });

      return {
        hour,
        version: input.version,
        silver: silverLedger,
        gold: goldLedger,
        goldRows: gold.length,
        silverLocation: `s3://${bucket}/${silverPrefix}`,
        goldLocation: `s3://${bucket}/${goldPrefix}`,
      };
    },

    /** Switches the hour's Silver and Gold partitions to the run's version and appends the ledger rows. */
    async publishHour(input: { result: HourResult } & RunIdentity): Promise<void> {
      const finishedAt = Date.now(); // an audit stamp of when the run published, not a business decision
      const { dt, hr } = parseHourKey(input.result.hour);
      const values = { dt, hr };
      await publishPartition(s3, presto, bucket, SILVER_EVENTS, values, input.result.silverLocation);
      await publishPartition(s3, presto, bucket, GOLD_CTR_HOURLY, values, input.result.goldLocation);
      for (const [layer, ledger] of [['silver', input.result.silver], ['gold', input.result.gold]] as const) {
        await appendAudit({ layer, ...ledger, workflow_id: input.workflowId, run_id: input.runId, finished_at: finishedAt, version: input.version, status: 'published', dt, hr });
      }
    },

    /** Recomputes the daily Gold tables of a day from its published Silver hours, and publishes them. */
    async promoteDay(input: { dt: string } & RunIdentity): Promise<DayResult> {
      const ctx = Context.current();
      const silver: SilverRow[] = [];
      let hoursRead = 0;
      for (const hour of hoursOfDay(input.dt)) {
        const { hr } = parseHourKey(hour);
        const location = await publishedLocation(s3, bucket, SILVER_EVENTS, { dt: input.dt, hr });
        if (location === undefined) continue;
        const rows = await readParquetObject(s3, bucket, `${keyOfLocation(location, bucket)}${PART}`, SILVER_EVENTS);
        for (const row of rows) silver.push({ ...row, dt: input.dt, hr } as SilverRow);
        hoursRead++;
        ctx.heartbeat({ dt: input.dt, hoursRead });
      }
      const day = goldDay(silver, input.dt);
      const values = { dt: input.dt };
      // Write all three versions first, then switch the partitions: a failure publishes none of them.
      const write = async <Row extends object>(def: TableDef<Row>, rows: ReadonlyArray<DataRow<Row>>): Promise<TableDef> => {
        await writeParquetToS3(s3, bucket, `${partitionPrefix(def, values, input.version)}${PART}`, def, rows, { partition: values });
        return def;
      };
      const written = [
        await write(GOLD_CAMPAIGN_DAILY, day.campaign_daily),
        await write(GOLD_DAU_DAILY, day.dau_daily),
        await write(GOLD_TITLE_PLAYS_DAILY, day.title_plays_daily),
      ];
      for (const def of written) await publishPartition(s3, presto, bucket, def, values, partitionLocation(def, bucket, values, input.version));
      return {
        dt: input.dt,
        version: input.version,
        silverRows: silver.length,
        hoursRead,
        rows: { campaign_daily: day.campaign_daily.length, dau_daily: day.dau_daily.length, title_plays_daily: day.title_plays_daily.length },
      };
    },
  };
}

export type PromoteActivities = ReturnType<typeof createPromoteActivities>;
