/**
 * The restatement cascade: a promotion that changes the sessions the next (published) hour starts
 * from promotes that hour again, as a child `promote-hour-<next>`, and the cascade stops at the first
 * hour whose end state did not change.
 */
import { HOUR_MS, hourKey, parseHourKey } from '../../core/time';
import { promoteDayWorkflowId } from '../../workflows/promoteDay';
import { promoteHour, promoteHourWorkflowId } from '../../workflows/promoteHour';
import { describeWhenStarted, freshDays, neverStarted, uniqueTaskQueue, workflowTestServer } from '../support/temporalTest';
import { holdFirstCall, standInLake } from './lakeStandIns';

jest.setTimeout(60_000);

const server = workflowTestServer();
const nextDay = freshDays();

function hoursFrom(first: string, count: number): string[] {
  const { startMs } = parseHourKey(first);
  return Array.from({ length: count }, (_, i) => hourKey(startMs + i * HOUR_MS));
}

describe('a restatement whose effect on the next hour fades out', () => {
  it('promotes H+1 and H+2 again as children, and stops before H+3', async () => {
    const dt = nextDay();
    const [h, h1, h2, h3] = hoursFrom(`${dt}T09`, 4) as [string, string, string, string];
    // H and H+1 change what the next hour starts from; H+2's new end state is the one already published.
    const lake = standInLake({ nextHourStale: (hour) => hour === h || hour === h1 });
    const taskQueue = uniqueTaskQueue('cascade');
    await server.withWorker(taskQueue, lake.activities, async () => {
      const root = await server.client.workflow.start(promoteHour, { taskQueue, workflowId: promoteHourWorkflowId(h), args: [{ hour: h }] });
      await root.result();

      const first = await describeWhenStarted(server.client, promoteHourWorkflowId(h1));
      expect({ parent: first.parentExecution?.workflowId, type: first.type }).toEqual({ parent: promoteHourWorkflowId(h), type: 'promoteHour' });
      expect((await server.client.workflow.getHandle(first.workflowId).result()).hour).toBe(h1);

      const second = await describeWhenStarted(server.client, promoteHourWorkflowId(h2));
      expect({ parent: second.parentExecution?.workflowId, type: second.type }).toEqual({ parent: promoteHourWorkflowId(h1), type: 'promoteHour' });
      expect((await server.client.workflow.getHandle(second.workflowId).result()).hour).toBe(h2);

      // H+2 started its children (if any) before it completed: H+3 was never asked for.
      expect(await neverStarted(server.client, promoteHourWorkflowId(h3))).toBe(true);
      expect(lake.calls.buildHour).toEqual([h, h1, h2]);
      expect(lake.calls.publishHour).toEqual([h, h1, h2]);
      // The day's recomputation, started or signalled by each hour, ends with all three.
      await server.client.workflow.getHandle(promoteDayWorkflowId(dt)).result();
      expect(lake.calls.promoteDay.at(-1)?.hours).toEqual([h, h1, h2]);
    });
  });
});

describe('a restatement while the next hour is already being built', () => {
  // The running H+1 has already read H's old end state when H is restated: H signals it
  // (previousHourRestated) and it builds again before publishing. Without the signal (the code before
  // it) H+1 published sessions derived from H's old state and nothing built it again.
  it('builds H+1 again after H published', async () => {
    const dt = nextDay();
    const [h, h1] = hoursFrom(`${dt}T14`, 2) as [string, string];
    const firstBuildOfNext = holdFirstCall();
    const lake = standInLake({
      nextHourStale: (hour) => hour === h,
      buildGate: async (hour, call) => {
        if (hour === h1) await firstBuildOfNext.wait(call);
      },
    });
    const taskQueue = uniqueTaskQueue('cascade-busy');
    await server.withWorker(taskQueue, lake.activities, async () => {
      const next = await server.client.workflow.start(promoteHour, { taskQueue, workflowId: promoteHourWorkflowId(h1), args: [{ hour: h1 }] });
      await firstBuildOfNext.started; // H+1 is building from H's old state
      await server.client.workflow.execute(promoteHour, { taskQueue, workflowId: promoteHourWorkflowId(h), args: [{ hour: h }] });
      firstBuildOfNext.release();
      await next.result();
      await server.client.workflow.getHandle(promoteDayWorkflowId(dt)).result();

      // H published after H+1 started building: H+1 must be built once more, from H's new state.
      expect(lake.calls.publishHour).toEqual([h, h1]);
      expect(lake.calls.buildHour).toEqual([h1, h, h1]);
    });
  });
});
