/**
 * Compaction of one closed day (workflow id `compact-day-<dt>`; the `compact-daily` Schedule starts
 * it without input: the day before yesterday). Bronze: plan the merge groups, merge and switch each
 * (activities/compaction.ts, in the order that keeps a concurrent promotion exact), make the day's
 * published coverage name the merged objects, wait the grace, then delete the replaced objects.
 * Then the day's unpublished Silver and Gold versions past retention are deleted.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { BronzeFigures, CompactionActivities } from '../activities/compaction';
import type { RetentionPolicy } from '../core/compaction';
import { defaultCompactionDay } from '../core/compaction';
import { PROMOTION_STEP } from './activityOptions';
import { scheduledTimeMs } from './scheduledPromoteHour';

const activities = proxyActivities<CompactionActivities>(PROMOTION_STEP);

export interface CompactDayInput {
  /** The day; default: the day before yesterday (UTC) of the scheduled time (or the start). */
  readonly dt?: string;
  /** Only Bronze objects of these topics (all when absent). */
  readonly topics?: readonly string[];
  readonly targetBytes?: number;
  /** How long replaced objects stay after the switch; default the worker's config. */
  readonly graceMs?: number;
  /** Retention; default the worker's config. */
  readonly retention?: RetentionPolicy;
  /** What versions are aged against; default the scheduled time (or the start). */
  readonly nowMs?: number;
}

/** CONTRACT §4 `compact --json`. */
export interface CompactDayResult {
  readonly dt: string;
  readonly bronze: BronzeFigures;
  readonly versions_deleted: number;
}

export function compactDayWorkflowId(dt: string): string {
  return `compact-day-${dt}`;
}

export async function compactDay(input: CompactDayInput = {}): Promise<CompactDayResult> {
  const nowMs = input.nowMs ?? scheduledTimeMs();
  const dt = input.dt ?? defaultCompactionDay(nowMs);
  const plan = await activities.planCompaction({ dt, topics: input.topics, targetBytes: input.targetBytes });
  for (const group of plan.groups) await activities.mergeBronzeGroup(group);
  if (plan.groups.length > 0) {
    await activities.refreshCompactedCoverage(plan.groups);
    await sleep(input.graceMs ?? plan.graceMs);
    // A promotion published during the grace may have recorded the replaced manifests: cover it too.
    await activities.refreshCompactedCoverage(plan.groups);
    for (const group of plan.groups) await activities.deleteReplacedObjects(group);
  }
  const versionsDeleted = await activities.applyVersionRetention({ dt, nowMs, policy: input.retention });
  return { dt, bronze: plan.bronze, versions_deleted: versionsDeleted };
}
