/** Named timeout and retry presets for activities, so workflows do not repeat magic numbers. */
import type { ActivityOptions } from '@temporalio/workflow';

/** Non-retryable error types: bad input never gets better by retrying (core/errors.ts). */
export const NON_RETRYABLE_ERRORS = ['BadInputError', 'ConfigError', 'SchemaMismatchError', 'InstallError'];

/** A short call to one service (a probe, a small metadata write). */
export const SHORT: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE_ERRORS },
};
