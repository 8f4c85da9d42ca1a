/** `clicklake compact [--dt DATE]`: compact a closed day's Bronze and drop expired versions (workflow compactDay), and wait. */
import { parseDay } from '../../core/time';
import { loadConfig } from '../config';
import { defineCommand, textOption } from './command';
import { checkWith } from './promote';

export const compactCommand = defineCommand({
  name: 'compact',
  summary: 'merge a closed day\'s small Bronze objects and delete its expired Silver and Gold versions (default: the day before yesterday), and wait',
  options: {
    dt: textOption('YYYY-MM-DD', 'the day to compact (UTC); default the day before yesterday', { check: checkWith(parseDay) }),
  },
  async run({ dt }) {
    const [{ Client, WorkflowExecutionAlreadyStartedError }, { connectTemporal }, { defaultCompactionDay }, { compactDay }, { compactDayWorkflowId }] = await Promise.all([
      import('@temporalio/client'),
      import('../../activities/clients'),
      import('../../core/compaction'),
      import('../../workflows'),
      import('../../workflows/compactDay'),
    ]);
    const config = loadConfig();
    const day = dt ?? defaultCompactionDay(Date.now());
    const connection = await connectTemporal(config.temporal);
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace });
      const workflowId = compactDayWorkflowId(day);
      let result: Awaited<ReturnType<typeof compactDay>>;
      try {
        result = await client.workflow.execute(compactDay, { workflowId, taskQueue: config.temporal.taskQueue, args: [{ dt: day }] });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        result = (await client.workflow.getHandle(workflowId).result()) as typeof result;
      }
      const b = result.bronze;
      return {
        value: result,
        text: () => `compacted ${result.dt}: Bronze objects ${b.objects_before} -> ${b.objects_after} (${b.bytes_before} -> ${b.bytes_after} bytes); ${result.versions_deleted} expired version(s) deleted\n`,
      };
    } finally {
      await connection.close();
    }
  },
});
