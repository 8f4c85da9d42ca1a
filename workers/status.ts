/**
 * `clicklake status`: freshness of each hour (READY / RUNNING / LATE / FAILED, decided by
 * core/freshness.ts), consumer lag (Bronze ingestion and the real-time consumer), the schedules, and
 * the real-time vs Gold drift; per dataset-hour and dataset-day its state with STALE
 * (core/dayState.ts, from the hour's staleness: activities/staleness.ts) and the days' finality.
 * This file only gathers the facts.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Client, WorkflowFailedError } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import { connectTemporal, createKafka, createRedis, createS3, Presto } from '../activities/clients';
import { BRONZE_GROUP, hourHasEvents } from '../activities/bronze';
import { ctrLag } from '../activities/ctr';
import { readDrift } from '../activities/drift';
import type { ClicklakeConfig } from '../core/config';
import { DAILY_DATASETS, dayDatasets, hourDatasets, type DailyDataset, type DatasetStatus, type DayFacts } from '../core/dayState';
import type { CtrDrift } from '../core/drift';
import { auditRunOf, consumerLag, hourFreshness, latestHourRunsSql, type AuditRun, type HourFacts, type HourState } from '../core/freshness';
import { AUDIT_ERASURES, GOLD_CAMPAIGN_DAILY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY, partitionMetadataKey, partitionPrefix, qualifiedName, type TableDef } from '../core/lakeTables';
import type { ErasureRow, ErasureStatus } from '../core/erasure';
import { HOUR_MS, hourKey, parseHourKey } from '../core/time';
import { versionOfKey } from '../core/versions';
import { keyOfLocation, publishedLocation } from '../activities/lake';
import { hourStaleness } from '../activities/staleness';
import { promoteDayWorkflowId } from '../workflows/promoteDay';
import { promoteHourWorkflowId } from '../workflows/promoteHour';

export interface HourReport {
  readonly hour: string;
  readonly status: HourState;
  readonly rows_in: number | null;
  readonly rows_out: number | null;
  readonly last_run: string | null;
  readonly drift: Pick<CtrDrift, 'impressions' | 'clicks'> | null;
  /** The version the latest audited run wrote. */
  readonly version: string | null;
  /** Why the latest run failed (FAILED only). */
  readonly error: string | null;
  /** Events of the hour that arrived past the allowed lateness: quarantined (kept in Bronze, not in Gold); the ledger's `late` of the latest run. */
  readonly late_events: number | null;
  /** The latest run's quality (`ok`, `warn`: published and flagged, `accepted`: a blocking level published on request) and its reasons. */
  readonly quality: string | null;
  readonly quality_reasons: string | null;
}

export interface StatusReport {
  readonly as_of: string;
  readonly lag: { readonly bronze_records: number; readonly ctr_records: number };
  readonly schedules: ReadonlyArray<{ id: string; paused: boolean; next_run: string | null }>;
  readonly hours: readonly HourReport[];
  /** CONTRACT §4: each dataset-hour and dataset-day of the range. */
  readonly datasets: readonly DatasetStatus[];
  /** Erasure requests (`lake.audit.erasures`): how many in each status, and the latest ones. */
  readonly erasures: ErasureSummary;
}

export interface ErasureSummary {
  readonly pending: number;
  readonly done: number;
  readonly verified: number;
  readonly failed: number;
  /** The latest requests, newest first. */
  readonly latest: ReadonlyArray<Pick<ErasureRow, 'request_id' | 'status' | 'requested_at' | 'completed_at' | 'verified_at' | 'error'>>;
}

/** How many erasure requests the status lists one by one. */
const LATEST_ERASURES = 10;

async function erasureSummary(presto: Presto): Promise<ErasureSummary> {
  const counts = await presto.queryObjects(`SELECT status, count(*) AS n FROM ${qualifiedName(AUDIT_ERASURES)} GROUP BY status`);
  const count = (status: string): number => Number(counts.find((r) => r.status === status)?.n ?? 0);
  const latest = await presto.queryObjects(
    `SELECT request_id, status, requested_at, completed_at, verified_at, error FROM ${qualifiedName(AUDIT_ERASURES)} ORDER BY requested_at DESC LIMIT ${LATEST_ERASURES}`,
  );
  const time = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
  return {
    pending: count('pending'),
    done: count('done'),
    verified: count('verified'),
    failed: count('failed'),
    latest: latest.map((r) => ({
      request_id: String(r.request_id),
      status: String(r.status) as ErasureStatus,
      requested_at: Number(r.requested_at),
      completed_at: time(r.completed_at),
      verified_at: time(r.verified_at),
      error: r.error === null || r.error === undefined ? null : String(r.error),
    })),
  };
}

/** The hours `status` reports on (both included, epoch ms of any instant in them); default the last 24 h. */
export interface StatusRange {
  readonly fromMs: number;
  readonly toMs: number;
}

type Workflows = Map<string, Pick<HourFacts, 'running' | 'failedWorkflow'>>;

async function bronzeLag(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const high = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: BRONZE_GROUP, topics: [topic] });
    return consumerLag(high, committed?.partitions ?? []);
  } finally {
    await admin.disconnect();
  }
}

async function listSchedules(client: Client): Promise<StatusReport['schedules']> {
  const schedules: Array<{ id: string; paused: boolean; next_run: string | null }> = [];
  for await (const s of client.schedule.list()) {
    schedules.push({ id: s.scheduleId, paused: s.state.paused, next_run: s.info.nextActionTimes[0]?.toISOString() ?? null });
  }
  return schedules;
}

/** The latest silver-layer run of each hour from `sinceMs` to `untilMs`, from the audit ledger; columns added later may be missing. */
async function latestAuditRuns(presto: Presto, sinceMs: number, untilMs: number): Promise<Map<string, AuditRun>> {
  const columns = await presto.queryObjects(
    `SELECT column_name FROM lake.information_schema.columns WHERE table_schema = 'audit' AND table_name = 'hour_runs'`,
  );
  const present = new Set(columns.map((c) => String(c.column_name)));
  const rows = await presto.queryObjects(latestHourRunsSql(hourKey(sinceMs).slice(0, 10), present, 'lake', hourKey(untilMs).slice(0, 10)));
  return new Map(rows.map((row) => {
    const { hour, run } = auditRunOf(row);
    return [hour, run];
  }));
}

/**
 * Per hour (promoteHour) or day (promoteDay): whether a workflow of it runs now, and whether the
 * latest of its failed ones (and why). A later successful run shows as a later published audit row
 * (or Gold partition), so completed ones are not listed.
 */
async function promoteWorkflows(client: Client, sinceMs: number, workflowType: 'promoteHour' | 'promoteDay' = 'promoteHour'): Promise<Workflows> {
  const byHour: Workflows = new Map();
  const prefix = workflowType === 'promoteHour' ? promoteHourWorkflowId('') : promoteDayWorkflowId('');
  const query = `WorkflowType = '${workflowType}' AND (ExecutionStatus = 'Running' OR (ExecutionStatus = 'Failed' AND StartTime > '${new Date(sinceMs).toISOString()}'))`;
  for await (const wf of client.workflow.list({ query })) {
    if (!wf.workflowId.startsWith(prefix)) continue;
    const hour = wf.workflowId.slice(prefix.length);
    const facts = byHour.get(hour) ?? { running: false, failedWorkflow: null };
    if (wf.status.name === 'RUNNING') {
      byHour.set(hour, { ...facts, running: true });
      continue;
    }
    const closedAtMs = wf.closeTime?.getTime() ?? 0;
    if (facts.failedWorkflow !== null && facts.failedWorkflow.closedAtMs >= closedAtMs) continue;
    byHour.set(hour, { ...facts, failedWorkflow: { runId: wf.runId, closedAtMs, message: await failureMessage(client, wf.workflowId, wf.runId) } });
  }
  return byHour;
}

async function failureMessage(client: Client, workflowId: string, runId: string): Promise<string | null> {
  try {
    await client.workflow.getHandle(workflowId, runId, { followRuns: false }).result();
    return null;
  } catch (err) {
    if (err instanceof WorkflowFailedError) return err.cause?.message ?? err.message;
    throw err;
  }
}

/** The published version of a daily table's partition and when it was switched to it (the metastore object's time). */
async function publishedGold(s3: S3Client, bucket: string, def: TableDef, dt: string): Promise<{ version: string; publishedAtMs: number } | undefined> {
  const location = await publishedLocation(s3, bucket, def, { dt });
  if (location === undefined) return undefined;
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: partitionMetadataKey(def, { dt }) }));
  const version = versionOfKey(partitionPrefix(def, { dt }), keyOfLocation(location, bucket)) ?? location;
  return { version, publishedAtMs: head.LastModified?.getTime() ?? 0 };
}

const DAILY_TABLES: ReadonlyArray<readonly [DailyDataset, TableDef]> = [
  ['gold.campaign_daily', GOLD_CAMPAIGN_DAILY],
  ['gold.dau_daily', GOLD_DAU_DAILY],
  ['gold.title_plays_daily', GOLD_TITLE_PLAYS_DAILY],
];

/** The daily datasets of each day the hours touch, from their hours' states and the days' published Gold. */
async function dayReports(
  config: ClicklakeConfig,
  s3: S3Client,
  days: Workflows,
  hours: ReadonlyArray<{ hour: string; datasets: readonly DatasetStatus[]; publishedAtMs: number | null }>,
  nowMs: number,
): Promise<DatasetStatus[]> {
  const out: DatasetStatus[] = [];
  for (const dt of [...new Set(hours.map((h) => parseHourKey(h.hour).dt))].sort()) {
    const gold: Partial<Record<DailyDataset, { version: string; publishedAtMs: number }>> = {};
    for (const [dataset, def] of DAILY_TABLES) {
      const published = await publishedGold(s3, config.s3.bucket, def, dt);
      if (published !== undefined) gold[dataset] = published;
    }
    const dayHours = hours.filter((h) => parseHourKey(h.hour).dt === dt).map((h) => ({ state: h.datasets[0]?.state ?? 'READY', publishedAtMs: h.publishedAtMs, waiting_events: h.datasets[0]?.waiting_events ?? 0 }));
    const workflow = days.get(dt);
    const newest = Math.max(0, ...DAILY_DATASETS.map((d) => gold[d]?.publishedAtMs ?? 0));
    const failed = workflow?.failedWorkflow && workflow.failedWorkflow.closedAtMs > newest ? (workflow.failedWorkflow.message ?? 'promote-day failed') : null;
    const facts: DayFacts = { dt, gold, hours: dayHours, running: workflow?.running ?? false, failed };
    out.push(...dayDatasets(facts, nowMs, config.reconcile.finalAfterHours));
  }
  return out;
}

export async function lakeStatus(config: ClicklakeConfig, nowMs: number, range?: StatusRange): Promise<StatusReport> {
  const kafka = createKafka(config.kafka, { quiet: true });
  const redis = createRedis(config.redis);
  const s3 = createS3(config.s3);
  const connection = await connectTemporal(config.temporal);
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const presto = new Presto(config.presto);
    const lake = { s3, presto, bucket: config.s3.bucket };
    const { fromMs: sinceMs, toMs: untilMs } = range ?? { fromMs: nowMs - 24 * HOUR_MS, toMs: nowMs };
    const lag = { bronze_records: await bronzeLag(kafka, config.kafka.eventsTopic), ctr_records: (await ctrLag(redis, kafka, config.kafka.eventsTopic, config.ctr.keyPrefix)).total };
    const schedules = await listSchedules(client);
    const runs = await latestAuditRuns(presto, sinceMs, untilMs);
    const workflows = await promoteWorkflows(client, sinceMs);

    const hours: HourReport[] = [];
    const listed: Array<{ hour: string; datasets: DatasetStatus[]; publishedAtMs: number | null }> = [];
    for (let t = sinceMs; t <= untilMs; t += HOUR_MS) {
      const hour = hourKey(t);
      const run = runs.get(hour) ?? null;
      const facts: HourFacts = { hour, latestRun: run, running: false, failedWorkflow: null, ...workflows.get(hour), bronzeHasEvents: await hourHasEvents(s3, config.s3.bucket, hour) };
      const fresh = hourFreshness(facts, nowMs);
      if (fresh === null) continue;
      const datasets = hourDatasets(fresh, fresh.state === 'LATE' ? null : await hourStaleness(lake, hour));
      listed.push({ hour, datasets, publishedAtMs: run?.status === 'published' ? run.finished_at : null });
      const drift = await readDrift(redis, config.ctr.keyPrefix, hour);
      hours.push({
        hour,
        status: fresh.state,
        rows_in: fresh.rows_in,
        rows_out: fresh.rows_out,
        last_run: fresh.last_run,
        drift: drift ? { impressions: drift.impressions, clicks: drift.clicks } : null,
        version: fresh.version,
        error: fresh.error,
        late_events: run?.late ?? null,
        quality: run?.quality ?? null,
        quality_reasons: run?.quality_reasons ?? null,
      });
    }
    const days = await dayReports(config, s3, await promoteWorkflows(client, sinceMs - 24 * HOUR_MS, 'promoteDay'), listed, nowMs);
    return { as_of: new Date(nowMs).toISOString(), lag, schedules, hours, datasets: [...listed.flatMap((h) => h.datasets), ...days], erasures: await erasureSummary(presto) };
  } finally {
    await connection.close();
    redis.disconnect();
    s3.destroy();
  }
}

/** `  STALE: N events waiting` for an hour whose datasets are STALE. */
function staleNote(report: StatusReport, hour: string): string {
  const { dt, hr } = parseHourKey(hour);
  const silver = report.datasets.find((d) => d.dataset === 'silver.events' && d.dt === dt && d.hr === hr);
  return silver?.state === 'STALE' ? `  STALE: ${silver.waiting_events} events waiting` : '';
}

export function formatStatus(report: StatusReport): string {
  const lines = [
    `as of ${report.as_of}`,
    `lag: Bronze ingestion ${report.lag.bronze_records} records, real-time CTR ${report.lag.ctr_records} records`,
    'schedules:',
    ...report.schedules.map((s) => `  ${s.id.padEnd(16)} ${s.paused ? 'PAUSED' : 'active'}  next ${s.next_run ?? '-'}`),
    'hours (dataset events):',
    ...report.hours.map(
      (h) =>
        `  ${h.hour}  ${h.status.padEnd(7)} ${h.rows_in === null ? '' : `in ${h.rows_in} out ${h.rows_out}  last run ${h.last_run}`}` +
        `${h.version === null ? '' : `  version ${h.version}`}${h.drift ? `  drift ${h.drift.impressions}/${h.drift.clicks}` : ''}` +
        `${h.late_events ? `  quarantined (too late) ${h.late_events}` : ''}${staleNote(report, h.hour)}` +
        `${h.quality === 'warn' || h.quality === 'accepted' ? `\n      quality ${h.quality}: ${h.quality_reasons ?? ''}` : ''}` +
        `${h.error === null ? '' : `\n      error: ${h.error}`}`,
    ),
  ];
  if (report.hours.length === 0) lines.push('  (no hours with events yet)');
  const days = report.datasets.filter((d) => d.hr === undefined);
  if (days.length > 0) lines.push('days (daily Gold):');
  for (const d of days) lines.push(`  ${d.dt}  ${d.dataset.padEnd(22)} ${d.state.padEnd(7)} ${d.final ? 'final' : 'provisional'}${d.version === null ? '' : `  version ${d.version}`}${d.error === null ? '' : `  error: ${d.error}`}`);
  const e = report.erasures;
  lines.push(`erasures: ${e.pending} pending, ${e.done} done, ${e.verified} verified, ${e.failed} failed`);
  for (const r of e.latest) lines.push(`  ${r.request_id}  ${r.status.padEnd(8)} requested ${new Date(r.requested_at).toISOString()}${r.error === null ? '' : `  error: ${r.error}`}`);
  return `${lines.join('\n')}\n`;
}
