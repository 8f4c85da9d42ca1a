/** The Temporal worker process: runs every clicklake workflow and activity on the task queue. */
import type { Server } from 'node:http';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
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

export async function createWorker(options: { taskQueue?: string } = {}): Promise<CreatedWorker> {
  const config = loadConfig();
  requireSecrets(config);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const deps = activityDeps(config);
  const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
  const activities = createActivities(deps);
  const metrics = createWorkerMetrics();
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities,
    interceptors: { activity: [activityFailureInterceptors(metrics)] },
  });
  // Backfills and their children run on their own queue and slots, so live work never waits behind them.
  const backfillWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.backfill.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities,
    interceptors: { activity: [activityFailureInterceptors(metrics)] },
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
