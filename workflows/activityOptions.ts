/**
 * Named timeout and retry presets for activities, used by every workflow, so no workflow repeats a
 * magic number or a hand-kept list of error names. The non-retryable types come from core/errors.ts,
 * the one source of which errors a retry cannot help.
 *
 * Operations (a promotion, a day's Gold) retry infrastructure errors a bounded number of times and
 * then fail with the last error, so the hour ends FAILED with its reason instead of retrying in
 * silence; always-on consumers (Bronze ingestion, real-time CTR) are services and keep retrying,
 * each failed attempt logged by the worker.
 */
import type { Duration } from '@temporalio/common';
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { nonRetryableErrorTypes } from '../core/errors';

/** Error types Temporal never retries: invariant violations and bad input fail at once. */
export const NON_RETRYABLE_ERRORS: readonly string[] = nonRetryableErrorTypes();

/**
 * Retries of an operation: 2 s doubling to 1 min, 10 attempts, about 6 minutes of outage ridden out
 * (a MinIO or Presto restart), then the activity fails and the run ends FAILED with that error.
 */
export const OPERATION_RETRY: RetryPolicy = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 10,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERRORS],
};

/** Retries of an always-on consumer: unbounded (it is a service), 1 s doubling to 30 s. */
export const SERVICE_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERRORS],
};

/** A short call to one service (a probe, a small metadata write, an audit row). */
export const SHORT: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { ...OPERATION_RETRY, initialInterval: '1 second', maximumInterval: '30 seconds' },
};

/** A long step of a promotion (waiting for Bronze, building an hour, a day's Gold): it heartbeats. */
export const PROMOTION_STEP: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: OPERATION_RETRY,
};

/** A check that reports and never blocks a published hour (real-time vs Gold drift): 3 tries. */
export const REPORT_ONLY: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { ...OPERATION_RETRY, maximumAttempts: 3 },
};

/** An always-on consumer activity that runs `runForMs` and heartbeats; the workflow continues as new. */
export function consumerOptions(runForMs: number, heartbeatTimeout: Duration): ActivityOptions {
  return {
    startToCloseTimeout: runForMs + 5 * 60 * 1000,
    heartbeatTimeout,
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
    retry: SERVICE_RETRY,
  };
}
