/**
 * reconcileLate on the real dev server, the lake's activities replaced by the in-memory stand-ins
 * (lakeStandIns.ts) and the STALE list by a fixed one; awaitLakeWorkflow is the real activity (it
 * waits through the worker's own client). The workflow's own logic is under test: oldest first,
 * bounded concurrency, a failing hour that stops nothing else and fails the run at the end, joining a
 * promotion of the hour already under way, and the touched days waited for.
 */
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { awaitWorkflow } from '../../activities/reconcile';
import { InvariantViolationError } from '../../core/errors';
import type { ReconcileResult, ReconcileWindow, StaleHour } from '../../core/reconcile';
import { promoteDayWorkflowId } from '../../workflows/promoteDay';
import { promoteHour, promoteHourWorkflowId } from '../../workflows/promoteHour';
import { reconcileLate } from '../../workflows/reconcileLate';
import { freshDays, uniqueTaskQueue, workflowTestServer } from '../support/temporalTest';
import { holdFirstCall, ROWS_PER_HOUR, standInLake, type LakeHooks } from './lakeStandIns';

jest.setTimeout(90_000);

const server = workflowTestServer();
const nextDay = freshDays();
const LEDGER = { rows_in: ROWS_PER_HOUR, rows_out: ROWS_PER_HOUR, duplicates: 0, rejected: 0, late: 0, erased: 0 };

/** A stand-in lake whose STALE hours are `stale` (those of the asked window), with the real awaitLakeWorkflow. */
function reconcileLake(stale: readonly string[], hooks: LakeHooks = {}) {
  const lake = standInLake(hooks);
  const windows: ReconcileWindow[] = [];
  const activities = {
    ...lake.activities,
    async listStaleHours(window: ReconcileWindow): Promise<StaleHour[]> {
      windows.push(window);
      return stale.filter((h) => h >= window.from && h <= window.to).map((hour) => ({ hour, waiting_events: 1, version: 'v0' }));
    },
    awaitLakeWorkflow: (input: { workflowId: string }) => awaitWorkflow(input.workflowId),
  };
  return { lake, activities, windows };
}

describe('reconcileLate', () => {
  it('restates the STALE hours oldest first, at most `concurrency` at once, then waits for their days', async () => {
    const [d1, d2] = [nextDay(), nextDay()];
    const stale = [`${d1}T02`, `${d1}T07`, `${d2}T00`, `${d2}T05`, `${d2}T09`];
    let inFlight = 0;
    let most = 0;
    const { lake, activities, windows } = reconcileLake(stale, {
      buildGate: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 200));
        inFlight--;
      },
    });
    const taskQueue = uniqueTaskQueue('reconcile');
    const result = await server.withWorker(taskQueue, activities, () =>
      server.client.workflow.execute(reconcileLate, { taskQueue, workflowId: `${taskQueue}-run`, args: [{ from: `${d1}T00`, to: `${d2}T23`, concurrency: 2 }] }),
    );
    expect(windows).toEqual([{ from: `${d1}T00`, to: `${d2}T23` }]);
    expect(most).toBe(2);
    // Started oldest first: with two lanes, the first two builds are the two oldest hours.
    expect(lake.calls.buildHour.slice(0, 2).sort()).toEqual(stale.slice(0, 2));
    expect(lake.calls.buildHour.sort()).toEqual(stale);
    expect(result.restated.map((h) => h.hour)).toEqual(stale);
    expect(result.restated.every((h) => h.version !== '' && JSON.stringify(h.ledger) === JSON.stringify(LEDGER))).toBe(true);
    expect(result).toMatchObject({ days: [d1, d2], failed: [] });
    // Each day's last round read all its published hours.
    const lastRound = (dt: string) => lake.calls.promoteDay.filter((c) => c.dt === dt).at(-1)?.hours;
    expect([lastRound(d1), lastRound(d2)]).toEqual([stale.slice(0, 2), stale.slice(2)]);
    const children = await server.client.workflow.getHandle(promoteHourWorkflowId(stale[0] as string)).describe();
    expect(children.status.name).toBe('COMPLETED');
  });

  it('goes on past a failing hour, lists it, and ends FAILED with the others restated', async () => {
    const dt = nextDay();
    const stale = [`${dt}T01`, `${dt}T02`, `${dt}T03`];
    const { activities } = reconcileLake(stale, { buildError: (hour) => (hour === `${dt}T02` ? new InvariantViolationError('torn object') : undefined) });
    const taskQueue = uniqueTaskQueue('reconcile-fail');
    const err = await server.withWorker(taskQueue, activities, () =>
      server.client.workflow.execute(reconcileLate, { taskQueue, workflowId: `${taskQueue}-run`, args: [{ from: `${dt}T00`, to: `${dt}T23`, concurrency: 1 }] }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('ReconcileFailedError');
    expect(cause.message).toContain(`1 failed (${dt}T02)`);
    const result = cause.details?.[0] as ReconcileResult;
    expect(result.restated.map((h) => h.hour)).toEqual([`${dt}T01`, `${dt}T03`]);
    expect(result.days).toEqual([dt]);
    expect(result.failed).toEqual([{ hour: `${dt}T02`, error: expect.stringContaining('InvariantViolationError: torn object') }]);
  });

  it('joins a promotion of the hour already under way instead of starting another', async () => {
    const dt = nextDay();
    const hour = `${dt}T04`;
    const held = holdFirstCall();
    const { lake, activities } = reconcileLake([hour], { buildGate: (_hour, call) => held.wait(call) });
    const taskQueue = uniqueTaskQueue('reconcile-join');
    await server.withWorker(taskQueue, activities, async () => {
      const running = await server.client.workflow.start(promoteHour, { taskQueue, workflowId: promoteHourWorkflowId(hour), args: [{ hour }] });
      await held.started;
      const reconciling = server.client.workflow.execute(reconcileLate, { taskQueue, workflowId: `${taskQueue}-run`, args: [{ from: hour, to: hour }] });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      held.release();
      const [result, joined] = await Promise.all([reconciling, running.result()]);
      expect(lake.calls.buildHour).toEqual([hour]);
      expect(result.restated).toEqual([{ hour, version: joined.version, ledger: LEDGER }]);
      expect(result.days).toEqual([dt]);
      expect((await server.client.workflow.getHandle(promoteDayWorkflowId(dt)).describe()).status.name).toBe('COMPLETED');
    });
  });
});
