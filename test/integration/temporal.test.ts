import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { activityDeps } from '../../workers/temporalWorker';
import { connectTemporal } from '../../activities/clients';
import { SEARCH_ATTRIBUTES } from '../../core/searchAttributes';
import { stackProbe } from '../../workflows';
import { stackConfig, uniqueName } from '../support/stack';

describe('Temporal dev server', () => {
  const config = stackConfig();

  beforeAll(() => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  });

  it('runs a workflow to completion through a worker on its own task queue', async () => {
    const taskQueue = uniqueName('test-probe');
    const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities: createActivities(activityDeps(config)),
    });
    const connection = await connectTemporal(config.temporal);
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const workflowId = uniqueName('probe');
    try {
      const result = await worker.runUntil(
        client.workflow.execute(stackProbe, { taskQueue, workflowId, args: ['nonce-123'], workflowExecutionTimeout: '60 seconds' }),
      );
      expect(result).toEqual({ workflowId, worker: `${taskQueue}@${process.pid}`, nonce: 'nonce-123' });
      const described = await client.workflow.getHandle(workflowId).describe();
      expect(described.status.name).toBe('COMPLETED');
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
  }, 120_000);

  it('has the lake search attributes registered', async () => {
    const connection = await connectTemporal(config.temporal);
    try {
      const res = await connection.operatorService.listSearchAttributes({ namespace: config.temporal.namespace });
      const registered = Object.keys(res.customAttributes ?? {});
      expect(registered).toEqual(expect.arrayContaining(Object.keys(SEARCH_ATTRIBUTES)));
    } finally {
      await connection.close();
    }
  });
});
