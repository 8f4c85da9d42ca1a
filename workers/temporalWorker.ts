/** The Temporal worker process: runs every clicklake workflow and activity on the task queue. */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { createKafka, createRedis, createS3, Presto } from '../activities/clients';
import { SchemaRegistryClient } from '../activities/schemaRegistry';
import { requireSecrets, type ClicklakeConfig } from '../core/config';
import { loadConfig } from './config';

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
  };
}

export async function createWorker(options: { taskQueue?: string } = {}): Promise<{ worker: Worker; connection: NativeConnection; deps: ActivityDeps }> {
  const config = loadConfig();
  requireSecrets(config);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const deps = activityDeps(config);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities(deps),
  });
  return { worker, connection, deps };
}

if (require.main === module) {
  createWorker()
    .then(async ({ worker, connection, deps }) => {
      const stop = (): void => worker.shutdown();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      await worker.run();
      await connection.close();
      deps.redis.disconnect();
    })
    .catch((err: unknown) => {
      process.stderr.write(`temporal worker: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
