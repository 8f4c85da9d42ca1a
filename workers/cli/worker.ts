/**
 * `clicklake worker [--max-activities N] [--grace-seconds S] [--identity ID]`: one more Temporal
 * worker process in the foreground (issue #14, scale-out). It polls the task queues of the stack's
 * worker (workers/temporalWorker.ts: the main queue and the backfill queue) with the same workflows
 * and activities, so a fleet of them shares the work; Temporal hands each task to one poller.
 *
 * What the stack's daemon holds alone, this process does not take: it serves no metrics (port 9464
 * stays the daemon's), and it gets a private temporary folder (TMPDIR), since DuckDB's spill files
 * under `<tmp>/clicklake-duckdb` have fixed names that two processes would overwrite under each other.
 * The always-on CTR consumer is one activity of one workflow: whichever worker holds it runs it.
 *
 * SIGINT or SIGTERM stops it the way Temporal stops a worker: no new polls, in-flight tasks get
 * `--grace-seconds` to finish, then their activities are cancelled and Temporal retries them on
 * another worker. A second signal ends the process at once.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { BadInputError, errorMessage } from '../../core/errors';
import { defineCommand, numberOption, textOption } from './command';

export interface WorkerRun {
  readonly task_queues: readonly string[];
  readonly namespace: string;
  readonly identity: string;
  readonly ran_seconds: number;
  /** The signal that stopped it. */
  readonly signal: string | null;
  /** Activity attempts this process ran, by how they ended. */
  readonly activities: { readonly completed: number; readonly failed: number };
}

/** Counts the activity attempts that end, by outcome. */
function countingInterceptors(counts: { completed: number; failed: number }): ActivityInterceptorsFactory {
  return () => ({
    inbound: {
      async execute(input, next) {
        try {
          const result = await next(input);
          counts.completed += 1;
          return result;
        } catch (err) {
          counts.failed += 1;
          throw err;
        }
      },
    },
  });
}

export const workerCommand = defineCommand({
  name: 'worker',
  summary: "run one more Temporal worker in the foreground on the stack worker's task queues (a fleet shares them) until SIGINT/SIGTERM",
  options: {
    maxActivities: numberOption('N', 'activities it runs at once on the main task queue (default: the Temporal SDK default)', { min: 1, max: 1000, integer: true }),
    graceSeconds: numberOption('S', 'on SIGINT/SIGTERM, seconds in-flight tasks get to finish before their activities are handed back', { min: 0, max: 3600, default: 10 }),
    identity: textOption('ID', 'the worker identity Temporal records (default cli-worker:<pid>@<host>)', {
      check: (value, flag) => {
        if (!/^\S{1,200}$/.test(value)) throw new BadInputError(`${flag}: 1-200 characters without spaces, got "${value}"`);
      },
    }),
  },
  async run({ maxActivities, graceSeconds, identity }, _words, { progress }) {
    const [fs, os, path, { Runtime }, { createWorker }] = await Promise.all([
      import('node:fs'),
      import('node:os'),
      import('node:path'),
      import('@temporalio/worker'),
      import('../temporalWorker'),
    ]);
    const started = Date.now();
    const id = identity ?? `cli-worker:${process.pid}@${os.hostname()}`;
    // Before any activity runs: os.tmpdir() reads TMPDIR, so DuckDB's spill folder and every step's temporary folder are this process's own.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clicklake-worker-'));
    process.env.TMPDIR = tmp;
    const counts = { completed: 0, failed: 0 };
    let signal: NodeJS.Signals | null = null;
    try {
      const { worker, backfillWorker, connection, deps } = await createWorker({
        identity: id,
        maxActivities,
        shutdownGraceMs: Math.round(graceSeconds * 1000),
        activityInterceptors: [countingInterceptors(counts)],
      });
      const workers = [worker, backfillWorker];
      const taskQueues = workers.map((w) => w.options.taskQueue);
      const logger = Runtime.instance().logger;
      const stop = (received?: NodeJS.Signals): void => {
        if (received !== undefined && signal === null) {
          signal = received;
          logger.info('clicklake worker (cli): stopping', { signal: received, identity: id, graceSeconds });
        }
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      };
      // Temporal's Runtime also shuts its workers down on these signals; once is enough, so a second signal kills.
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        progress(`worker ${id} polling ${taskQueues.join(', ')} (namespace ${deps.config.temporal.namespace}); stop with Ctrl-C or SIGTERM`);
        // One worker failing stops the other too, so the process never runs half a fleet member.
        const ran = await Promise.allSettled(workers.map((w) => w.run().catch((err: unknown) => { stop(); throw err; })));
        const failed = ran.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw new Error(`worker stopped: ${errorMessage(failed.reason)}`);
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        await connection.close();
        deps.redis.disconnect();
        deps.s3.destroy();
      }
      logger.info('clicklake worker (cli): stopped', { identity: id, ...counts });
      const value: WorkerRun = {
        task_queues: taskQueues,
        namespace: deps.config.temporal.namespace,
        identity: id,
        ran_seconds: Math.round((Date.now() - started) / 100) / 10,
        signal,
        activities: { ...counts },
      };
      return {
        value,
        text: () => `worker ${id} stopped${signal ? ` by ${signal}` : ''} after ${value.ran_seconds} s on ${taskQueues.join(', ')}: ${counts.completed} activities completed, ${counts.failed} failed\n`,
      };
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
});
