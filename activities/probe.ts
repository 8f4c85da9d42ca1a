/** Activities of the stack probe workflow: echo the nonce and say which worker ran it. */
import { Context } from '@temporalio/activity';

export interface ProbeActivities {
  probeWorker(nonce: string): Promise<{ worker: string; echoed: string }>;
}

export function createProbeActivities(): ProbeActivities {
  return {
    async probeWorker(nonce) {
      return { worker: Context.current().info.taskQueue + '@' + process.pid, echoed: nonce };
    },
  };
}
