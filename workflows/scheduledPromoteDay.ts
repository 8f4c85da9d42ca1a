/**
 * What the daily Temporal Schedule starts: the daily Gold of the day before the scheduled time. When
 * that day's recomputation is already running (the day's last hour started it and it outlasts the
 * schedule), the scheduled run tells it to run once more and ends: the running one publishes the day.
 */
import { executeChild, getExternalWorkflowHandle, patched } from '@temporalio/workflow';
import type { DayResult } from '../activities/promote';
import { DAY_MS, dayOf } from '../core/time';
import { DAY_RESTATED_SIGNAL, promoteDay, promoteDayWorkflowId } from './promoteDay';
import { scheduledTimeMs } from './scheduledPromoteHour';

/** Patch id of joining a running recomputation instead of failing. */
export const JOIN_RUNNING_DAY = 'join-running-day';

/** The scheduled run found the work under way: it ran nothing itself. */
export interface JoinedDay {
  readonly dt: string;
  /** The workflow id of the run that publishes the day. */
  readonly joined: string;
}

export async function scheduledPromoteDay(): Promise<DayResult | JoinedDay> {
  const dt = dayOf(scheduledTimeMs() - DAY_MS);
  const workflowId = promoteDayWorkflowId(dt);
  try {
    return await executeChild(promoteDay, { workflowId, args: [{ dt }] });
  } catch (err) {
    if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError' || !patched(JOIN_RUNNING_DAY)) throw err;
  }
  // The running one rounds again on this signal, so it includes every hour published before now.
  await getExternalWorkflowHandle(workflowId).signal(DAY_RESTATED_SIGNAL, 'scheduled');
  return { dt, joined: workflowId };
}
