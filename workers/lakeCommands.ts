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
import { quoteLiteral } from '../core/lake';
import { DAY_MS, hourKey, hoursOfDay, parseDay, parseHourKey } from '../core/time';
import type { GoldTables } from '../core/truth';
import { promoteDay, promoteHour } from '../workflows';
import { promoteDayWorkflowId } from '../workflows/promoteDay';
import { promoteHourWorkflowId } from '../workflows/promoteHour';

async function withClient<T>(config: ClicklakeConfig, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await connectTemporal(config.temporal);
  try {
    return await fn(new Client({ connection, namespace: config.temporal.namespace }));
  } finally {
    await connection.close();
  }
}

/** Starts the promotion of an hour (or joins the one running) and waits for its result. */
export function runPromoteHour(config: ClicklakeConfig, hour: string): Promise<HourResult> {
  const { key } = parseHourKey(hour);
  return withClient(config, async (client) => {
    const workflowId = promoteHourWorkflowId(key);
    try {
      const handle = await client.workflow.start(promoteHour, { workflowId, taskQueue: config.temporal.taskQueue, args: [{ hour: key }] });
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

export interface TableDiff {
  readonly table: string;
  readonly missing: unknown[];
  readonly unexpected: unknown[];
}

function rowKey(row: Record<string, unknown>, columns: readonly string[]): string {
  return JSON.stringify(columns.map((c) => (typeof row[c] === 'number' ? Math.round((row[c] as number) * 1e9) / 1e9 : (row[c] ?? null))));
}

/**
 * Compares each Gold table with the truth, over the partitions the truth has rows for (its hours for
 * ctr_hourly, its days for the daily tables). Numbers are compared to nine decimals (ctr is a double).
 * When the traffic had an id scope (TrafficOptions.idScope, kept in the truth's summary), the tables
 * keyed by campaign or title are compared over the rows of that scope only: other traffic in the
 * same partitions is not the truth's business. dau_daily has no such key; compare it only on a day
 * that held nothing else.
 */
export async function verifyGold(config: ClicklakeConfig, truthFile: string, only?: ReadonlyArray<keyof GoldTables>): Promise<{ ok: boolean; tables: Record<string, { expected: number; found: number }>; diffs: TableDiff[] }> {
  let truth: { tables: GoldTables; summary?: { idScope?: unknown } };
  try {
    truth = JSON.parse(fs.readFileSync(truthFile, 'utf8')) as { tables: GoldTables; summary?: { idScope?: unknown } };
  } catch (err) {
    throw new BadInputError(`--truth: cannot read ${truthFile} (${(err as Error).message})`);
  }
  const presto = new Presto(config.presto);
  const scope = typeof truth.summary?.idScope === 'string' ? truth.summary.idScope : undefined;
  const specs: Array<{ table: keyof GoldTables; columns: string[]; partition: string[]; key?: string }> = [
    { table: 'ctr_hourly', columns: ['campaign_id', 'impressions', 'clicks', 'ctr', 'dt', 'hr'], partition: ['dt', 'hr'], key: 'campaign_id' },
    { table: 'campaign_daily', columns: ['campaign_id', 'impressions', 'clicks', 'ctr', 'unique_users', 'dt'], partition: ['dt'], key: 'campaign_id' },
    { table: 'dau_daily', columns: ['device_type', 'dau', 'dt'], partition: ['dt'] },
    { table: 'title_plays_daily', columns: ['title_id', 'plays', 'unique_viewers', 'dt'], partition: ['dt'], key: 'title_id' },
  ];
  const tables: Record<string, { expected: number; found: number }> = {};
  const diffs: TableDiff[] = [];
  for (const spec of specs.filter((sp) => only === undefined || only.includes(sp.table))) {
    const expected = truth.tables[spec.table] as unknown as Array<Record<string, unknown>>;
    const partitions = [...new Set(expected.map((r) => JSON.stringify(spec.partition.map((c) => r[c]))))].map((p) => JSON.parse(p) as string[]);
    const found: Array<Record<string, unknown>> = [];
    for (const values of partitions) {
      const conditions = spec.partition.map((c, i) => `${c} = ${quoteLiteral(values[i] as string)}`);
      if (scope !== undefined && spec.key !== undefined) conditions.push(`starts_with(${spec.key}, ${quoteLiteral(scope)})`);
      const where = conditions.join(' AND ');
      found.push(...(await presto.queryObjects(`SELECT ${spec.columns.join(', ')} FROM lake.gold.${spec.table} WHERE ${where}`)));
    }
    const want = new Map(expected.map((r) => [rowKey(r, spec.columns), r]));
    const have = new Map(found.map((r) => [rowKey(r, spec.columns), r]));
    const missing = [...want].filter(([k]) => !have.has(k)).map(([, r]) => r);
    const unexpected = [...have].filter(([k]) => !want.has(k)).map(([, r]) => r);
    tables[spec.table] = { expected: expected.length, found: found.length };
    if (missing.length > 0 || unexpected.length > 0) diffs.push({ table: spec.table, missing: missing.slice(0, 20), unexpected: unexpected.slice(0, 20) });
  }
  return { ok: diffs.length === 0, tables, diffs };
}

/** Where replayed traffic can land alone: a quiet day (every table comparable) or only quiet hours. */
export interface QuietWindow {
  /** Event times are moved to about this instant. */
  readonly targetMs: number;
  /** True when the whole day (and the day before) is empty: dau_daily is comparable too. */
  readonly wholeDay: boolean;
}

/**
 * Where to replay traffic (event times shifted back, as a client sending a backlog does), 2 to 6 days
 * back. Prefers a whole quiet day (and the day before: late events reach back hours), where every
 * Gold table can be compared with the truth, dau_daily included; else any day 3 days back, where the
 * tables keyed by campaign or title are compared over the traffic's own id scope (verifyGold).
 */
export async function findQuietWindow(config: ClicklakeConfig, nowMs: number): Promise<QuietWindow> {
  const s3 = createS3(config.s3);
  try {
    const empty = async (hour: string): Promise<boolean> => !(await hourHasEvents(s3, config.s3.bucket, hour));
    for (let back = 2; back <= 6; back++) {
      const day = hourKey(nowMs - back * DAY_MS).slice(0, 10);
      const before = hourKey(nowMs - (back + 1) * DAY_MS).slice(0, 10);
      if ((await Promise.all([...hoursOfDay(before), ...hoursOfDay(day)].map(empty))).every(Boolean)) {
        return { targetMs: Date.parse(`${day}T12:30:00Z`), wholeDay: true };
      }
    }
  } finally {
    s3.destroy();
  }
  return { targetMs: nowMs - 3 * DAY_MS, wholeDay: false };
}

/** Gold tables a run can be checked on where it landed: all on a quiet day, else those its id scope isolates. */
export function comparableTables(window: QuietWindow): ReadonlyArray<keyof GoldTables> | undefined {
  return window.wholeDay ? undefined : ['ctr_hourly', 'campaign_daily', 'title_plays_daily'];
}

/** A fresh id scope for a run's traffic (TrafficOptions.idScope): `r` and 8 hex digits, then `-`. */
export function newIdScope(): string {
  return `r${randomBytes(4).toString('hex')}-`;
}
