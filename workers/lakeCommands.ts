/**
 * `clicklake promote` and `clicklake verify`: run a promotion through Temporal and wait for it;
 * compare the Gold tables in Presto with a truth file.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { hourHasEvents } from '../activities/bronze';
import { connectTemporal, createS3, Presto } from '../activities/clients';
import type { DayResult, HourResult } from '../activities/promote';
import type { ClicklakeConfig } from '../core/config';
import { BadInputError } from '../core/errors';
import { goldChecks, goldPartitionSql, quietDayCandidates, truthPartitions, verifyTables, type GoldTableName, type GoldVerification, type QuietWindow } from '../core/goldDiff';
import { parseDay, parseHourKey } from '../core/time';
import type { GoldTables } from '../core/truth';
import { promoteDay, promoteHour } from '../workflows';
import { promoteDayWorkflowId } from '../workflows/promoteDay';
import { promoteHourWorkflowId } from '../workflows/promoteHour';

export { comparableTables, type QuietWindow } from '../core/goldDiff';

async function withClient<T>(config: ClicklakeConfig, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await connectTemporal(config.temporal);
  try {
    return await fn(new Client({ connection, namespace: config.temporal.namespace }));
  } finally {
    await connection.close();
  }
}

/** Starts the promotion of an hour (or joins the one running) and waits for its result. */
export function runPromoteHour(config: ClicklakeConfig, hour: string, options: { readonly acceptQuality?: boolean } = {}): Promise<HourResult> {
  const { key } = parseHourKey(hour);
  return withClient(config, async (client) => {
    const workflowId = promoteHourWorkflowId(key);
    try {
      const input = options.acceptQuality === true ? { hour: key, acceptQuality: true } : { hour: key };
      const handle = await client.workflow.start(promoteHour, { workflowId, taskQueue: config.temporal.taskQueue, args: [input] });
      return await handle.result();
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return (await client.workflow.getHandle(workflowId).result()) as HourResult;
    }
  });
}

export function runPromoteDay(config: ClicklakeConfig, dt: string): Promise<DayResult> {
  parseDay(dt);
  return withClient(config, async (client) => {
    const workflowId = promoteDayWorkflowId(dt);
    try {
      return await client.workflow.execute(promoteDay, { workflowId, taskQueue: config.temporal.taskQueue, args: [{ dt }] });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return (await client.workflow.getHandle(workflowId).result()) as DayResult;
    }
  });
}

/**
 * Compares each Gold table with the truth, over the partitions the truth has rows for (its hours for
 * ctr_hourly, its days for the daily tables); core/goldDiff.ts decides what to read and what differs.
 * When the traffic had an id scope (TrafficOptions.idScope, kept in the truth's summary), the tables
 * keyed by campaign or title are compared over the rows of that scope only: other traffic in the
 * same partitions is not the truth's business. dau_daily has no such key; compare it only on a day
 * that held nothing else.
 */
export async function verifyGold(config: ClicklakeConfig, truthFile: string, only?: readonly GoldTableName[]): Promise<GoldVerification> {
  let truth: { tables: GoldTables; summary?: { idScope?: unknown } };
  try {
    truth = JSON.parse(fs.readFileSync(truthFile, 'utf8')) as { tables: GoldTables; summary?: { idScope?: unknown } };
  } catch (err) {
    throw new BadInputError(`--truth: cannot read ${truthFile} (${(err as Error).message})`);
  }
  const presto = new Presto(config.presto);
  const scope = typeof truth.summary?.idScope === 'string' ? truth.summary.idScope : undefined;
  const checked = [];
  for (const spec of goldChecks(only)) {
    const expected = truth.tables[spec.table] as unknown as Array<Record<string, unknown>>;
    const found: Array<Record<string, unknown>> = [];
    for (const values of truthPartitions(spec, expected)) found.push(...(await presto.queryObjects(goldPartitionSql(spec, values, scope))));
    checked.push({ spec, expected, found });
  }
  return verifyTables(checked);
}

/**
 * Where to replay traffic (event times shifted back, as a client sending a backlog does): the first
 * candidate of core/goldDiff.ts quietDayCandidates whose hours hold no Bronze events, else its fallback.
 */
export async function findQuietWindow(config: ClicklakeConfig, nowMs: number): Promise<QuietWindow> {
  const s3 = createS3(config.s3);
  try {
    const empty = async (hour: string): Promise<boolean> => !(await hourHasEvents(s3, config.s3.bucket, hour));
    const { candidates, fallback } = quietDayCandidates(nowMs);
    for (const candidate of candidates) {
      if ((await Promise.all(candidate.hours.map(empty))).every(Boolean)) return candidate.window;
    }
    return fallback;
  } finally {
    s3.destroy();
  }
}

/** A fresh id scope for a run's traffic (TrafficOptions.idScope): `r` and 8 hex digits, then `-`. */
export function newIdScope(): string {
  return `r${randomBytes(4).toString('hex')}-`;
}
