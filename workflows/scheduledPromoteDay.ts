/** What the daily Temporal Schedule starts: the daily Gold of the day before the scheduled time. */
import { executeChild } from '@temporalio/workflow';
import type { DayResult } from '../activities/promote';
import { DAY_MS, dayOf } from '../core/time';
import { promoteDay, promoteDayWorkflowId } from './promoteDay';
import { scheduledTimeMs } from './scheduledPromoteHour';

export async function scheduledPromoteDay(): Promise<DayResult> {
  const dt = dayOf(scheduledTimeMs() - DAY_MS);
  return executeChild(promoteDay, { workflowId: promoteDayWorkflowId(dt), args: [{ dt }] });
}
