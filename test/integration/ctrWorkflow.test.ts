/**
 * The CTR consumer workflow on the real Temporal dev server: started idempotently, cancelled and
 * started again, continued as new, and its worker killed with SIGKILL mid-stream. Each time the
 * counts in Redis equal the ground truth of what was produced.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Admin } from 'kafkajs';
import { createCtrActivities, ctrLag } from '../../activities/ctr';
import { connectTemporal, createKafka, createRedis } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import { repoPath } from '../../infra/repo';
import { ensureCtrConsumer } from '../../workers/ctrConsumer';
import { runCtrConsumer } from '../../workflows';
import { acceptedEvents, ctrTestBed, EventTrickle, expectedCtr, redisCounts, waitFor, type CtrTestBed } from '../support/ctr';
import { stackConfig, uniqueName } from '../support/stack';

describe('the CTR consumer workflow', () => {
  const base = stackConfig();
  const kafka = createKafka(base.kafka, { clientId: 'clicklake-test-ctr-wf' });
  const redis = createRedis(base.redis);
  let admin: Admin;
  let client: Client;
  let closeClient: () => Promise<void>;
  const beds: CtrTestBed[] = [];

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    admin = kafka.admin();
    await admin.connect();
    const connection = await connectTemporal(base.temporal);
    client = new Client({ connection, namespace: base.temporal.namespace });
    closeClient = () => connection.close();
  });

  afterAll(async () => {
    for (const bed of beds) await bed.cleanup(redis).catch(() => undefined);
    await admin.disconnect();
    await closeClient();
    redis.disconnect();
  });

  async function testBed(partitions: number): Promise<CtrTestBed> {
    const bed = await ctrTestBed(admin, base, partitions);
    beds.push(bed);
    return bed;
  }

  const lag = async (bed: CtrTestBed): Promise<number> => (await ctrLag(redis, kafka, bed.names.topic, bed.names.prefix)).total;

  const groupState = async (group: string): Promise<string | undefined> => (await admin.describeGroups([group])).groups[0]?.state;

  it('starts once, consumes, is cancelled (leaving its group), starts again and continues as new: exact counts', async () => {
    const bed = await testBed(4);
    const taskQueue = uniqueName('test-ctr');
    const workflowId = uniqueName('ctr-consumer');
    const temporal = { temporal: { ...base.temporal, taskQueue } };
    const events = acceptedEvents(12_000, Date.now(), { seed: 41 });
    const trickle = new EventTrickle(kafka, bed.names.topic, bed.schemaId, events);
    const nativeConnection = await NativeConnection.connect({ address: base.temporal.address });
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: base.temporal.namespace,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      // Cancellation reaches an activity with a heartbeat; by default those are throttled to 24 s here.
      maxHeartbeatThrottleInterval: '1 second',
      activities: createCtrActivities({ config: bed.config, kafka, redis, registry: new SchemaRegistryClient(base.schemaRegistry.url) }),
    });
    const running = worker.run();
    try {
      await trickle.run(() => false, 4000);
      expect(await ensureCtrConsumer(client, temporal, workflowId)).toEqual({ workflowId, started: true });
      expect(await ensureCtrConsumer(client, temporal, workflowId)).toEqual({ workflowId, started: false });
      await waitFor('the consumer to catch up', async () => (await lag(bed)) === 0, 60_000);
      expect(await redisCounts(redis, bed.names.prefix)).toEqual(expectedCtr(trickle.produced()));

      // Cancelled: the workflow waits for the activity, which leaves the group and disconnects.
      const handle = client.workflow.getHandle(workflowId);
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      expect(await groupState(bed.names.group)).toBe('Empty');

      // Records arrive while nothing consumes; a second start picks them up.
      await trickle.run(() => false, 4000);
      expect(await lag(bed)).toBeGreaterThan(0);
      expect(await ensureCtrConsumer(client, temporal, workflowId)).toEqual({ workflowId, started: true });
      await waitFor('the restarted consumer to catch up', async () => (await lag(bed)) === 0, 60_000);
      expect(await redisCounts(redis, bed.names.prefix)).toEqual(expectedCtr(trickle.produced()));
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);

      // Short runs: the workflow continues as new after each, and nothing is lost between runs.
      const first = await client.workflow.start(runCtrConsumer, { taskQueue, workflowId, args: [{ runForMs: 2000 }] });
      await trickle.run(async () => (await handle.describe()).runId !== first.firstExecutionRunId);
      await waitFor('a continued run', async () => (await handle.describe()).runId !== first.firstExecutionRunId, 30_000);
      await trickle.run(() => false);
      await waitFor('the consumer to catch up', async () => (await lag(bed)) === 0, 60_000);
      expect(await redisCounts(redis, bed.names.prefix)).toEqual(expectedCtr(events));
      await handle.cancel();
      await handle.result().catch(() => undefined);
    } finally {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    }
  }, 240_000);

  it('survives SIGKILL of the worker running the consumer mid-stream: Temporal restarts it elsewhere, counts stay exact', async () => {
    const bed = await testBed(4);
    const built = (src: string, out: string): boolean => fs.statSync(repoPath('dist', out)).mtimeMs >= fs.statSync(repoPath(src)).mtimeMs;
    if (!built('activities/ctr.ts', 'activities/ctr.js') || !built('workflows/runCtrConsumer.ts', 'workflows/runCtrConsumer.js')) {
      throw new Error('dist/ is older than the CTR sources: run `npx tsc -p tsconfig.json` first (this test runs the real worker entrypoint)');
    }
    const taskQueue = uniqueName('test-ctr');
    const workflowId = uniqueName('ctr-consumer');
    const logFile = path.join(os.tmpdir(), `${workflowId}.log`);
    const env = {
      ...process.env,
      CLICKLAKE_TASK_QUEUE: taskQueue,
      CLICKLAKE_EVENTS_TOPIC: bed.names.topic,
      CLICKLAKE_DEAD_LETTER_TOPIC: bed.names.deadLetterTopic,
      CLICKLAKE_CTR_GROUP: bed.names.group,
      CLICKLAKE_CTR_KEY_PREFIX: bed.names.prefix,
    };
    const spawnWorker = (): ChildProcess => {
      const log = fs.openSync(logFile, 'a');
      const child = spawn(process.execPath, ['--require', repoPath('bin', 'node-warnings.js'), repoPath('dist', 'workers', 'temporalWorker.js')], {
        env,
        stdio: ['ignore', log, log],
      });
      fs.closeSync(log);
      return child;
    };
    const exited = (child: ChildProcess): Promise<void> => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

    const events = acceptedEvents(16_000, Date.now(), { seed: 43 });
    const trickle = new EventTrickle(kafka, bed.names.topic, bed.schemaId, events);
    const first = spawnWorker();
    let second: ChildProcess | undefined;
    const handle = await client.workflow.start(runCtrConsumer, { taskQueue, workflowId, args: [{}] });
    try {
      await waitFor('the consumer to join its group', async () => (await groupState(bed.names.group)) === 'Stable', 60_000);
      // Mid-stream: once the consumer has applied something, while records keep coming.
      await trickle.run(async () => (await redisCounts(redis, bed.names.prefix)).length > 0, 8000);
      expect((await redisCounts(redis, bed.names.prefix)).length).toBeGreaterThan(0);
      first.kill('SIGKILL');
      await exited(first);
      await trickle.run(() => false, 4000);
      expect(await lag(bed)).toBeGreaterThan(0);

      second = spawnWorker();
      await trickle.run(() => false);
      // The heartbeat timeout (30 s) notices the dead worker; the session timeout (30 s) frees its partitions.
      await waitFor('the restarted consumer to catch up', async () => (await lag(bed)) === 0, 150_000, 1000);
      expect(await redisCounts(redis, bed.names.prefix)).toEqual(expectedCtr(events));
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      expect(pending.length).toBe(1);
      expect(pending[0]?.attempt ?? 0).toBeGreaterThan(1);
    } finally {
      await handle.cancel().catch(() => undefined);
      await handle.result().catch(() => undefined);
      for (const child of [first, second]) {
        if (child && child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited(child);
        }
      }
    }
  }, 300_000);
});
