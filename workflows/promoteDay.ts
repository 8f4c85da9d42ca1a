/**
 * Daily Gold of one day (campaign_daily, dau_daily, title_plays_daily), recomputed from the day's
 * published Silver hours. An hour restated while it runs signals it, and it runs once more, so the
 * published day always includes every hour published before it finished.
 */
import { condition, defineSignal, isCancellation, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo, ApplicationFailure } from '@temporalio/workflow';
import type { DayResult, PromoteActivities } from '../activities/promote';
import { parseDay } from '../core/time';
import { runVersion } from '../core/versions';
import { PROMOTION_STEP } from './activityOptions';
import { failureReason, formatFailure } from './failures';

const promote = proxyActivities<PromoteActivities>(PROMOTION_STEP);

export const DAY_RESTATED_SIGNAL = 'hourRestated';
export const dayRestated = defineSignal<[string]>(DAY_RESTATED_SIGNAL);

export function promoteDayWorkflowId(dt: string): string {
  return `promote-day-${dt}`;
}

export async function promoteDay(input: { dt: string }): Promise<DayResult> {
  try {
    parseDay(input.dt);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`dt: ${(err as Error).message}`, 'BadInputError');
  }
  let restated = false;
  setHandler(dayRestated, () => {
    restated = true;
  });
  upsertSearchAttributes({ LakeDay: [input.dt], LakeDataset: ['daily'], LakeLayer: ['gold'], LakeStatus: ['RUNNING'] });
  const info = workflowInfo();
  let result: DayResult;
  let round = 0;
  try {
    do {
      restated = false;
      round++;
      result = await promote.promoteDay({ dt: input.dt, workflowId: info.workflowId, runId: info.runId, version: runVersion(info.runStartTime.getTime() + round, info.runId) });
      // Signals delivered with the activity's completion are seen before deciding to stop.
      await condition(() => restated, 1);
    } while (restated);
  } catch (err) {
    // The day's Gold could not be published: the run ends FAILED with its reason (the Web UI shows it).
    if (isCancellation(err)) throw err;
    const reason = failureReason(err);
    upsertSearchAttributes({ LakeStatus: ['FAILED'] });
    throw ApplicationFailure.create({ message: `promote day ${input.dt}: ${formatFailure(reason)}`, type: reason.type, nonRetryable: true, cause: err as Error });
  }
  upsertSearchAttributes({ LakeStatus: ['READY'], LakeRowsIn: [result.silverRows] });
  return result;
}
