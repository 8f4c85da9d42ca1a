/**
 * Freshness of an hour of the lake (`clicklake status`): from what the audit ledger, Temporal and
 * Bronze say about the hour, its state. Pure: the worker gathers the facts, this decides.
 */
import { quoteLiteral } from './lake';
import type { HourRunStatus } from './lakeTables';
import { HOUR_MS, parseHourKey } from './time';

export type HourState = 'READY' | 'LATE' | 'FAILED' | 'RUNNING';

/** An hour is due once it ended and the hourly schedule's grace passed. */
export const FRESHNESS_GRACE_MS = 10 * 60 * 1000;

/** The latest silver-layer run of the hour in `lake.audit.hour_runs`. */
export interface AuditRun {
  readonly status: HourRunStatus;
  /** Epoch ms. */
  readonly finished_at: number;
  readonly error: string | null;
  readonly rows_in: number;
  readonly rows_out: number;
  /** Events past the allowed lateness the run set aside (quarantined in Bronze, counted in the ledger's `late`). */
  readonly late: number;
  readonly version: string | null;
  /** The Temporal run that wrote the row. */
  readonly run_id: string | null;
  /** The run's quality level (`ok`, `warn`, `accepted`; core/quality.ts) and what passed a bound; null before quality gates. */
  readonly quality: string | null;
  readonly quality_reasons: string | null;
}

/** What is known about one hour. */
export interface HourFacts {
  /** `YYYY-MM-DDTHH`. */
  readonly hour: string;
  readonly latestRun: AuditRun | null;
  /** A promoteHour workflow of the hour is running now. */
  readonly running: boolean;
  /** The latest closed promoteHour workflow of the hour failed: its run, when it closed and why, if known. */
  readonly failedWorkflow: { readonly runId: string; readonly closedAtMs: number; readonly message: string | null } | null;
  /** Bronze holds events of the hour. */
  readonly bronzeHasEvents: boolean;
}

export interface HourFreshness {
  readonly hour: string;
  readonly state: HourState;
  /** Why the latest run failed (FAILED only). */
  readonly error: string | null;
  /** The latest audited run: its version, ledger totals and finish time (ISO). */
  readonly version: string | null;
  readonly rows_in: number | null;
  readonly rows_out: number | null;
  readonly last_run: string | null;
}

/**
 * The state of an hour, or null when it is not worth listing. RUNNING while a run is in progress;
 * else FAILED when the latest run (by finish time, audit row or workflow; the audit row when both
 * are of the same run or finished at the same time, as it carries the reason) failed; READY when the latest run published; LATE when Bronze holds
 * events, the hour ended more than `graceMs` ago and no run ever finished; otherwise not listed.
 */
export function hourFreshness(facts: HourFacts, nowMs: number, graceMs = FRESHNESS_GRACE_MS): HourFreshness | null {
  const run = facts.latestRun;
  const ledger = {
    version: run?.version ?? null,
    rows_in: run ? run.rows_in : null,
    rows_out: run ? run.rows_out : null,
    last_run: run ? new Date(run.finished_at).toISOString() : null,
  };
  const workflow = facts.failedWorkflow;
  const of = (state: HourState, error: string | null = null): HourFreshness => ({ hour: facts.hour, state, error, ...ledger });

  if (facts.running) return of('RUNNING');
  // A failed run records its audit row before its workflow closes: the row is that run's, with the reason.
  const sameRun = workflow !== null && run !== null && run.run_id === workflow.runId;
  if (workflow !== null && !sameRun && (run === null || workflow.closedAtMs > run.finished_at)) return of('FAILED', workflow.message);
  if (run !== null) return run.status === 'failed' ? of('FAILED', run.error) : of('READY');
  const endMs = parseHourKey(facts.hour).startMs + HOUR_MS;
  if (facts.bronzeHasEvents && nowMs >= endMs + graceMs) return of('LATE');
  return null;
}

/** Records a consumer group still has to read: per partition, the high watermark less its committed offset (none: 0). */
export function consumerLag(high: ReadonlyArray<{ partition: number; high: string }>, committed: ReadonlyArray<{ partition: number; offset: string }>): number {
  const done = new Map(committed.map((p) => [p.partition, Math.max(0, Number(p.offset))]));
  return high.reduce((lag, p) => lag + Number(p.high) - (done.get(p.partition) ?? 0), 0);
}

/** Columns of `lake.audit.hour_runs` that arrived after its first release: a lake not yet migrated lacks them. */
export const LATER_AUDIT_COLUMNS = ['version', 'status', 'error', 'quality', 'quality_reasons'] as const;

/**
 * The latest silver-layer run of each hour from day `sinceDt` on (to day `untilDt` when given). A
 * later column the table lacks (`present` says which it has) reads as null.
 */
export function latestHourRunsSql(sinceDt: string, present: ReadonlySet<string>, catalog = 'lake', untilDt?: string): string {
  const later = LATER_AUDIT_COLUMNS.map((c) => (present.has(c) ? c : `CAST(NULL AS varchar) AS ${c}`));
  return (
    `SELECT dt, hr, rows_in, rows_out, late, finished_at, run_id, ${later.join(', ')} FROM (` +
    `SELECT *, row_number() OVER (PARTITION BY dt, hr ORDER BY finished_at DESC) AS n ` +
    `FROM ${catalog}.audit.hour_runs WHERE layer = 'silver' AND dt >= ${quoteLiteral(sinceDt)}${untilDt === undefined ? '' : ` AND dt <= ${quoteLiteral(untilDt)}`}) WHERE n = 1`
  );
}

/** An audit row as Presto returns it, keyed by its hour; a row without a status predates failed runs: published. */
export function auditRunOf(row: Readonly<Record<string, unknown>>): { hour: string; run: AuditRun } {
  const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
  return {
    hour: `${String(row.dt)}T${String(row.hr)}`,
    run: {
      status: row.status === 'failed' ? 'failed' : 'published',
      finished_at: Number(row.finished_at),
      error: text(row.error),
      rows_in: Number(row.rows_in),
      rows_out: Number(row.rows_out),
      late: Number(row.late ?? 0),
      version: text(row.version),
      run_id: text(row.run_id),
      quality: text(row.quality),
      quality_reasons: text(row.quality_reasons),
    },
  };
}
