/**
 * `clicklake status`: freshness of each hour (READY / RUNNING / LATE / FAILED, decided by
 * core/freshness.ts), consumer lag (Bronze ingestion and the real-time consumer), the schedules, and
 * the real-time vs Gold drift. This file only gathers the facts.
 */
import { Client, WorkflowFailedError } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import { connectTemporal, createKafka, createRedis, createS3, Presto } from '../activities/clients';
import { BRONZE_GROUP, hourHasEvents } from '../activities/bronze';
import { ctrLag } from '../activities/ctr';
import { readDrift } from '../activities/drift';
import type { ClicklakeConfig } from '../core/config';
import type { CtrDrift } from '../core/drift';
import { auditRunOf, consumerLag, hourFreshness, latestHourRunsSql, type AuditRun, type HourFacts, type HourState } from '../core/freshness';
import { HOUR_MS, hourKey } from '../core/time';
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
}

export interface StatusReport {
  readonly as_of: string;
  readonly lag: { readonly bronze_records: number; readonly ctr_records: number };
  readonly schedules: ReadonlyArray<{ id: string; paused: boolean; next_run: string | null }>;
  readonly hours: readonly HourReport[];
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

/** The latest silver-layer run of each hour since `sinceMs`, from the audit ledger; columns added later may be missing. */
async function latestAuditRuns(presto: Presto, sinceMs: number): Promise<Map<string, AuditRun>> {
  const columns = await presto.queryObjects(
    `SELECT column_name FROM lake.information_schema.columns WHERE table_schema = 'audit' AND table_name = 'hour_runs'`,
  );
  const present = new Set(columns.map((c) => String(c.column_name)));
  const rows = await presto.queryObjects(latestHourRunsSql(hourKey(sinceMs).slice(0, 10), present));
  return new Map(rows.map((row) => {
    const { hour, run } = auditRunOf(row);
    return [hour, run];
  }));
}

/**
 * Per hour: whether a promoteHour workflow runs now, and whether the latest of its failed ones (and
 * why). A later successful run shows as a later published audit row, so completed ones are not listed.
 */
async function promoteWorkflows(client: Client, sinceMs: number): Promise<Workflows> {
  const byHour: Workflows = new Map();
  const prefix = promoteHourWorkflowId('');
  const query = `WorkflowType = 'promoteHour' AND (ExecutionStatus = 'Running' OR (ExecutionStatus = 'Failed' AND StartTime > '${new Date(sinceMs).toISOString()}'))`;
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

export async function lakeStatus(config: ClicklakeConfig, nowMs: number, lookbackHours = 24): Promise<StatusReport> {
  const kafka = createKafka(config.kafka, { quiet: true });
  const redis = createRedis(config.redis);
  const s3 = createS3(config.s3);
  const connection = await connectTemporal(config.temporal);
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const sinceMs = nowMs - lookbackHours * HOUR_MS;
    const lag = { bronze_records: await bronzeLag(kafka, config.kafka.eventsTopic), ctr_records: (await ctrLag(redis, kafka, config.kafka.eventsTopic, config.ctr.keyPrefix)).total };
    const schedules = await listSchedules(client);
    const runs = await latestAuditRuns(new Presto(config.presto), sinceMs);
    const workflows = await promoteWorkflows(client, sinceMs);

    const hours: HourReport[] = [];
    for (let t = sinceMs; t <= nowMs; t += HOUR_MS) {
      const hour = hourKey(t);
      const facts: HourFacts = {
        hour,
        latestRun: runs.get(hour) ?? null,
        running: false,
        failedWorkflow: null,
        ...workflows.get(hour),
        bronzeHasEvents: await hourHasEvents(s3, config.s3.bucket, hour),
      };
      const fresh = hourFreshness(facts, nowMs);
      if (fresh === null) continue;
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
      });
    }
    return { as_of: new Date(nowMs).toISOString(), lag, schedules, hours };
  } finally {
    await connection.close();
    redis.disconnect();
    s3.destroy();
  }
}

export function formatStatus(report: StatusReport): string {
  const lines = [
    `as of ${report.as_of}`,
    `lag: Bronze ingestion ${report.lag.bronze_records} records, real-time CTR ${report.lag.ctr_records} records`,
    'schedules:',
    ...report.schedules.map((s) => `  ${s.id.padEnd(16)} ${s.paused ? 'PAUSED' : 'active'}  next ${s.next_run ?? '-'}`),
    'hours (dataset events, last 24 h):',
    ...report.hours.map(
      (h) =>
        `  ${h.hour}  ${h.status.padEnd(7)} ${h.rows_in === null ? '' : `in ${h.rows_in} out ${h.rows_out}  last run ${h.last_run}`}` +
        `${h.version === null ? '' : `  version ${h.version}`}${h.drift ? `  drift ${h.drift.impressions}/${h.drift.clicks}` : ''}` +
        `${h.error === null ? '' : `\n      error: ${h.error}`}`,
    ),
  ];
  if (report.hours.length === 0) lines.push('  (no hours with events yet)');
  return `${lines.join('\n')}\n`;
}
