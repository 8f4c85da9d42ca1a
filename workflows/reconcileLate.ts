/**
 * Late-data reconciliation: every STALE hour of the window (published, with Bronze events its
 * version did not count) is promoted again, oldest first, a few at once, as the child
 * `promote-hour-<hour>` with reason `reconcile` (a run of that id already under way is joined, not
 * duplicated); then each touched day's daily Gold, which every promotion started or signalled, is
 * waited for. A failing hour or day does not stop the others: the result lists it, and the workflow
 * then ends FAILED naming them. Started by the `reconcile-late` schedule and by `clicklake reconcile`.
 */
import { ApplicationFailure, executeChild, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { HourResult } from '../activities/promote';
import type { ReconcileActivities } from '../activities/reconcile';
import { daysOf, reconcileWindow, type ReconcileResult, type RestatedHour } from '../core/reconcile';
import { PROMOTION_STEP } from './activityOptions';
import { failureReason, formatFailure } from './failures';
import { promoteDayWorkflowId } from './promoteDay';
import { promoteHour, promoteHourWorkflowId } from './promoteHour';
import { scheduledTimeMs } from './scheduledPromoteHour';

const reconcile = proxyActivities<ReconcileActivities>(PROMOTION_STEP);

export const RECONCILE_DEFAULTS = { lookbackDays: 8, concurrency: 4 } as const;

export interface ReconcileLateInput {
  /** First and last hour to look at (both included); default the `lookbackDays` up to now. */
  readonly from?: string;
  readonly to?: string;
  readonly lookbackDays?: number;
  /** Hours promoted at once. */
  readonly concurrency?: number;
}

/** The id `clicklake reconcile` starts it under (the schedule's runs have the schedule's ids). */
export function manualReconcileWorkflowId(timestamp: string): string {
  return `reconcile-late-manual-${timestamp}`;
}

type HourOutcome = { hour: string; restated: RestatedHour } | { hour: string; error: string };

/** Promotes the hour as its business-keyed child, or waits for the run of it already under way. */
async function restateHour(hour: string): Promise<HourOutcome> {
  const workflowId = promoteHourWorkflowId(hour);
  let result: HourResult;
  try {
    result = await executeChild(promoteHour, { workflowId, args: [{ hour, reason: 'reconcile' }] });
  } catch (err) {
    if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') return { hour, error: formatFailure(failureReason(err)) };
    const joined = await reconcile.awaitLakeWorkflow({ workflowId });
    if (!joined.ok) return { hour, error: joined.error };
    result = joined.result as HourResult;
  }
  return { hour, restated: { hour, version: result.version, ledger: result.silver } };
}

/** Runs `work` over the items, at most `limit` at once, results in the items' order. */
async function boundedAll<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

export async function reconcileLate(input: ReconcileLateInput = {}): Promise<ReconcileResult> {
  let window;
  try {
    window = reconcileWindow(scheduledTimeMs(), input.lookbackDays ?? RECONCILE_DEFAULTS.lookbackDays, input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'BadInputError');
  }
  upsertSearchAttributes({ LakeDataset: ['events'], LakeStatus: ['RUNNING'] });
  const stale = await reconcile.listStaleHours(window);
  const hours = await boundedAll(stale.map((s) => s.hour), input.concurrency ?? RECONCILE_DEFAULTS.concurrency, restateHour);

  const restated = hours.flatMap((h) => ('restated' in h ? [h.restated] : []));
  const failed: Array<{ hour?: string; dt?: string; error: string }> = hours.flatMap((h) => ('error' in h ? [{ hour: h.hour, error: h.error }] : []));
  const days: string[] = [];
  for (const dt of daysOf(restated.map((h) => h.hour))) {
    const day = await reconcile.awaitLakeWorkflow({ workflowId: promoteDayWorkflowId(dt) });
    if (day.ok) days.push(dt);
    else failed.push({ dt, error: day.error });
  }
  const result: ReconcileResult = { window, restated, days, failed };
  upsertSearchAttributes({ LakeStatus: [failed.length === 0 ? 'READY' : 'FAILED'], LakeRowsOut: [restated.length] });
  if (failed.length > 0) {
    const names = failed.map((f) => f.hour ?? f.dt).join(', ');
    throw ApplicationFailure.create({ message: `reconcile: ${failed.length} failed (${names}): ${failed[0]?.error ?? ''}`, type: 'ReconcileFailedError', nonRetryable: true, details: [result] });
  }
  return result;
}
