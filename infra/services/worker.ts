/** The Temporal worker (workers/temporalWorker.ts) as a daemon of the local stack, run from dist/. */
import { connectTemporal } from '../../activities/clients';
import { errorMessage } from '../../core/errors';
import { runningPid } from '../process';
import { nodeDaemon } from './nodeDaemon';
import type { LocalService } from './types';

/** temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW */
const WORKFLOW_QUEUE = 1;

export const worker: LocalService = {
  name: 'worker',
  dependsOn: ['temporal'],
  ...nodeDaemon('worker', 'temporalWorker.js'),
  startTimeoutMs: 90_000,

  /** Healthy when a worker polls the task queue: the server itself says so. */
  async probe(ctx) {
    const { temporal } = ctx.config;
    let connection;
    try {
      connection = await connectTemporal(temporal);
      const res = await connection.workflowService.describeTaskQueue({
        namespace: temporal.namespace,
        taskQueue: { name: temporal.taskQueue },
        taskQueueType: WORKFLOW_QUEUE,
      });
      // The server remembers pollers for minutes after they left, so look for this daemon's own identity
      // (the SDK's default is `<pid>@<host>`).
      const pid = runningPid(ctx.layout.pidFile('worker'));
      const pollers = res.pollers ?? [];
      const ours = pid !== undefined && pollers.some((p) => p.identity?.startsWith(`${pid}@`));
      return { healthy: ours, detail: `${pollers.length} poller(s) on task queue ${temporal.taskQueue}${ours ? `, including pid ${pid}` : ', none of them this daemon'}` };
    } catch (err) {
      return { healthy: false, detail: errorMessage(err) };
    } finally {
      await connection?.close();
    }
  },

  endpoints: (config) => ({ task_queue: config.temporal.taskQueue, namespace: config.temporal.namespace }),
};
