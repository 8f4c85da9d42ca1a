/** The Temporal worker process: runs every clicklake workflow and activity on the task queue. */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { createKafka, createS3 } from '../activities/clients';
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
  };
}

export async function createWorker(options: { taskQueue?: string } = {}): Promise<{ worker: Worker; connection: NativeConnection }> {
  const config = loadConfig();
  requireSecrets(config);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities(activityDeps(config)),
  });
  return { worker, connection };
}

if (require.main === module) {
  createWorker()
    .then(async ({ worker, connection }) => {
      const stop = (): void => worker.shutdown();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      await worker.run();
      await connection.close();
    })
    .catch((err: unknown) => {
      process.stderr.write(`temporal worker: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
