/**
 * A round trip through the whole Temporal path: client → server → worker → activity → back.
 * `clicklake stack status` and the integration tests use it to prove a worker is polling the task
 * queue and can run activities, not just that the server answers.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ProbeActivities } from '../activities/probe';
import { SHORT } from './activityOptions';

const { probeWorker } = proxyActivities<ProbeActivities>(SHORT);

export interface StackProbeResult {
  readonly workflowId: string;
  readonly worker: string;
  readonly nonce: string;
}

export async function stackProbe(nonce: string): Promise<StackProbeResult> {
  const { worker, echoed } = await probeWorker(nonce);
  return { workflowId: workflowInfo().workflowId, worker, nonce: echoed };
}
