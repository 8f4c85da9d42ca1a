/** The Temporal worker process: runs every clicklake workflow and activity on the task queue. */
import type { Server } from 'node:http';
import { NativeConnection, Runtime, Worker, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { codeVersion } from './codeVersion';
import { createKafka, createRedis, createS3, Presto } from '../activities/clients';
import { SchemaRegistryClient } from '../activities/schemaRegistry';
import { requireSecrets, type ClicklakeConfig } from '../core/config';
import { errorMessage } from '../core/errors';
import * as workflows from '../workflows';
import { activityFailureInterceptors } from './activityFailures';
import { loadConfig } from './config';
import { createWorkerMetrics, serveMetrics, type WorkerMetrics } from './metrics';

/** The shared clients of every activity, from the config. */
export function activityDeps(config: ClicklakeConfig): ActivityDeps {
  return {
    config,
    s3: createS3(config.s3),
    kafka: createKafka(config.kafka, { clientId: 'clicklake-worker' }),
    registry: new SchemaRegistryClient(config.schemaRegistry.url),
    // Lazy: connects on first use (the CTR consumer), so a process that never uses it holds no socket.
    redis: createRedis(config.redis, { lazy: true }),
    presto: new Presto(config.presto),
    codeVersion: codeVersion(),
  };
}

export interface CreatedWorker {
  readonly worker: Worker;
  readonly connection: NativeConnection;
  readonly deps: ActivityDeps;
  readonly metrics: WorkerMetrics;
  /** The Worker on the backfill task queue, with its own few slots (created beside the main one). */
  readonly backfillWorker: Worker;
}

/** What may differ between worker processes of one fleet; the stack's daemon gives none of it. */
export interface CreateWorkerOptions {
  readonly taskQueue?: string;
  /** What Temporal records for this process's polls and tasks; the SDK's `<pid>@<host>` by default. */
  readonly identity?: string;
  /** Activities run at once on the main task queue; the SDK's default otherwise. */
  readonly maxActivities?: number;
  /** After shutdown() is asked, how long in-flight tasks may finish before their activities are cancelled; the SDK's 0 otherwise. */
  readonly shutdownGraceMs?: number;
  /** More activity interceptors, after the failure interceptor, on both queues. */
  readonly activityInterceptors?: readonly ActivityInterceptorsFactory[];
}

/** The options that were given, without the absent ones (an explicit undefined would replace the SDK's default). */
function given<T extends Record<string, unknown>>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

export async function createWorker(options: CreateWorkerOptions = {}): Promise<CreatedWorker> {
  const config = loadConfig();
  requireSecrets(config);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const deps = activityDeps(config);
  const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
  const activities = createActivities(deps);
  const metrics = createWorkerMetrics();
  const common = {
    connection,
    namespace: config.temporal.namespace,
    workflowsPath: require.resolve('../workflows'),
    activities,
    interceptors: { activity: [activityFailureInterceptors(metrics), ...(options.activityInterceptors ?? [])] },
    ...given({ identity: options.identity, shutdownGraceTime: options.shutdownGraceMs }),
  };
  const worker = await Worker.create({
    ...common,
    taskQueue,
    ...given({ maxConcurrentActivityTaskExecutions: options.maxActivities }),
  });
  // Backfills and their children run on their own queue and slots, so live work never waits behind them.
  const backfillWorker = await Worker.create({
    ...common,
    taskQueue: config.backfill.taskQueue,
    maxConcurrentActivityTaskExecutions: config.backfill.maxActivities,
    maxConcurrentWorkflowTaskExecutions: config.backfill.maxWorkflowTasks,
  });
  Runtime.instance().logger.info('clicklake worker: created', {
    namespace: config.temporal.namespace,
    taskQueue,
    workflows: Object.keys(workflows).sort(),
    activities: Object.keys(activities).sort(),
  });
  return { worker, connection, deps, metrics, backfillWorker };
}

/**
 * Serves the worker's metrics. A port already taken does not stop the worker (its activities matter
 * more than their counters): the failure is logged and the worker runs without the endpoint.
 */
async function startMetrics(metrics: WorkerMetrics, config: ClicklakeConfig): Promise<{ server: Server } | undefined> {
  const logger = Runtime.instance().logger;
  try {
    const served = await serveMetrics(metrics.registry, config.worker.host, config.worker.metricsPort);
    logger.info('clicklake worker: metrics', { url: `http://${served.address}/metrics` });
    return served;
  } catch (err) {
    logger.error('clicklake worker: metrics not served', { port: config.worker.metricsPort, error: errorMessage(err) });
    return undefined;
  }
}

if (require.main === module) {
  createWorker()
    .then(async ({ worker, connection, deps, metrics, backfillWorker }) => {
      const logger = Runtime.instance().logger;
      const served = await startMetrics(metrics, deps.config);
      const stop = (signal: NodeJS.Signals): void => {
        logger.info('clicklake worker: stopping', { signal });
        worker.shutdown();
        backfillWorker.shutdown();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      logger.info('clicklake worker: running', { taskQueue: worker.options.taskQueue });
      await Promise.all([worker.run(), backfillWorker.run()]);
      await connection.close();
      deps.redis.disconnect();
      if (served) await new Promise<void>((resolve) => served.server.close(() => resolve()));
      logger.info('clicklake worker: stopped', { taskQueue: worker.options.taskQueue });
    })
    .catch((err: unknown) => {
      Runtime.instance().logger.error('clicklake worker: failed', { error: errorMessage(err) });
      process.stderr.write(`temporal worker: ${errorMessage(err)}\n`);
      process.exit(1);
    });
}
