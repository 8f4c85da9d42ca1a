/**
 * `clicklake reconcile`: starts workflow reconcileLate now (`reconcile-late-manual-<timestamp>`), or
 * joins one already running (the schedule's or another manual one), and waits for its result; a run
 * that ended FAILED still reports what it restated (the failure's details).
 */
import { Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { connectTemporal } from '../activities/clients';
import type { ClicklakeConfig } from '../core/config';
import type { ReconcileResult } from '../core/reconcile';
import { reconcileLate } from '../workflows';
import { manualReconcileWorkflowId } from '../workflows/reconcileLate';

async function runningReconcile(client: Client): Promise<string | undefined> {
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'reconcileLate' AND ExecutionStatus = 'Running'` })) return wf.workflowId;
  return undefined;
}

export async function runReconcile(
  config: ClicklakeConfig,
  range: { from?: string; to?: string },
  nowMs: number,
  progress: (message: string) => void,
): Promise<{ workflowId: string; result: ReconcileResult }> {
  const connection = await connectTemporal(config.temporal);
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const scoped = range.from !== undefined || range.to !== undefined;
    let workflowId = scoped ? undefined : await runningReconcile(client);
    if (workflowId === undefined) {
      workflowId = manualReconcileWorkflowId(new Date(nowMs).toISOString().replace(/[-:.]/g, ''));
      const { lookbackDays, concurrency } = config.reconcile;
      await client.workflow.start(reconcileLate, { workflowId, taskQueue: config.temporal.taskQueue, args: [{ ...range, lookbackDays, concurrency }] });
      progress(`started ${workflowId}`);
    } else progress(`joined ${workflowId}, already running`);
    try {
      return { workflowId, result: (await client.workflow.getHandle(workflowId).result()) as ReconcileResult };
    } catch (err) {
      const details = err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure ? err.cause.details?.[0] : undefined;
      if (details === undefined) throw err;
      return { workflowId, result: details as ReconcileResult };
    }
  } finally {
    await connection.close();
  }
}
