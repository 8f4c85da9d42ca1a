/**
 * compactDay's own logic, with its activities replaced by stand-ins that record what they were
 * called with and when: every group merged and the coverage made to name it before the grace, the
 * replaced objects deleted only after it (and after a second coverage pass), retention last, aged
 * against the input's time; a day with nothing to merge goes straight to retention.
 */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import type { CompactionPlan, CompactionPlanInput, RetentionInput } from '../../activities/compaction';
import { defaultCompactionDay, type MergeGroup } from '../../core/compaction';
import { LAKE_SCHEDULES } from '../../workers/schedules';
import { compactDay } from '../../workflows/compactDay';
import { uniqueTaskQueue, workflowTestServer } from '../support/temporalTest';

jest.setTimeout(60_000);

const server = workflowTestServer();
const DT = '2025-04-05';

function group(partition: number): MergeGroup {
  return { topic: 't', partition, firstOffset: 0, lastOffset: 9, members: [] };
}

function standIns(groups: MergeGroup[]) {
  const calls: Array<{ step: string; at: number; arg?: unknown }> = [];
  const log = (step: string, arg?: unknown) => calls.push({ step, at: Date.now(), arg });
  const activities = {
    async planCompaction(input: CompactionPlanInput): Promise<CompactionPlan> {
      log('plan', input);
      return { dt: input.dt, groups, bronze: { objects_before: 10, objects_after: 10 - groups.length, bytes_before: 5, bytes_after: 5 }, graceMs: 60_000 };
    },
    async mergeBronzeGroup(g: MergeGroup) {
      log('merge', g.partition);
      return `m${g.partition}`;
    },
    async refreshCompactedCoverage(gs: MergeGroup[]) {
      log('coverage', gs.length);
      return gs.length;
    },
    async deleteReplacedObjects(g: MergeGroup) {
      log('delete', g.partition);
      return 0;
    },
    async applyVersionRetention(input: RetentionInput) {
      log('retention', input);
      return 4;
    },
  };
  return { calls, activities };
}

describe('compactDay', () => {
  it('merges, covers, waits the grace, covers again, deletes the replaced objects, then applies retention', async () => {
    const { calls, activities } = standIns([group(0), group(1)]);
    const taskQueue = uniqueTaskQueue('compact-day');
    const retention = { keepNewest: 1, keepDays: 0 };
    const result = await server.withWorker(taskQueue, activities, () =>
      server.client.workflow.execute(compactDay, { taskQueue, workflowId: `compact-day-${taskQueue}`, args: [{ dt: DT, topics: ['t'], graceMs: 1500, retention, nowMs: 1234 }] }),
    );
    expect(result).toEqual({ dt: DT, bronze: { objects_before: 10, objects_after: 8, bytes_before: 5, bytes_after: 5 }, versions_deleted: 4 });
    expect(calls.map((c) => [c.step, c.arg])).toEqual([
      ['plan', { dt: DT, topics: ['t'] }],
      ['merge', 0],
      ['merge', 1],
      ['coverage', 2],
      ['coverage', 2],
      ['delete', 0],
      ['delete', 1],
      ['retention', { dt: DT, nowMs: 1234, policy: retention }],
    ]);
    const firstCoverage = calls[3]?.at ?? 0;
    expect((calls[4]?.at ?? 0) - firstCoverage).toBeGreaterThanOrEqual(1400);
  });

  it('with nothing to merge: no grace, no deletes, only retention (default policy: the worker config)', async () => {
    const { calls, activities } = standIns([]);
    const taskQueue = uniqueTaskQueue('compact-day-empty');
    const result = await server.withWorker(taskQueue, activities, () =>
      server.client.workflow.execute(compactDay, { taskQueue, workflowId: `compact-day-${taskQueue}`, args: [{ dt: DT, nowMs: 99 }] }),
    );
    expect(result.versions_deleted).toBe(4);
    expect(calls.map((c) => [c.step, c.arg])).toEqual([
      ['plan', { dt: DT }],
      ['retention', { dt: DT, nowMs: 99 }],
    ]);
  });
});

describe('the compact-daily schedule, triggered', () => {
  it('compacts the day before yesterday of the scheduled time, and ages versions against that time', async () => {
    const { calls, activities } = standIns([]);
    const taskQueue = uniqueTaskQueue('compact-daily');
    const spec = LAKE_SCHEDULES.find((x) => x.id === 'compact-daily');
    expect(spec?.workflowType).toBe(compactDay.name);
    await server.withWorker(taskQueue, activities, async () => {
      const schedule = await server.client.schedule.create({
        scheduleId: taskQueue,
        spec: { cronExpressions: [spec?.cron ?? ''] },
        state: { paused: true },
        action: { type: 'startWorkflow', workflowType: spec?.workflowType ?? '', taskQueue, args: [] },
      });
      await schedule.trigger();
      let workflowId: string | undefined;
      for (let i = 0; i < 200 && workflowId === undefined; i += 1) {
        workflowId = (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId;
        if (workflowId === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const handle = server.client.workflow.getHandle<typeof compactDay>(workflowId ?? '');
      const scheduledAt = (await handle.describe()).typedSearchAttributes.get(defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME));
      const at = (scheduledAt as Date).getTime();
      const dt = defaultCompactionDay(at);
      expect((await handle.result()).dt).toBe(dt);
      expect(calls.map((c) => [c.step, c.arg])).toEqual([
        ['plan', { dt }],
        ['retention', { dt, nowMs: at }],
      ]);
      await schedule.delete();
    });
  });
});
