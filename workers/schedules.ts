/**
 * The always-on workflows and the Temporal Schedules of the lake, created idempotently on every
 * `stack up`: a second call finds them running and changes nothing.
 */
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, type ScheduleSpec } from '@temporalio/client';
import { connectTemporal } from '../activities/clients';
import type { ClicklakeConfig } from '../core/config';
import { ensureSearchAttributes } from './backfill';
import { ensureCtrConsumer } from './ctrConsumer';
import { compactDay, ingestBronze, reconcileLate, scheduledPromoteDay, scheduledPromoteHour } from '../workflows';

/** Business id of the one Bronze ingestion workflow: a second start joins the first. */
export const INGEST_BRONZE_WORKFLOW_ID = 'ingest-bronze';

/**
 * The lake's Temporal Schedules, visible and pausable in the Web UI. The hourly promotion fires ten
 * minutes past the hour: the grace period for events of the previous hour still on their way.
 */
export const LAKE_SCHEDULES = [
  { id: 'promote-hourly', cron: '10 * * * *', workflowType: scheduledPromoteHour.name, description: 'Bronze -> Silver -> Gold of the previous hour' },
  { id: 'promote-daily', cron: '30 0 * * *', workflowType: scheduledPromoteDay.name, description: 'daily Gold of the previous day' },
  // Every CLICKLAKE_RECONCILE_EVERY_MINUTES (the cron is the default's); its input from the reconcile config.
  { id: 'reconcile-late', cron: '*/15 * * * *', workflowType: reconcileLate.name, description: 'promote again every STALE hour of the last days, then their days' },
  { id: 'compact-daily', cron: '0 3 * * *', workflowType: compactDay.name, description: 'merge the Bronze objects of the day before yesterday, drop expired Silver and Gold versions' },
] as const;

/** When a schedule fires and with what: its cron and no input, or reconcile-late's configured interval and input. */
function scheduleOf(schedule: (typeof LAKE_SCHEDULES)[number], config: ClicklakeConfig): { spec: ScheduleSpec; args: unknown[]; when: string } {
  if (schedule.id !== 'reconcile-late') return { spec: { cronExpressions: [schedule.cron] }, args: [], when: `${schedule.cron} UTC` };
  const { everyMinutes, lookbackDays, concurrency } = config.reconcile;
  return { spec: { intervals: [{ every: everyMinutes * 60_000 }] }, args: [{ lookbackDays, concurrency }], when: `every ${everyMinutes} minutes` };
}

async function startOnce(start: () => Promise<unknown>): Promise<'started' | 'running'> {
  try {
    await start();
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'running';
    throw err;
  }
}

export async function ensureLakeWorkflows(config: ClicklakeConfig, progress: (message: string) => void): Promise<void> {
  const connection = await connectTemporal(config.temporal);
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    // A server started by an earlier release lacks the search attributes added since (its start flags registered the old list).
    await ensureSearchAttributes(connection, config.temporal.namespace);
    const ingest = await startOnce(() =>
      client.workflow.start(ingestBronze, { workflowId: INGEST_BRONZE_WORKFLOW_ID, taskQueue: config.temporal.taskQueue, args: [{}] }),
    );
    if (ingest === 'started') progress(`started workflow ${INGEST_BRONZE_WORKFLOW_ID}`);
    const ctr = await ensureCtrConsumer(client, config);
    if (ctr.started) progress(`started workflow ${ctr.workflowId}`);
    for (const schedule of LAKE_SCHEDULES) {
      const { spec, args, when } = scheduleOf(schedule, config);
      try {
        await client.schedule.create({
          scheduleId: schedule.id,
          spec,
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
          action: { type: 'startWorkflow', workflowType: schedule.workflowType, taskQueue: config.temporal.taskQueue, args },
          memo: { description: schedule.description },
        });
        progress(`created schedule ${schedule.id} (${when})`);
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      }
    }
  } finally {
    await connection.close();
  }
}
