import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { activityFailureInterceptor, type FailureContext } from '../../workers/activityFailures';
import { HttpError, InvariantViolationError, QueryError, ServiceUnavailableError } from '../../core/errors';
import { createWorkerMetrics } from '../../workers/metrics';

function contextWithLog(): { ctx: FailureContext; logs: Array<[string, Record<string, unknown> | undefined]> } {
  const logs: Array<[string, Record<string, unknown> | undefined]> = [];
  return { ctx: { info: { activityType: 'promoteHourActivity', attempt: 3 }, log: { warn: (message, fields) => logs.push([message, fields]) } }, logs };
}

const input = { args: [{ hour: '2026-11-22T05' }], headers: {} } as ActivityExecuteInput;

async function thrownBy(err: unknown): Promise<{ thrown: unknown; logs: Array<[string, Record<string, unknown> | undefined]> }> {
  const { ctx, logs } = contextWithLog();
  const interceptor = activityFailureInterceptor(ctx);
  try {
    await interceptor.execute?.(input, async () => {
      throw err;
    });
  } catch (thrown) {
    return { thrown, logs };
  }
  throw new Error('the interceptor did not throw');
}

describe('activity failure interceptor', () => {
  it('turns a non-retriable instance of a per-instance class (a 4xx HttpError) into a non-retryable ApplicationFailure with its cause', async () => {
    const err = new HttpError(400, { error: 'bad_request', detail: 'campaign_id: required' });
    const { thrown, logs } = await thrownBy(err);
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    const failure = thrown as ApplicationFailure;
    expect({ type: failure.type, message: failure.message, nonRetryable: failure.nonRetryable, cause: failure.cause }).toEqual({
      type: 'HttpError',
      message: 'campaign_id: required',
      nonRetryable: true,
      cause: err,
    });
    expect(logs).toEqual([
      ['activity attempt failed', { activityType: 'promoteHourActivity', attempt: 3, errorName: 'HttpError', error: 'campaign_id: required', retriable: false }],
    ]);
  });

  it('converts a QueryError of a user error and every always-non-retriable class too', async () => {
    for (const err of [new QueryError('line 1: syntax error', 'USER_ERROR'), new InvariantViolationError('gold holds 9 rows, the ledger 10')]) {
      const { thrown } = await thrownBy(err);
      expect(thrown).toBeInstanceOf(ApplicationFailure);
      expect([(thrown as ApplicationFailure).type, (thrown as ApplicationFailure).nonRetryable]).toEqual([err.name, true]);
    }
  });

  it('passes retriable errors through unchanged and logs them as retriable', async () => {
    for (const err of [new HttpError(503, { error: 'unavailable', detail: 'later' }), new ServiceUnavailableError('s3', 'down'), new Error('socket hang up')]) {
      const { thrown, logs } = await thrownBy(err);
      expect(thrown).toBe(err);
      expect(logs[0]?.[1]?.retriable).toBe(true);
    }
  });

  it('returns the result of a successful activity and logs nothing', async () => {
    const { ctx, logs } = contextWithLog();
    const result = await activityFailureInterceptor(ctx).execute?.(input, async () => ({ rows: 7 }));
    expect(result).toEqual({ rows: 7 });
    expect(logs).toEqual([]);
  });

  it('counts every failed attempt in activity_failures_total by activity type and retriable', async () => {
    const metrics = createWorkerMetrics();
    const { ctx } = contextWithLog();
    const interceptor = activityFailureInterceptor(ctx, metrics);
    for (const err of [new HttpError(400, { error: 'bad_request', detail: 'no' }), new Error('socket hang up'), new Error('socket hang up')]) {
      await interceptor.execute?.(input, async () => {
        throw err;
      }).catch(() => undefined);
    }
    const counted = (await metrics.activityFailures.get()).values.map((v) => [v.labels, v.value]);
    expect(counted).toEqual([
      [{ activity_type: 'promoteHourActivity', retriable: 'false' }, 1],
      [{ activity_type: 'promoteHourActivity', retriable: 'true' }, 2],
    ]);
  });
});
