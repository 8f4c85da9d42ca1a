/**
 * The worker's activity inbound interceptor: every failed activity attempt is logged (activity
 * type, attempt, error name and message, whether Temporal will retry it; never arguments or
 * results, which may hold personal data), and a `ClicklakeError` whose own `retriable` is false
 * leaves the activity as a non-retryable ApplicationFailure. Temporal's retry policies list only
 * the classes whose every instance is non-retriable (core/errors.ts nonRetryableErrorTypes), so
 * without this a per-instance decision (a 4xx HttpError, a QueryError of a user's bad SQL) would
 * be retried until the policy gives up.
 *
 * Each failed attempt is also counted in `activity_failures_total{activity_type, retriable}`
 * (workers/metrics.ts), which the worker serves on CLICKLAKE_WORKER_METRICS_PORT.
 */
import { ApplicationFailure, type Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Logger } from '@temporalio/common';
import { ClicklakeError, errorMessage, nonRetryableErrorTypes } from '../core/errors';
import type { WorkerMetrics } from './metrics';

const NON_RETRYABLE_TYPES: ReadonlySet<string> = new Set(nonRetryableErrorTypes());

/**
 * What an activity throws, as Temporal should see it: a non-retriable ClicklakeError becomes a
 * non-retryable ApplicationFailure of the same type name and message, with the error as its cause;
 * anything else passes unchanged.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ClicklakeError && !err.retriable) {
    return ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: true, cause: err });
  }
  return err;
}

/** Whether Temporal retries an attempt that failed with this (as the workflows' retry policies say). */
export function willRetry(err: unknown): boolean {
  if (err instanceof ApplicationFailure) return !err.nonRetryable && !NON_RETRYABLE_TYPES.has(err.type ?? '');
  if (err instanceof Error && NON_RETRYABLE_TYPES.has(err.name)) return false;
  return !(err instanceof ClicklakeError) || err.retriable;
}

/** What the interceptor reads of its activity's context (an activity Context in the worker). */
export interface FailureContext {
  readonly info: { readonly activityType: string; readonly attempt: number };
  readonly log: Pick<Logger, 'warn'>;
}

export function activityFailureInterceptor(ctx: FailureContext, metrics?: Pick<WorkerMetrics, 'activityFailures'>): ActivityInboundCallsInterceptor {
  return {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        const failure = toActivityFailure(err);
        const retriable = willRetry(failure);
        ctx.log.warn('activity attempt failed', {
          activityType: ctx.info.activityType,
          attempt: ctx.info.attempt,
          errorName: err instanceof Error ? err.name : typeof err,
          error: errorMessage(err),
          retriable,
        });
        metrics?.activityFailures.inc({ activity_type: ctx.info.activityType, retriable: String(retriable) });
        throw failure;
      }
    },
  };
}

/** For Worker.create's `interceptors.activity`. */
export function activityFailureInterceptors(metrics?: Pick<WorkerMetrics, 'activityFailures'>): ActivityInterceptorsFactory {
  return (ctx: Context) => ({ inbound: activityFailureInterceptor(ctx, metrics) });
}
