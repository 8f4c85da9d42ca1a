/**
 * Starts the always-on real-time CTR consumer workflow (workflows/runCtrConsumer.ts) under its
 * business id, once: calling this on every `stack up` finds it running and changes nothing; after it
 * was cancelled or terminated, the next call starts it again.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { ClicklakeConfig } from '../core/config';
import { runCtrConsumer } from '../workflows';

/** Business id of the one CTR consumer workflow. */
export const CTR_CONSUMER_WORKFLOW_ID = 'ctr-consumer';

export interface EnsureCtrConsumerResult {
  readonly workflowId: string;
  /** False when it was already running. */
  readonly started: boolean;
}

export async function ensureCtrConsumer(
  client: Client,
  config: Pick<ClicklakeConfig, 'temporal'>,
  workflowId: string = CTR_CONSUMER_WORKFLOW_ID,
): Promise<EnsureCtrConsumerResult> {
  try {
    await client.workflow.start(runCtrConsumer, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{}],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    return { workflowId, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
    throw err;
  }
}
