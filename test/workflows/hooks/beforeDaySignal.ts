/**
 * Workflow interceptor of the day-recomputation race test: before a workflow signals a running
 * promoteDay that an hour was restated, it calls the activity `beforeDaySignal`, which the test
 * uses to force an ordering (let the day finish first). Every worker of a bundle built with this
 * module must register that activity.
 */
import { proxyActivities, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { DAY_RESTATED_SIGNAL } from '../../../workflows/promoteDay';

export interface DaySignalHook {
  /** `workflowId` is the day workflow about to be signalled, `hour` the restated hour. */
  beforeDaySignal(input: { workflowId: string; hour: string }): Promise<void>;
}

const hook = proxyActivities<DaySignalHook>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 1 } });

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async signalWorkflow(input, next) {
        if (input.signalName === DAY_RESTATED_SIGNAL) {
          const workflowId = input.target.type === 'external' ? (input.target.workflowExecution.workflowId ?? '') : input.target.childWorkflowId;
          await hook.beforeDaySignal({ workflowId, hour: String(input.args[0]) });
        }
        return next(input);
      },
    },
  ],
});
