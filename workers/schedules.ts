/**
 * The always-on workflows and the Temporal Schedules of the lake, created idempotently on every
 * `stack up`: a second call finds them running and changes nothing.
 */
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { connectTemporal } from '../activities/clients';
import type { ClicklakeConfig } from '../core/config';
import { ingestBronze } from '../workflows';

/** Business id of the one Bronze ingestion workflow: a second start joins the first. */
export const INGEST_BRONZE_WORKFLOW_ID = 'ingest-bronze';

async function startOnce(start: () => Promise<unknown>): Promise<'started' | 'running'> {
  try {
    await start();
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'running';
    throw err;
  }
}

export async function ensureLakeWorkflows(config: ClicklakeConfig, progress: (message: string) => void): Promise<void> {
  const connection = await connectTemporal(config.temporal);
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const ingest = await startOnce(() =>
      client.workflow.start(ingestBronze, { workflowId: INGEST_BRONZE_WORKFLOW_ID, taskQueue: config.temporal.taskQueue, args: [{}] }),
    );
    if (ingest === 'started') progress(`started workflow ${INGEST_BRONZE_WORKFLOW_ID}`);
  } finally {
    await connection.close();
  }
}
