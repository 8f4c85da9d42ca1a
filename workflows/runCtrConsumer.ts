/**
 * The real-time CTR consumer, always on: runs the long-running consumer activity for a while, then
 * continues as new so the history stays a handful of events. The activity heartbeats; when it or its
 * worker dies, the heartbeat timeout notices within 30 s and Temporal starts it again (without limit,
 * with backoff) on a live worker, where the offsets stored in Redis make the restart exact.
 * Cancelling the workflow cancels the activity and waits until the consumer has left its group.
 */
import { continueAsNew, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { CtrActivities, CtrProgress } from '../activities/ctr';
import { consumerOptions } from './activityOptions';

export interface RunCtrConsumerWorkflowInput {
  /** How long one activity run lasts before the workflow continues as new; default 50 minutes. */
  readonly runForMs?: number;
}

const RUN_FOR_MS = 50 * 60 * 1000;
/** The longest run asked of one activity; its startToClose timeout (one hour) leaves 5 minutes to finish. */
const MAX_RUN_MS = 55 * 60 * 1000;

/** A consumer that runs for most of an hour: dead within 30 s of its last heartbeat, retried forever (no maximumAttempts). */
const { runCtrConsumer: consume } = proxyActivities<CtrActivities>(consumerOptions(MAX_RUN_MS, '30 seconds'));

export async function runCtrConsumer(input: RunCtrConsumerWorkflowInput = {}): Promise<CtrProgress> {
  upsertSearchAttributes({ LakeDataset: ['ctr_realtime'] });
  // Bounded by startToCloseTimeout: a run longer than the hour would be timed out and retried.
  await consume({ runForMs: Math.min(input.runForMs ?? RUN_FOR_MS, MAX_RUN_MS) });
  return continueAsNew<typeof runCtrConsumer>(input);
}
