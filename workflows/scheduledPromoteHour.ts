/**
 * What the hourly Temporal Schedule starts: the promotion of the hour before the scheduled time (the
 * schedule fires after a grace period, so on-time events of that hour are in). It runs the promotion
 * as a child under the business id `promote-hour-<hour>`, so the Web UI finds it by hour.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { executeChild, workflowInfo } from '@temporalio/workflow';
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

export async function scheduledPromoteHour(): Promise<HourResult> {
  const hour = hourKey(scheduledTimeMs() - HOUR_MS);
  return executeChild(promoteHour, { workflowId: promoteHourWorkflowId(hour), args: [{ hour }] });
}
