/**
 * A promotion whose invariant breaks ends FAILED at once, with its reason everywhere a person looks
 * (audit row, LakeStatus, the `state` query, the workflow's failure); an infrastructure error is
 * retried by Temporal's own retry policy and the hour still ends READY.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ConfigError, InvariantViolationError, ServiceUnavailableError } from '../../core/errors';
import { promoteDay, promoteDayWorkflowId } from '../../workflows/promoteDay';
import { promoteHour, promoteHourStateQuery, promoteHourWorkflowId } from '../../workflows/promoteHour';
import { freshDays, lakeAttribute, neverStarted, uniqueTaskQueue, workflowTestServer } from '../support/temporalTest';
import { ROWS_PER_HOUR, standInLake } from './lakeStandIns';

jest.setTimeout(60_000);

const server = workflowTestServer();
const nextDay = freshDays();

/** The workflow's failure, for assertions on its cause chain. */
async function failureOf(result: Promise<unknown>): Promise<WorkflowFailedError> {
  const err = await result.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return err as WorkflowFailedError;
}

describe('promoteHour with an invariant broken in buildHour', () => {
  it('fails at once: one attempt, one audit row with the reason, LakeStatus FAILED, the state query and the failure name the type', async () => {
    const hour = `${nextDay()}T05`;
    const message = `silver ${hour}: wrote 9 rows, the ledger says 10`;
    // Only the first attempt breaks: a retry would succeed, so retrying shows as READY, not as a hang.
    const lake = standInLake({ buildError: (_hour, attempt) => (attempt === 1 ? new InvariantViolationError(message) : undefined) });
    const taskQueue = uniqueTaskQueue('failed-invariant');
    await server.withWorker(taskQueue, lake.activities, async () => {
      const handle = await server.client.workflow.start(promoteHour, { taskQueue, workflowId: promoteHourWorkflowId(hour), args: [{ hour }] });
      const failure = await failureOf(handle.result());

      expect(lake.calls.buildHour).toEqual([hour]);
      expect(lake.calls.publishHour).toEqual([]);
      expect(lake.calls.recordFailedRun).toEqual([{ hour, error: `InvariantViolationError: ${message}`, workflowId: handle.workflowId }]);

      const cause = failure.cause as ApplicationFailure;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect({ type: cause.type, nonRetryable: cause.nonRetryable, message: cause.message }).toEqual({
        type: 'InvariantViolationError',
        nonRetryable: true,
        message: `promote ${hour}: InvariantViolationError: ${message}`,
      });

      const description = await handle.describe();
      expect(description.status.name).toBe('FAILED');
      expect(description.typedSearchAttributes.get(lakeAttribute('LakeStatus'))).toBe('FAILED');
      expect(await handle.query(promoteHourStateQuery)).toEqual({ status: 'FAILED', error: `InvariantViolationError: ${message}` });
      // Nothing was published, so the day is not recomputed.
      expect(await neverStarted(server.client, promoteDayWorkflowId(hour.slice(0, 10)))).toBe(true);
    });
  });
});

describe('promoteHour with an infrastructure error in buildHour', () => {
  it('is retried by Temporal and ends READY, with no failed run recorded', async () => {
    const hour = `${nextDay()}T11`;
    const lake = standInLake({ buildError: (_hour, attempt) => (attempt === 1 ? new ServiceUnavailableError('s3', 'connection refused') : undefined) });
    const taskQueue = uniqueTaskQueue('failed-retriable');
    await server.withWorker(taskQueue, lake.activities, async () => {
      const handle = await server.client.workflow.start(promoteHour, { taskQueue, workflowId: promoteHourWorkflowId(hour), args: [{ hour }] });
      const result = await handle.result();

      expect(result.hour).toBe(hour);
      expect(lake.calls.buildHour).toEqual([hour, hour]);
      expect(lake.calls.publishHour).toEqual([hour]);
      expect(lake.calls.recordFailedRun).toEqual([]);
      const description = await handle.describe();
      expect(description.typedSearchAttributes.get(lakeAttribute('LakeStatus'))).toBe('READY');
      expect(description.typedSearchAttributes.get(lakeAttribute('LakeRowsIn'))).toBe(ROWS_PER_HOUR);
      expect(await handle.query(promoteHourStateQuery)).toMatchObject({ status: 'READY', result: { hour } });
    });
  });
});

describe('promoteHour whose failed run cannot be recorded', () => {
  it('still fails with the invariant as its reason, not the audit error', async () => {
    const hour = `${nextDay()}T17`;
    const message = `silver ${hour}: read 7 Bronze records of the hour, the manifests say 8`;
    const lake = standInLake({
      buildError: () => new InvariantViolationError(message),
      recordError: () => new ConfigError('CLICKLAKE_S3_BUCKET: no such bucket'),
    });
    const taskQueue = uniqueTaskQueue('failed-unrecorded');
    await server.withWorker(taskQueue, lake.activities, async () => {
      const handle = await server.client.workflow.start(promoteHour, { taskQueue, workflowId: promoteHourWorkflowId(hour), args: [{ hour }] });
      const cause = (await failureOf(handle.result())).cause as ApplicationFailure;

      expect(lake.calls.recordFailedRun).toHaveLength(1);
      expect({ type: cause.type, message: cause.message }).toEqual({ type: 'InvariantViolationError', message: `promote ${hour}: InvariantViolationError: ${message}` });
      expect((await handle.describe()).typedSearchAttributes.get(lakeAttribute('LakeStatus'))).toBe('FAILED');
    });
  });
});

describe('promoteHour whose drift check keeps failing', () => {
  it('stays READY and still has the day recomputed: the check only reports', async () => {
    const dt = nextDay();
    const hour = `${dt}T20`;
    const lake = standInLake({ driftError: () => new ServiceUnavailableError('redis', 'connection refused') });
    const taskQueue = uniqueTaskQueue('drift-down');
    await server.withWorker(taskQueue, lake.activities, async () => {
      const handle = await server.client.workflow.start(promoteHour, { taskQueue, workflowId: promoteHourWorkflowId(hour), args: [{ hour }] });
      expect((await handle.result()).hour).toBe(hour);

      expect(lake.calls.checkCtrDrift).toEqual([hour, hour, hour]); // REPORT_ONLY: three attempts
      const state = await handle.query(promoteHourStateQuery);
      expect({ status: state.status, drift: state.drift }).toEqual({ status: 'READY', drift: undefined });
      expect((await handle.describe()).typedSearchAttributes.get(lakeAttribute('LakeStatus'))).toBe('READY');
      await server.client.workflow.getHandle(promoteDayWorkflowId(dt)).result();
      expect(lake.calls.promoteDay.map((call) => call.hours)).toEqual([[hour]]);
    });
  });
});

describe('promoteDay with an invariant broken in its activity', () => {
  it('fails at once with LakeStatus FAILED and the type in its failure', async () => {
    const dt = nextDay();
    const message = `gold ${dt}: campaign_daily counts 3 ad events, Silver holds 4`;
    const lake = standInLake({ dayError: (_dt, attempt) => (attempt === 1 ? new InvariantViolationError(message) : undefined) });
    const taskQueue = uniqueTaskQueue('failed-day');
    await server.withWorker(taskQueue, lake.activities, async () => {
      const handle = await server.client.workflow.start(promoteDay, { taskQueue, workflowId: promoteDayWorkflowId(dt), args: [{ dt }] });
      const failure = await failureOf(handle.result());

      expect(lake.calls.promoteDay.map((call) => call.dt)).toEqual([dt]);
      const cause = failure.cause as ApplicationFailure;
      expect({ type: cause.type, nonRetryable: cause.nonRetryable, message: cause.message }).toEqual({
        type: 'InvariantViolationError',
        nonRetryable: true,
        message: `promote day ${dt}: InvariantViolationError: ${message}`,
      });
      expect((await handle.describe()).typedSearchAttributes.get(lakeAttribute('LakeStatus'))).toBe('FAILED');
    });
  });
});
