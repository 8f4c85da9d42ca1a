/**
 * The CTR consumer when Redis misbehaves: Redis restarted (from its append-only file) while records
 * flow, and Redis losing its latest writes of a partition (what a crash between AOF fsyncs does).
 * Counts still equal the ground truth once the consumer has caught up.
 */
import type { Admin } from 'kafkajs';
import type { CtrDeps, CtrProgress } from '../../activities/ctr';
import { createKafka, createRedis } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import { aggregateCtr, bucketKey, counterField, ctrContribution, offsetKey, seenKey } from '../../core/ctr';
import { HEADER_BYTES } from '../../core/wireFormat';
import { layoutOf } from '../../infra/layout';
import { stopDaemon } from '../../infra/process';
import { redis as redisService } from '../../infra/services/redis';
import { eventAvroType } from '../../schemas/event';
import type { EventRecord } from '../../schemas/eventRecord';
import { acceptedEvents, caughtUp, ctrTestBed, EventTrickle, produceEvents, redisCounts, startCtrConsumer, waitFor, type CtrTestBed, type RunningConsumer } from '../support/ctr';
import { readRange } from '../support/kafka';
import { stackConfig } from '../support/stack';

describe('the CTR consumer when Redis misbehaves', () => {
  const base = stackConfig();
  const kafka = createKafka(base.kafka, { clientId: 'clicklake-test-ctr-redis' });
  const redis = createRedis(base.redis);
  const registry = new SchemaRegistryClient(base.schemaRegistry.url);
  const service = { config: base, layout: layoutOf(base.paths), progress: () => undefined };
  let admin: Admin;
  const beds: CtrTestBed[] = [];

  /** Starts Redis again if a test left it stopped, and waits until it answers. */
  async function ensureRedisUp(): Promise<void> {
    if ((await redisService.probe(service)).healthy) return;
    await redisService.start(service);
    await waitFor('Redis to answer', async () => (await redisService.probe(service)).healthy, 20_000);
  }

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await ensureRedisUp();
    for (const bed of beds) await bed.cleanup(redis).catch(() => undefined);
    await admin.disconnect();
    redis.disconnect();
  });

  async function testBed(partitions: number): Promise<{ bed: CtrTestBed; deps: CtrDeps }> {
    const bed = await ctrTestBed(admin, base, partitions);
    beds.push(bed);
    return { bed, deps: { config: bed.config, kafka, redis, registry } };
  }

  /** Runs consumers one after another, as Temporal would: a crashed one is replaced after a second. */
  function supervise(deps: CtrDeps): { stop: () => Promise<void>; progress: () => CtrProgress | undefined; crashes: () => number } {
    let current: RunningConsumer = startCtrConsumer(deps);
    let stopped = false;
    let crashes = 0;
    const loop = (async () => {
      while (!stopped) {
        try {
          await current.done;
        } catch {
          crashes++;
          await new Promise((r) => setTimeout(r, 1000));
          if (!stopped) current = startCtrConsumer(deps);
        }
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        await current.stop().catch(() => undefined);
        await loop;
      },
      progress: () => current.progress(),
      crashes: () => crashes,
    };
  }

  it('keeps exact counts across a Redis restart from its append-only file while records flow', async () => {
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    const { bed, deps } = await testBed(4);
    const events = acceptedEvents(16_000, Date.now(), { seed: 53 });
    const trickle = new EventTrickle(kafka, bed.names.topic, bed.schemaId, events);
    const consumer = supervise(deps);
    try {
      await trickle.run(async () => (await redisCounts(redis, bed.names.prefix)).length > 0, 6000);
      const countedBefore = await redisCounts(redis, bed.names.prefix);
      expect(countedBefore.length).toBeGreaterThan(0);

      // SIGTERM: Redis writes out its append-only file and exits; started again, it loads it back.
      try {
        expect(await stopDaemon(service.layout.pidFile('redis'), 30_000)).toBe(true);
        await trickle.run(() => false, 2000);
      } finally {
        await ensureRedisUp();
      }
      const uptime = Number(/uptime_in_seconds:(\d+)/.exec(await redis.info('server'))?.[1]);
      expect(uptime).toBeLessThan(60);

      await trickle.run(() => false);
      await waitFor('the consumer to catch up', () => caughtUp(redis, kafka, bed.names), 90_000, 500);
    } finally {
      await consumer.stop();
    }
    expect(await redisCounts(redis, bed.names.prefix)).toEqual(aggregateCtr(events));
  }, 180_000);

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
      expect(await redisCounts(redis, prefix)).not.toEqual(aggregateCtr(events.slice(0, 4000)));

      // The consumer's position is past the stored offset: its next batch of partition 0 shows the hole.
      await produceEvents(kafka, bed.names.topic, bed.schemaId, events.slice(4000));
      await waitFor('the consumer to catch up again', () => caughtUp(redis, kafka, bed.names), 60_000);
      expect(Number(await redis.get(oKey))).toBeGreaterThan(stored);
    } finally {
      await consumer.stop();
    }
    expect(await redisCounts(redis, bed.names.prefix)).toEqual(aggregateCtr(events));
  }, 120_000);
});
