/**
 * Waiting in a workflow for another workflow to close, by polling its outcome with timers (no
 * activity slot is held meanwhile): a promotion of an hour run by someone else, a day's recomputation.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { BackfillActivities } from '../activities/backfill';
import { SHORT } from './activityOptions';

const lookups = proxyActivities<BackfillActivities>(SHORT);

/** Polls a workflow until it closed: 1 s doubling to 10 s between looks, no activity slot held meanwhile. */
export async function closedOutcome(workflowId: string): Promise<{ ok: true } | { ok: false; error: string }> {
  for (let wait = 1000; ; wait = Math.min(wait * 2, 10_000)) {
    const outcome = await lookups.workflowOutcome({ workflowId });
    if (outcome.status === 'completed') return { ok: true };
    if (outcome.status === 'failed') return { ok: false, error: outcome.error };
    if (outcome.status === 'not_found') return { ok: false, error: `${workflowId}: no run found` };
    await sleep(wait);
  }
}

