/**
 * The CTR consumer when Redis misbehaves: Redis restarted (from its append-only file) while records
 * flow, under the real workflow on a worker, so Temporal's own retry policy restarts the consumer the
 * outage crashed; and Redis losing its latest writes of a partition (what a crash between AOF fsyncs
 * does). Counts still equal the ground truth once the consumer has caught up.
 */
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Admin } from 'kafkajs';
import { createCtrActivities, type CtrDeps } from '../../activities/ctr';
import { connectTemporal, createKafka, createRedis } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import { bucketKey, counterField, ctrContribution, offsetKey, seenKey } from '../../core/ctr';
import { HEADER_BYTES } from '../../core/wireFormat';
import { eventAvroType } from '../../schemas/event';
import type { EventRecord } from '../../schemas/eventRecord';
import { runCtrConsumer } from '../../workflows';
import { acceptedEvents, caughtUp, ctrTestBed, EventTrickle, expectedCtr, produceEvents, redisCounts, startCtrConsumer, waitFor, type CtrTestBed } from '../support/ctr';
import { readRange } from '../support/kafka';
import { redisServer } from '../support/redis';
import { stackConfig, uniqueName } from '../support/stack';

describe('the CTR consumer when Redis misbehaves', () => {
  const base = stackConfig();
  const kafka = createKafka(base.kafka, { clientId: 'clicklake-test-ctr-redis' });
  const redis = createRedis(base.redis);
  const registry = new SchemaRegistryClient(base.schemaRegistry.url);
  const server = redisServer(base);
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
    await server.ensureUp();
    for (const bed of beds) await bed.cleanup(redis).catch(() => undefined);
    await admin.disconnect();
    await closeClient();
    redis.disconnect();
  });

  async function testBed(partitions: number): Promise<{ bed: CtrTestBed; deps: CtrDeps }> {
    const bed = await ctrTestBed(admin, base, partitions);
    beds.push(bed);
    return { bed, deps: { config: bed.config, kafka, redis, registry } };
  }

  it('keeps exact counts across a Redis restart from its append-only file while records flow: Temporal retries the crashed consumer', async () => {
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    const { bed, deps } = await testBed(4);
    const events = acceptedEvents(16_000, Date.now(), { seed: 53 });
    const trickle = new EventTrickle(kafka, bed.names.topic, bed.schemaId, events);
    const taskQueue = uniqueName('test-ctr-redis');
    const connection = await NativeConnection.connect({ address: base.temporal.address });
    // The real workflow and activity on a worker of this test: the activity's retry policy (SERVICE_RETRY)
    // is what starts the consumer again after the outage crashed it.
    const worker = await Worker.create({
      connection,
      namespace: base.temporal.namespace,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      maxHeartbeatThrottleInterval: '1 second',
      activities: createCtrActivities(deps),
    });
    const running = worker.run();
    const handle = await client.workflow.start(runCtrConsumer, { taskQueue, workflowId: uniqueName('ctr-consumer-redis'), args: [{}] });
    const pending = async (): Promise<{ attempt: number; failure: string | undefined }> => {
      const activity = (await handle.describe()).raw.pendingActivities?.[0];
      return { attempt: activity?.attempt ?? 0, failure: activity?.lastFailure?.message ?? undefined };
    };
    try {
      await trickle.run(async () => (await redisCounts(redis, bed.names.prefix)).length > 0, 6000);
      expect((await redisCounts(redis, bed.names.prefix)).length).toBeGreaterThan(0);
      expect(await pending()).toEqual({ attempt: 1, failure: undefined });

      // SIGTERM: Redis writes out its append-only file and exits. It stays down until the consumer's
      // attempt has failed (kafkajs gives up on the batch after its retries) and Temporal has noted it.
      try {
        expect(await server.stop()).toBe(true);
        await trickle.run(() => false, 2000);
        await waitFor('the consumer activity to fail on the outage', async () => (await pending()).failure !== undefined, 60_000, 500);
      } finally {
        await server.ensureUp();
      }
      const uptime = Number(/uptime_in_seconds:(\d+)/.exec(await redis.info('server'))?.[1]);
      expect(uptime).toBeLessThan(60);

      await trickle.run(() => false);
      await waitFor('the retried consumer to catch up', () => caughtUp(redis, kafka, bed.names), 90_000, 500);
      // The attempt running now is one Temporal started again after a failed one.
      expect((await pending()).attempt).toBeGreaterThan(1);
    } finally {
      await handle.cancel().catch(() => undefined);
      await handle.result().catch(() => undefined);
      worker.shutdown();
      await running;
      await connection.close();
    }
    expect(await redisCounts(redis, bed.names.prefix)).toEqual(expectedCtr(events));
  }, 240_000);

  it('reads a partition again when Redis lost its latest writes (offset, counts and dedup marks together)', async () => {
    const { bed, deps } = await testBed(2);
    const events = acceptedEvents(6000, Date.now(), { seed: 59 });
    await produceEvents(kafka, bed.names.topic, bed.schemaId, events.slice(0, 4000));
    const consumer = startCtrConsumer(deps);
    try {
      await waitFor('the consumer to catch up', () => caughtUp(redis, kafka, bed.names), 60_000);
      const prefix = bed.names.prefix;
      const oKey = offsetKey(prefix, bed.names.topic, 0);
      const stored = Number(await redis.get(oKey));
      const lost = 300;

      // What the lost writes had done: the records of partition 0 after stored - lost, in offset order.
      const type = eventAvroType();
      const records = (await readRange(kafka, bed.names.topic, new Map([[0, 0n]]), new Map([[0, BigInt(stored) + 1n]]))).map((m) => ({
        offset: Number(m.offset),
        event: type.fromBuffer((m.value as Buffer).subarray(HEADER_BYTES)) as EventRecord,
      }));
      const firstSeen = new Map<string, number>();
      for (const r of records) if (!firstSeen.has(r.event.event_id)) firstSeen.set(r.event.event_id, r.offset);
      const rollback = redis.multi();
      for (const r of records) {
        const add = ctrContribution(r.event);
        if (r.offset <= stored - lost || add === undefined || firstSeen.get(r.event.event_id) !== r.offset) continue;
        rollback.hincrby(bucketKey(prefix, add.minute), counterField(add.counter, add.campaignId), -1);
        rollback.del(seenKey(prefix, r.event.event_id));
      }
      rollback.set(oKey, String(stored - lost));
      await rollback.exec();
      expect(await redisCounts(redis, prefix)).not.toEqual(expectedCtr(events.slice(0, 4000)));

      // The consumer's position is past the stored offset: its next batch of partition 0 shows the hole.
      await produceEvents(kafka, bed.names.topic, bed.schemaId, events.slice(4000));
      await waitFor('the consumer to catch up again', () => caughtUp(redis, kafka, bed.names), 60_000);
      expect(Number(await redis.get(oKey))).toBeGreaterThan(stored);
    } finally {
      await consumer.stop();
    }
    expect(await redisCounts(redis, bed.names.prefix)).toEqual(expectedCtr(events));
  }, 120_000);
});
