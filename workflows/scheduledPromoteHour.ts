/**
 * What the hourly Temporal Schedule starts: the promotion of the hour before the scheduled time (the
 * schedule fires after a grace period, so on-time events of that hour are in). It runs the promotion
 * as a child under the business id `promote-hour-<hour>`, so the Web UI finds it by hour.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { executeChild, patched, workflowInfo } from '@temporalio/workflow';
import type { HourResult } from '../activities/promote';
import { HOUR_MS, hourKey } from '../core/time';
import { promoteHour, promoteHourWorkflowId } from './promoteHour';

const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** The scheduled time of this run (set by Temporal Schedules), or its start time when started by hand. */
export function scheduledTimeMs(): number {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(SCHEDULED_START);
  return (scheduled ?? info.startTime).getTime();
}

/** Patch id of leaving a promotion of the hour already under way (started by hand) to finish, instead of failing. */
export const JOIN_RUNNING_HOUR = 'join-running-hour';

export async function scheduledPromoteHour(): Promise<HourResult | { readonly hour: string; readonly joined: string }> {
  const hour = hourKey(scheduledTimeMs() - HOUR_MS);
  const workflowId = promoteHourWorkflowId(hour);
  try {
    return await executeChild(promoteHour, { workflowId, args: [{ hour, reason: 'scheduled' }] });
  } catch (err) {
    // A promotion of the hour already running (by hand) publishes it; events it did not wait for
    // make the hour STALE, and reconciliation restates it.
    if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError' || !patched(JOIN_RUNNING_HOUR)) throw err;
    return { hour, joined: workflowId };
  }
}
