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
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClicklakeConfig } from '../core/config';
import { EMPTY_LEDGER, type Ledger } from '../core/ledger';
import type { RunQuality } from '../core/quality';
import { GOLD_CTR_HOURLY, SILVER_EVENTS, SILVER_QUARANTINE, type RunReason } from '../core/lakeTables';
import { restatementReason } from '../core/restatements';
import { parseHourKey } from '../core/time';
import type { Presto } from './clients';
import { publishPartition } from './lake';
import { recordRestatements } from './restatements';
import { buildHour } from './promote/buildHour';
import { appendAudit, type Lake } from './promote/lake';
import { promoteDay } from './promote/promoteDay';

export interface PromoteDeps {
  readonly config: ClicklakeConfig;
  readonly s3: S3Client;
  readonly presto: Presto;
  readonly codeVersion: string;
}

export interface RunIdentity {
  readonly workflowId: string;
  readonly runId: string;
  /** Sortable, unique per run (core/versions.ts runVersion). */
  readonly version: string;
  /** Why the run ran; absent in inputs recorded before the field existed (then `manual`). */
  readonly reason?: RunReason;
}

export interface HourResult {
  readonly hour: string;
  readonly version: string;
  readonly silver: Ledger;
  readonly gold: Ledger;
  readonly goldRows: number;
  readonly silverLocation: string;
  readonly goldLocation: string;
  /** The version's `lake.silver.quarantine` partition; absent in results recorded before it. */
  readonly quarantineLocation?: string;
  /**
   * Publishing this version changes the derived sessions of the next hour, which is published: it
   * must be promoted again. Absent in results recorded before the field existed.
   */
  readonly nextHourStale?: boolean;
  /** The run's quality figures and verdict (core/quality.ts); absent in results recorded before it. */
  readonly quality?: RunQuality;
  /** The erasure list the build applied (core/erasure.ts erasureListFingerprint); absent when empty. */
  readonly erasureList?: string;
}

export interface DayResult {
  readonly dt: string;
  readonly version: string;
  readonly silverRows: number;
  readonly hoursRead: number;
  readonly rows: { readonly campaign_daily: number; readonly dau_daily: number; readonly title_plays_daily: number };
}

/** The quality columns of an audit row; all null when the run has no figures (failed, or recorded before them). */
function qualityColumns(quality: RunQuality | undefined) {
  const f = quality?.figures;
  return {
    reject_rate: f?.reject_rate ?? null,
    duplicate_rate: f?.duplicate_rate ?? null,
    volume_ratio: f?.volume_ratio ?? null,
    null_rate_campaign: f?.null_rate_campaign ?? null,
    null_rate_device_type: f?.null_rate_device_type ?? null,
    null_rate_country: f?.null_rate_country ?? null,
    quality: quality?.level ?? null,
    quality_reasons: quality === undefined || quality.reasons.length === 0 ? null : quality.reasons.join('; '),
  };
}

export function createPromoteActivities(deps: PromoteDeps) {
  const lake: Lake = { s3: deps.s3, presto: deps.presto, bucket: deps.config.s3.bucket };
  /** The audit columns that say which code ran and why (`erased` comes with the ledger). */
  const provenance = (input: RunIdentity) => ({ code_version: deps.codeVersion, reason: input.reason ?? 'manual' });

  return {
    /**
     * Builds Silver and hourly Gold of an hour under the run's version, unpublished. Fails at once
     * (InvariantViolationError, LedgerImbalanceError) when what it wrote does not hold its ledger.
     */
    buildHour(input: { hour: string; acceptQuality?: boolean } & RunIdentity): Promise<HourResult> {
      return buildHour(lake, { hmacKey: deps.config.pii.hmacKey, quality: deps.config.quality }, input);
    },

    /** Switches the hour's Silver, quarantine and Gold partitions to the run's version and appends the ledger rows. */
    async publishHour(input: { result: HourResult } & RunIdentity): Promise<void> {
      const finishedAt = Date.now(); // an audit stamp of when the run published, not a business decision
      const { dt, hr } = parseHourKey(input.result.hour);
      const values = { dt, hr };
      // Recorded before anything is switched: a recording that fails publishes nothing (the hour ends FAILED, as any publish failure).
      await recordRestatements(lake, { def: GOLD_CTR_HOURLY, values, newVersion: input.result.version, newLocation: input.result.goldLocation, reason: restatementReason(input.reason), workflowId: input.workflowId, finishedAt });
      await publishPartition(lake.s3, lake.presto, lake.bucket, SILVER_EVENTS, values, input.result.silverLocation);
      if (input.result.quarantineLocation !== undefined) await publishPartition(lake.s3, lake.presto, lake.bucket, SILVER_QUARANTINE, values, input.result.quarantineLocation);
      await publishPartition(lake.s3, lake.presto, lake.bucket, GOLD_CTR_HOURLY, values, input.result.goldLocation);
      for (const [layer, ledger] of [['silver', input.result.silver], ['gold', input.result.gold]] as const) {
        await appendAudit(lake, { layer, ...ledger, workflow_id: input.workflowId, run_id: input.runId, finished_at: finishedAt, version: input.version, status: 'published', ...provenance(input), error: null, ...qualityColumns(input.result.quality), dt, hr });
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
      const finishedAt = Date.now(); // an audit stamp, as in publishHour
      await appendAudit(lake, { layer: 'silver', ...ledger, workflow_id: input.workflowId, run_id: input.runId, finished_at: finishedAt, version: input.version, status: 'failed', ...provenance(input), error: input.error, ...qualityColumns(undefined), dt, hr });
    },

    /** Recomputes the daily Gold tables of a day from its published Silver hours, and publishes them. */
    promoteDay(input: { dt: string } & RunIdentity): Promise<DayResult> {
      return promoteDay(lake, input);
    },
  };
}

export type PromoteActivities = ReturnType<typeof createPromoteActivities>;
