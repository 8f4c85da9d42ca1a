/** The Temporal worker (workers/temporalWorker.ts) as a daemon of the local stack, run from dist/. */
import * as fs from 'node:fs';
import { connectTemporal } from '../../activities/clients';
import { errorMessage, InstallError } from '../../core/errors';
import { runningPid, startDaemon } from '../process';
import { REPO_ROOT, repoPath } from '../repo';
import type { LocalService } from './types';

const ENTRY = repoPath('dist', 'workers', 'temporalWorker.js');
/** temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW */
const WORKFLOW_QUEUE = 1;

export const worker: LocalService = {
  name: 'worker',
  dependsOn: ['temporal'],
  startTimeoutMs: 90_000,

  async install() {
    if (!fs.existsSync(ENTRY)) throw new InstallError(`${ENTRY} is missing: run \`npm run build\` first`);
  },

  async start(ctx) {
    startDaemon({
      name: 'worker',
      command: process.execPath,
      args: ['--enable-source-maps', '--require', repoPath('bin', 'node-warnings.js'), ENTRY],
      cwd: REPO_ROOT,
      logFile: ctx.layout.logFile('worker'),
      pidFile: ctx.layout.pidFile('worker'),
    });
  },

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

  isStale(ctx) {
    try {
      return fs.statSync(ENTRY).mtimeMs > fs.statSync(ctx.layout.pidFile('worker')).mtimeMs;
    } catch {
      return false;
    }
  },

  endpoints: (config) => ({ task_queue: config.temporal.taskQueue, namespace: config.temporal.namespace }),
};
