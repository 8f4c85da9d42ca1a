/** The Temporal worker process: runs every clicklake workflow and activity on the task queue. */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig } from './config';

export async function createWorker(options: { taskQueue?: string } = {}): Promise<{ worker: Worker; connection: NativeConnection }> {
  const config = loadConfig();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities(),
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
