/**
 * `clicklake status`: freshness of each dataset by hour (READY / LATE / FAILED), consumer lag
 * (Bronze ingestion and the real-time consumer), the schedules, and the real-time vs Gold drift.
 */
import { Client } from '@temporalio/client';
import { connectTemporal, createKafka, createRedis, createS3, Presto } from '../activities/clients';
import { BRONZE_GROUP, hourHasEvents } from '../activities/bronze';
import { ctrLag } from '../activities/ctr';
import { readDrift } from '../activities/drift';
import type { ClicklakeConfig } from '../core/config';
import type { CtrDrift } from '../core/drift';
import { HOUR_MS, hourKey } from '../core/time';

export type HourStatus = 'READY' | 'LATE' | 'FAILED';

export interface HourReport {
  readonly hour: string;
  readonly status: HourStatus;
  readonly rows_in: number | null;
  readonly rows_out: number | null;
  readonly last_run: string | null;
  readonly drift: Pick<CtrDrift, 'impressions' | 'clicks'> | null;
}

export interface StatusReport {
  readonly as_of: string;
  readonly lag: { readonly bronze_records: number; readonly ctr_records: number };
  readonly schedules: ReadonlyArray<{ id: string; paused: boolean; next_run: string | null }>;
  readonly hours: readonly HourReport[];
}

/** An hour is due once it ended and the hourly schedule's grace (10 minutes) passed. */
const GRACE_MS = 10 * 60 * 1000;

export async function lakeStatus(config: ClicklakeConfig, nowMs: number, lookbackHours = 24): Promise<StatusReport> {
  const kafka = createKafka(config.kafka, { quiet: true });
  const redis = createRedis(config.redis);
  const s3 = createS3(config.s3);
  const connection = await connectTemporal(config.temporal);
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const admin = kafka.admin();
    await admin.connect();
    let bronzeLag = 0;
    try {
      const high = await admin.fetchTopicOffsets(config.kafka.eventsTopic);
      const [committed] = await admin.fetchOffsets({ groupId: BRONZE_GROUP, topics: [config.kafka.eventsTopic] });
      const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
      for (const p of high) bronzeLag += Number(p.high) - (done.get(p.partition) ?? 0);
    } finally {
      await admin.disconnect();
    }
    const ctr = await ctrLag(redis, kafka, config.kafka.eventsTopic, config.ctr.keyPrefix);

    const schedules: Array<{ id: string; paused: boolean; next_run: string | null }> = [];
    for await (const s of client.schedule.list()) {
      schedules.push({ id: s.scheduleId, paused: s.state.paused, next_run: s.info.nextActionTimes[0]?.toISOString() ?? null });
    }

    // The latest published run of each hour, from the audit ledger.
    const presto = new Presto(config.presto);
    const since = hourKey(nowMs - lookbackHours * HOUR_MS);
    const audit = await presto.queryObjects(
      `SELECT dt, hr, rows_in, rows_out, finished_at FROM (SELECT *, row_number() OVER (PARTITION BY dt, hr ORDER BY finished_at DESC) AS n ` +
        `FROM lake.audit.hour_runs WHERE layer = 'silver' AND dt >= '${since.slice(0, 10)}') WHERE n = 1`,
    );
    const ready = new Map(audit.map((r) => [`${String(r.dt)}T${String(r.hr)}`, r]));
    const failed = new Set<string>();
    for await (const wf of client.workflow.list({ query: `WorkflowType = 'promoteHour' AND ExecutionStatus = 'Failed' AND StartTime > '${new Date(nowMs - lookbackHours * HOUR_MS).toISOString()}'` })) {
      failed.add(wf.workflowId.replace(/^promote-hour-/, ''));
    }

    const hours: HourReport[] = [];
    for (let t = nowMs - lookbackHours * HOUR_MS; t + HOUR_MS + GRACE_MS <= nowMs; t += HOUR_MS) {
      const hour = hourKey(t);
      const run = ready.get(hour);
      const hasEvents = await hourHasEvents(s3, config.s3.bucket, hour);
      if (!run && !hasEvents && !failed.has(hour)) continue;
      const drift = await readDrift(redis, config.ctr.keyPrefix, hour);
      hours.push({
        hour,
        status: run ? 'READY' : failed.has(hour) ? 'FAILED' : 'LATE',
        rows_in: run ? Number(run.rows_in) : null,
        rows_out: run ? Number(run.rows_out) : null,
        last_run: run ? new Date(Number(run.finished_at)).toISOString() : null,
        drift: drift ? { impressions: drift.impressions, clicks: drift.clicks } : null,
      });
    }
    return { as_of: new Date(nowMs).toISOString(), lag: { bronze_records: bronzeLag, ctr_records: ctr.total }, schedules, hours };
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
        `  ${h.hour}  ${h.status.padEnd(6)} ${h.rows_in === null ? '' : `in ${h.rows_in} out ${h.rows_out}  last run ${h.last_run}`}` +
        `${h.drift ? `  drift ${h.drift.impressions}/${h.drift.clicks}` : ''}`,
    ),
  ];
  if (report.hours.length === 0) lines.push('  (no hours with events yet)');
  return `${lines.join('\n')}\n`;
}
