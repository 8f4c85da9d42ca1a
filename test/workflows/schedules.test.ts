/**
 * What the Temporal Schedules start: scheduledPromoteHour promotes the hour before the scheduled time
 * and scheduledPromoteDay the day before, each as a child under its business id. Real Schedules on the
 * test server (paused, so only the test's trigger or backfill acts), and the fallback to the start
 * time when a run is started by hand.
 */
import { ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { DAY_MS, dayOf, HOUR_MS, hourKey, MINUTE_MS, parseDay } from '../../core/time';
import { LAKE_SCHEDULES } from '../../workers/schedules';
import { promoteDay, promoteDayWorkflowId } from '../../workflows/promoteDay';
import { promoteHourWorkflowId } from '../../workflows/promoteHour';
import { scheduledPromoteDay } from '../../workflows/scheduledPromoteDay';
import type { scheduledPromoteHour } from '../../workflows/scheduledPromoteHour';
import { describeWhenStarted, freshDays, uniqueTaskQueue, workflowTestServer } from '../support/temporalTest';
import { holdFirstCall, standInLake } from './lakeStandIns';

jest.setTimeout(60_000);

const server = workflowTestServer();
const nextDay = freshDays();
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * One of the lake's own schedules (workers/schedules.ts: its cron and workflow type) on the test's
 * task queue, paused so that only the test's trigger or backfill starts a run.
 */
function createPausedLakeSchedule(id: (typeof LAKE_SCHEDULES)[number]['id'], taskQueue: string): Promise<ScheduleHandle> {
  const schedule = LAKE_SCHEDULES.find((s) => s.id === id);
  if (schedule === undefined) throw new Error(`no lake schedule ${id}`);
  return server.client.schedule.create({
    scheduleId: taskQueue,
    spec: { cronExpressions: [schedule.cron] },
    state: { paused: true },
    action: { type: 'startWorkflow', workflowType: schedule.workflowType, taskQueue, args: [] },
  });
}

/** The workflow id of the schedule's first action, once it was taken. */
async function firstActionWorkflowId(schedule: ScheduleHandle, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [action] = (await schedule.describe()).info.recentActions;
    if (action) return action.action.workflow.workflowId;
    if (Date.now() > deadline) throw new Error(`schedule ${schedule.scheduleId} took no action in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `childId` ran to completion as a child of `parentId` (called once the parent completed). */
async function expectCompletedChild(parentId: string, childId: string): Promise<void> {
  const child = await describeWhenStarted(server.client, childId);
  expect({ parent: child.parentExecution?.workflowId, status: child.status.name }).toEqual({ parent: parentId, status: 'COMPLETED' });
}

describe('the hourly schedule, triggered', () => {
  it('starts promote-hour-<hour before the scheduled time> as a child', async () => {
    const taskQueue = uniqueTaskQueue('schedule-hour');
    const lake = standInLake();
    await server.withWorker(taskQueue, lake.activities, async () => {
      const schedule = await createPausedLakeSchedule('promote-hourly', taskQueue);
      await schedule.trigger();
      const parentId = await firstActionWorkflowId(schedule);
      const parent = server.client.workflow.getHandle<typeof scheduledPromoteHour>(parentId);
      const scheduledAt = (await parent.describe()).typedSearchAttributes.get(SCHEDULED_START);
      expect(scheduledAt).toBeInstanceOf(Date);
      const hour = hourKey((scheduledAt as Date).getTime() - HOUR_MS);

      expect((await parent.result()).hour).toBe(hour);
      await expectCompletedChild(parentId, promoteHourWorkflowId(hour));
      expect(lake.calls.buildHour).toEqual([hour]);
      // Its day recomputation ends before the test does (another test promotes a day by the clock too).
      await server.client.workflow.getHandle(promoteDayWorkflowId(hour.slice(0, 10))).result();
      await schedule.delete();
    });
  });
});

describe('the daily schedule, backfilled over the first hour of a past day', () => {
  it('starts promote-day-<day before> as a child', async () => {
    const dt = nextDay();
    const midnightAfter = parseDay(dt) + DAY_MS;
    const firesAt = midnightAfter + 30 * MINUTE_MS; // '30 0 * * *'
    const taskQueue = uniqueTaskQueue('schedule-day');
    const lake = standInLake();
    await server.withWorker(taskQueue, lake.activities, async () => {
      const schedule = await createPausedLakeSchedule('promote-daily', taskQueue);
      await schedule.backfill({ start: new Date(midnightAfter), end: new Date(midnightAfter + HOUR_MS), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
      const parentId = await firstActionWorkflowId(schedule);
      const parent = server.client.workflow.getHandle<typeof scheduledPromoteDay>(parentId);
      expect((await parent.describe()).typedSearchAttributes.get(SCHEDULED_START)).toEqual(new Date(firesAt));

      expect((await parent.result()).dt).toBe(dt);
      await expectCompletedChild(parentId, promoteDayWorkflowId(dt));
      expect(lake.calls.promoteDay.map((call) => call.dt)).toEqual([dt]);
      await schedule.delete();
    });
  });
});

describe('the daily schedule firing while the day is being recomputed', () => {
  // The last hour's promotion started the day and it outlasts the 00:30 schedule: the scheduled run
  // signals the running day (one more round) and ends, instead of failing with 'already started'.
  it('joins the running recomputation instead of failing', async () => {
    const dt = nextDay();
    const midnightAfter = parseDay(dt) + DAY_MS;
    const firstRound = holdFirstCall();
    const lake = standInLake({ dayGate: (_dt, round) => firstRound.wait(round) });
    const taskQueue = uniqueTaskQueue('schedule-day-busy');
    await server.withWorker(taskQueue, lake.activities, async () => {
      const running = await server.client.workflow.start(promoteDay, { taskQueue, workflowId: promoteDayWorkflowId(dt), args: [{ dt }] });
      await firstRound.started;
      const schedule = await createPausedLakeSchedule('promote-daily', taskQueue);
      await schedule.backfill({ start: new Date(midnightAfter), end: new Date(midnightAfter + HOUR_MS), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
      const parent = server.client.workflow.getHandle<typeof scheduledPromoteDay>(await firstActionWorkflowId(schedule));
      const outcome = parent.result().then(
        (result) => ({ dt: result.dt }),
        (err: unknown) => ({ failed: err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err) }),
      );
      firstRound.release();
      await running.result();
      await schedule.delete();

      expect(await outcome).toEqual({ dt });
    });
  });
});

describe('scheduledPromoteDay started by hand', () => {
  it('promotes the day before its start time', async () => {
    const taskQueue = uniqueTaskQueue('by-hand-day');
    const lake = standInLake();
    await server.withWorker(taskQueue, lake.activities, async () => {
      const parent = await server.client.workflow.start(scheduledPromoteDay, { taskQueue, workflowId: taskQueue, args: [] });
      const result = await parent.result();
      const { startTime } = await parent.describe();
      const dt = dayOf(startTime.getTime() - DAY_MS);

      expect(result.dt).toBe(dt);
      await expectCompletedChild(parent.workflowId, promoteDayWorkflowId(dt));
      expect(lake.calls.promoteDay.map((call) => call.dt)).toEqual([dt]);
    });
  });
});
