/**
 * backfillRange on the real dev server with the stand-in lake: the concurrency bound, a failing hour
 * marked failed while the others finish, `--failed-only` running only that hour again, cancel,
 * a second start attaching, a running promotion joined, a worker restart, continueAsNew, dry run.
 * The lookups (another workflow's outcome, the last backfill's hours) are the real activities on the
 * test server's client.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { createBackfillActivities } from '../../activities/backfill';
import { backfillWorkflowId, type BackfillSummary } from '../../core/backfill';
import { InvariantViolationError } from '../../core/errors';
import { backfillWithClient, type BackfillRequest, type BackfillWatch } from '../../workers/backfill';
import { backfillProgressQuery, type backfillRange } from '../../workflows/backfillRange';
import { promoteHour, promoteHourWorkflowId } from '../../workflows/promoteHour';
import { freshDays, lakeAttribute, uniqueTaskQueue, workflowTestServer } from '../support/temporalTest';
import { holdFirstCall, standInLake, type LakeHooks } from './lakeStandIns';

jest.setTimeout(90_000);

const server = workflowTestServer();
const nextDay = freshDays();

function hoursOf(dt: string, first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${dt}T${String(first + i).padStart(2, '0')}`);
}

/** A fresh day, its task queue, and a stand-in lake with the real lookups on the test server. */
function setup(name: string, hooks: LakeHooks = {}) {
  const dt = nextDay();
  const taskQueue = uniqueTaskQueue(name);
  const lake = standInLake(hooks);
  const lookups = createBackfillActivities({ client: () => server.client });
  const activities = { ...lake.activities, ...lookups, staleHours: async ({ hours }: { hours: string[] }) => hours.filter((h) => h.endsWith('T01')) };
  return {
    dt,
    lake,
    taskQueue,
    withWorker: <T>(body: () => Promise<T>) => server.withWorker(taskQueue, activities, body),
    backfill: (request: BackfillRequest, watch: BackfillWatch = {}) => backfillWithClient(server.client, taskQueue, request, { pollMs: 200, ...watch }),
    handle: (from: string, to: string) => server.client.workflow.getHandle<typeof backfillRange>(backfillWorkflowId(from, to)),
  };
}

const clean = (done: number, skipped = 0, days = 1): Partial<BackfillSummary> => ({ hours: { done, failed: 0, skipped }, failed: [], days: { done: days, failed: 0 }, failed_days: [] });

describe('backfillRange', () => {
  it('never runs more hours at once than its concurrency, and waits for the day', async () => {
    let inFlight = 0;
    let most = 0;
    const { dt, lake, withWorker, backfill, handle } = setup('bf-bound', {
      buildGate: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 300));
        inFlight--;
      },
    });
    const hours = hoursOf(dt, 0, 6);
    await withWorker(async () => {
      const summary = await backfill({ from: hours[0] as string, to: hours[5] as string, concurrency: 2, reason: 'fix #123' });
      expect(summary).toEqual({ workflow_id: backfillWorkflowId(hours[0] as string, hours[5] as string), ...clean(6), reason: 'fix #123' });
      expect(most).toBe(2);
      expect([...lake.calls.publishHour].sort()).toEqual(hours);
      // The day was waited for: its last round read every hour.
      expect(lake.calls.promoteDay.at(-1)?.hours).toEqual(hours);
      const { typedSearchAttributes } = await handle(hours[0] as string, hours[5] as string).describe();
      expect([lakeAttribute('LakeStatus'), lakeAttribute('LakeProgress')].map((k) => typedSearchAttributes.get(k))).toEqual(['READY', 'done 6 failed 0 pending 0 of 6']);
    });
  });

  it('marks a failing hour failed and the others done; --failed-only then runs only that hour', async () => {
    let broken = true;
    const { dt, lake, withWorker, backfill } = setup('bf-failed', { buildError: (hour) => (broken && hour.endsWith('T02') ? new InvariantViolationError('torn object') : undefined) });
    const [from, , bad, , to] = hoursOf(dt, 0, 5) as [string, string, string, string, string];
    await withWorker(async () => {
      const first = await backfill({ from, to, concurrency: 3 });
      expect(first.hours).toEqual({ done: 4, failed: 1, skipped: 0 });
      expect(first.failed).toEqual([{ hour: bad, error: `InvariantViolationError: promote ${bad}: InvariantViolationError: torn object` }]);

      broken = false;
      lake.calls.buildHour.length = 0;
      const again = await backfill({ from, to, failedOnly: true });
      expect(again).toMatchObject(clean(1, 4));
      expect(lake.calls.buildHour).toEqual([bad]);
    });
  });

  it('refuses --failed-only when no backfill of the range ran before', async () => {
    const { dt, withWorker, backfill } = setup('bf-nofirst');
    await withWorker(async () => {
      await expect(backfill({ from: `${dt}T00`, to: `${dt}T01`, failedOnly: true })).rejects.toThrow(WorkflowFailedError);
    });
  });

  it('stops cleanly when cancelled: the running hour finishes, the pending ones are skipped', async () => {
    const hold = holdFirstCall();
    const { dt, lake, withWorker, backfill, handle } = setup('bf-cancel', { buildGate: (_hour, call) => hold.wait(call) });
    const [from, , , to] = hoursOf(dt, 0, 4) as [string, string, string, string];
    await withWorker(async () => {
      const running = backfill({ from, to, concurrency: 1 });
      await hold.started;
      const cancelling = backfill({ from, to, cancel: true }); // clicklake backfill --cancel
      await new Promise((resolve) => setTimeout(resolve, 500));
      hold.release();
      const [summary, told] = await Promise.all([running, cancelling]);
      expect(summary).toMatchObject({ hours: { done: 1, failed: 0, skipped: 3 }, cancelled: true });
      expect(told).toEqual(summary);
      await expect(backfill({ from, to, cancel: true })).rejects.toThrow('no backfill of this range is running');
      expect(lake.calls.publishHour).toEqual([from]);
      const progress = await handle(from, to).query(backfillProgressQuery);
      expect(progress.hours.map((h) => h.state)).toEqual(['done', 'skipped', 'skipped', 'skipped']);
      expect((await handle(from, to).describe()).status.name).toBe('CANCELLED');
    });
  });

  it('attaches a second start of the same range to the running backfill', async () => {
    const hold = holdFirstCall();
    const { dt, withWorker, backfill } = setup('bf-attach', { buildGate: (_hour, call) => hold.wait(call) });
    const [from, to] = hoursOf(dt, 3, 2) as [string, string];
    await withWorker(async () => {
      const first = backfill({ from, to });
      await hold.started;
      const attached: boolean[] = [];
      const second = backfill({ from, to }, { onProgress: (_p, isAttached) => attached.push(isAttached) });
      await new Promise((resolve) => setTimeout(resolve, 500));
      hold.release();
      const [a, b] = await Promise.all([first, second]);
      expect(b).toEqual(a);
      expect(a).toMatchObject(clean(2));
      expect(attached.every(Boolean) && attached.length > 0).toBe(true);
    });
  });

  it('joins a promotion of an hour already running instead of running it again', async () => {
    const hold = holdFirstCall();
    const { dt, lake, taskQueue, withWorker, backfill, handle } = setup('bf-join', { buildGate: (hour, call) => (hour.endsWith('T05') ? hold.wait(call) : Promise.resolve()) });
    const [from, busy] = hoursOf(dt, 4, 2) as [string, string];
    await withWorker(async () => {
      const scheduled = server.client.workflow.start(promoteHour, { taskQueue, workflowId: promoteHourWorkflowId(busy), args: [{ hour: busy, reason: 'scheduled' }] });
      await hold.started;
      const summary = backfill({ from, to: busy });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      hold.release();
      expect(await summary).toMatchObject(clean(2));
      await (await scheduled).result();
      expect(lake.calls.buildHour.filter((h) => h === busy)).toEqual([busy]);
      const progress = await handle(from, busy).query(backfillProgressQuery);
      expect(progress.hours.map((h) => [h.hour, h.state, h.by])).toEqual([
        [from, 'done', 'backfill'],
        [busy, 'done', 'other'],
      ]);
    });
  });

  it('keeps its per-hour state across a worker restart, and across continueAsNew', async () => {
    const { dt, lake, withWorker, backfill, handle } = setup('bf-restart', { buildGate: () => new Promise((resolve) => setTimeout(resolve, 300)) });
    const hours = hoursOf(dt, 0, 6);
    const [from, to] = [hours[0] as string, hours[5] as string];
    let running: Promise<BackfillSummary> | undefined;
    await withWorker(async () => {
      running = backfill({ from, to, concurrency: 1, hoursPerRun: 2 });
      for (;;) {
        const progress = await handle(from, to).query(backfillProgressQuery).catch(() => undefined);
        if (progress !== undefined && progress.counts.done >= 3) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    // The first worker is gone; a new one picks the backfill up where it was.
    const publishedBefore = new Set(lake.calls.publishHour).size;
    expect(publishedBefore).toBeLessThan(6);
    await withWorker(async () => {
      expect(await running).toMatchObject(clean(6));
    });
    expect([...new Set(lake.calls.publishHour)].sort()).toEqual(hours);
    const runs: string[] = [];
    for await (const run of server.client.workflow.list({ query: `WorkflowId = "${backfillWorkflowId(from, to)}"` })) runs.push(run.status.name);
    expect(runs.filter((status) => status === 'CONTINUED_AS_NEW').length).toBe(2);
  });

  it('lists on a dry run what it would promote, and --stale-only selects the STALE hours', async () => {
    const { dt, lake, withWorker, backfill } = setup('bf-dry');
    const [from, , to] = hoursOf(dt, 0, 3) as [string, string, string];
    await withWorker(async () => {
      expect(await backfill({ from, to, dryRun: true })).toMatchObject({ hours: { done: 0, failed: 0, skipped: 3 }, would_run: hoursOf(dt, 0, 3) });
      expect(await backfill({ from, to, dryRun: true, staleOnly: true })).toMatchObject({ would_run: [`${dt}T01`] });
      expect(lake.calls.buildHour).toEqual([]);
    });
  });
});
