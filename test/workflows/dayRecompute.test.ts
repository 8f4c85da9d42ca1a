/**
 * The start-or-signal race of the day recomputation: every hour promoteHour publishes either starts
 * `promote-day-<dt>` or, when a run of it is under way, signals it to go one more round. Whatever the
 * ordering, the day's last result includes every hour published before it finished. The stand-in
 * promoteDay activity reads the published hours, then waits at a gate the test opens, which forces
 * each ordering; a workflow interceptor (hooks/beforeDaySignal.ts) holds a signal until the test
 * lets it go.
 */
import { promoteDayWorkflowId, type promoteDay } from '../../workflows/promoteDay';
import { promoteHour, promoteHourWorkflowId } from '../../workflows/promoteHour';
import { freshDays, lakeAttribute, uniqueTaskQueue, workflowTestServer } from '../support/temporalTest';
import type { DaySignalHook } from './hooks/beforeDaySignal';
import { holdFirstCall, ROWS_PER_HOUR, standInLake, type Hold } from './lakeStandIns';

jest.setTimeout(60_000);

const server = workflowTestServer([require.resolve('./hooks/beforeDaySignal')]);
const nextDay = freshDays();

/**
 * Two hours of a fresh day; a stand-in lake whose first round of the day's recomputation is held
 * once it has read the published hours; the hours the interceptor saw being signalled, each after
 * `beforeSignal` returned.
 */
function race(name: string, beforeSignal: (dayWorkflowId: string, firstRound: Hold) => Promise<void>) {
  const dt = nextDay();
  const firstRound = holdFirstCall();
  const lake = standInLake({ dayGate: (_dt, round) => firstRound.wait(round) });
  const signalled: string[] = [];
  const hook: DaySignalHook = {
    beforeDaySignal: async ({ workflowId, hour }) => {
      signalled.push(hour);
      await beforeSignal(workflowId, firstRound);
    },
  };
  const taskQueue = uniqueTaskQueue(name);
  return {
    dt,
    hours: [`${dt}T03`, `${dt}T04`] as const,
    day: server.client.workflow.getHandle<typeof promoteDay>(promoteDayWorkflowId(dt)),
    lake,
    firstRound,
    signalled,
    promote: (hour: string) => server.client.workflow.execute(promoteHour, { taskQueue, workflowId: promoteHourWorkflowId(hour), args: [{ hour }] }),
    withWorker: <T>(body: () => Promise<T>) => server.withWorker(taskQueue, { ...lake.activities, ...hook }, body),
  };
}

describe('an hour published while the day is being recomputed', () => {
  it('signals the running promoteDay, which runs another round that includes the hour', async () => {
    const { dt, hours: [first, second], day, lake, firstRound, signalled, promote, withWorker } = race('day-signal', async () => {});
    await withWorker(async () => {
      await promote(first);
      await firstRound.started; // the day read [first] and is held
      await promote(second); // could not start the day: signalled it
      firstRound.release();

      const result = await day.result();
      expect(signalled).toEqual([second]);
      expect({ hoursRead: result.hoursRead, silverRows: result.silverRows }).toEqual({ hoursRead: 2, silverRows: 2 * ROWS_PER_HOUR });
      const { runId, typedSearchAttributes } = await day.describe();
      expect(lake.calls.promoteDay).toEqual([
        { dt, workflowId: day.workflowId, runId, hours: [first] },
        { dt, workflowId: day.workflowId, runId, hours: [first, second] },
      ]);
      expect([typedSearchAttributes.get(lakeAttribute('LakeStatus')), typedSearchAttributes.get(lakeAttribute('LakeRowsIn'))]).toEqual(['READY', 2 * ROWS_PER_HOUR]);
    });
  });
});

describe('the running promoteDay finishing between the start attempt and the signal', () => {
  it('makes promoteHour start the day again, and that run includes the hour', async () => {
    // The start attempt has failed (the day is running); before the signal goes out, the day finishes.
    const { dt, hours: [first, second], day, lake, firstRound, signalled, promote, withWorker } = race('day-finished', async (dayWorkflowId, held) => {
      held.release();
      await server.client.workflow.getHandle(dayWorkflowId).result();
    });
    await withWorker(async () => {
      await promote(first);
      await firstRound.started;
      const runOfFirst = (await day.describe()).runId;
      expect((await promote(second)).hour).toBe(second);

      const result = await day.result();
      const runOfSecond = (await day.describe()).runId;
      expect(signalled).toEqual([second]);
      expect(runOfSecond).not.toBe(runOfFirst);
      expect(result.hoursRead).toBe(2);
      expect(lake.calls.promoteDay).toEqual([
        { dt, workflowId: day.workflowId, runId: runOfFirst, hours: [first] },
        { dt, workflowId: day.workflowId, runId: runOfSecond, hours: [first, second] },
      ]);
    });
  });
});
