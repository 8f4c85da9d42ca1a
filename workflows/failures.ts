/**
 * How a workflow names the failure that ends it: the innermost cause of a Temporal failure (an
 * activity's ApplicationFailure carries the error class name as its type), as `Type: message`. This
 * is what an hour's FAILED state, its audit row and the Web UI show.
 */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, TemporalFailure, TimeoutFailure } from '@temporalio/workflow';

export interface FailureReason {
  /** The error class name (`InvariantViolationError`, `ServiceUnavailableError`, ...) or the failure kind. */
  readonly type: string;
  readonly message: string;
}

/** The innermost cause: an activity's or child's failure wraps what really went wrong. */
export function failureReason(err: unknown): FailureReason {
  let current: unknown = err;
  while ((current instanceof ActivityFailure || current instanceof ChildWorkflowFailure) && current.cause !== undefined) current = current.cause;
  if (current instanceof ApplicationFailure) return { type: current.type ?? 'ApplicationFailure', message: current.message };
  if (current instanceof TimeoutFailure) return { type: 'TimeoutFailure', message: `${current.timeoutType ?? 'timeout'}: ${current.message}` };
  if (current instanceof TemporalFailure) return { type: current.name, message: current.message };
  if (current instanceof Error) return { type: current.name, message: current.message };
  return { type: 'Error', message: String(current) };
}

/** `Type: message`, one line: what an audit row's `error` column and `clicklake status` show. */
export function formatFailure(reason: FailureReason): string {
  return `${reason.type}: ${reason.message}`.replace(/\s+/g, ' ').slice(0, 2000);
}
