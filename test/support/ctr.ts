/**
 * Helpers of the real-time CTR tests and benchmark: a config of their own (topic, dead-letter topic,
 * consumer group, Redis prefix), realistic accepted events from the traffic model, Avro-framed
 * production straight onto a topic, the counts Redis holds, and the counts the contract asks for
 * (expectedCtr, computed here and not with core/ctr, which the consumer counts with), in one shape
 * so a test compares them in one toEqual.
 */
import type Redis from 'ioredis';
import { consumeCtr, ctrLag, type CtrDeps, type CtrProgress } from '../../activities/ctr';
import { Partitioners, type Admin, type Kafka, type Message } from 'kafkajs';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import type { ClicklakeConfig } from '../../core/config';
import { minuteLabel, type CtrDelta } from '../../core/ctr';
import { defaultValidationContext, validateEvent } from '../../core/event';
import { createTrafficModel, type TrafficOptions } from '../../core/generator';
import { messageKey } from '../../core/partitioning';
import { compareText } from '../../core/text';
import { MINUTE_MS } from '../../core/time';
import { frame } from '../../core/wireFormat';
import { eventAvroType, eventSchemaText } from '../../schemas/event';
import type { EventRecord } from '../../schemas/eventRecord';
import { uniqueName } from './stack';

export interface CtrTestNames {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly group: string;
  readonly prefix: string;
}

/** The stack's config pointed at a topic, dead-letter topic, group and Redis prefix of one test. */
export function ctrTestConfig(base: ClicklakeConfig, names: CtrTestNames): ClicklakeConfig {
  return {
    ...base,
    kafka: { ...base.kafka, eventsTopic: names.topic, deadLetterTopic: names.deadLetterTopic },
    ctr: { ...base.ctr, group: names.group, keyPrefix: names.prefix },
  };
}

export interface CtrTestBed {
  readonly names: CtrTestNames;
  readonly config: ClicklakeConfig;
  /** Id of the event schema, registered under the topic's value subject. */
  readonly schemaId: number;
  /** Deletes the topics, the subject and every Redis key under the prefix. */
  cleanup(redis: Redis): Promise<void>;
}

/** Fresh names, the topic (`partitions`) and its dead-letter topic, and the event schema registered. */
export async function ctrTestBed(admin: Admin, base: ClicklakeConfig, partitions: number): Promise<CtrTestBed> {
  const names: CtrTestNames = {
    topic: uniqueName('test.ctr'),
    deadLetterTopic: uniqueName('test.ctr.dlq'),
    group: uniqueName('test-ctr'),
    prefix: uniqueName('testctr'),
  };
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: names.topic, numPartitions: partitions },
      { topic: names.deadLetterTopic, numPartitions: 2 },
    ],
  });
  const registry = new SchemaRegistryClient(base.schemaRegistry.url);
  const subject = `${names.topic}-value`;
  const schemaId = await registry.register(subject, eventSchemaText());
  return {
    names,
    config: ctrTestConfig(base, names),
    schemaId,
    async cleanup(redis) {
      await admin.deleteTopics({ topics: [names.topic, names.deadLetterTopic] }).catch(() => undefined);
      await registry.deleteSubject(subject).catch(() => undefined);
      await deletePrefix(redis, names.prefix);
    },
  };
}

/**
 * `count` accepted events from the seeded traffic model as the collector would have stamped them
 * at `nowMs`, in receive order: duplicates (verbatim re-sends), late and quarantined events included,
 * malformed ones (which the collector rejects) left out.
 */
export function acceptedEvents(count: number, nowMs: number, traffic: Partial<TrafficOptions> = {}): EventRecord[] {
  const model = createTrafficModel({ seed: 11, campaigns: 20, users: 2000, titles: 50, duplicateFraction: 0.05, lateFraction: 0.05, tooLateFraction: 0.02, ...traffic });
  const ctx = defaultValidationContext(nowMs);
  const out: EventRecord[] = [];
  while (out.length < count) {
    for (const wire of model.nextBatch(Math.min(1000, count - out.length), nowMs).events) {
      const checked = validateEvent(wire, ctx);
      if (checked.ok) out.push(checked.event);
    }
  }
  return out;
}

/** Avro + Confluent framing, keyed by user_id, Kafka's default partitioner, acks=all. */
export async function produceEvents(kafka: Kafka, topic: string, schemaId: number, events: readonly EventRecord[]): Promise<void> {
  const type = eventAvroType();
  await produceRaw(
    kafka,
    topic,
    events.map((e) => ({ key: messageKey(e), value: frame(schemaId, type.toBuffer(e)) })),
  );
}

/** Sends events in steps of 250, 50 ms apart, so records flow while a test starts, stops or kills consumers. */
export class EventTrickle {
  private sent = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly schemaId: number,
    private readonly events: readonly EventRecord[],
  ) {}

  /** Sends until `until` holds, `max` more were sent, or all were. */
  async run(until: () => boolean | Promise<boolean>, max = Number.POSITIVE_INFINITY): Promise<void> {
    const stop = Math.min(this.events.length, this.sent + max);
    while (this.sent < stop && !(await until())) {
      const next = Math.min(stop, this.sent + 250);
      await produceEvents(this.kafka, this.topic, this.schemaId, this.events.slice(this.sent, next));
      this.sent = next;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The events sent so far, in order. */
  produced(): EventRecord[] {
    return this.events.slice(0, this.sent);
  }
}

export async function produceRaw(kafka: Kafka, topic: string, messages: readonly Message[]): Promise<void> {
  // An idempotent producer keeps retrying (a limit would weaken its guarantees); jest's timeout bounds the test.
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: Number.MAX_SAFE_INTEGER } });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 2000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
    }
  } finally {
    await producer.disconnect();
  }
}

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}

/**
 * The minute CTR counts CONTRACT §2/§3 ask for, written here without core/ctr so that a counting bug
 * there is not on both sides of a test: ad_impression and ad_click events with a campaign, not
 * quarantined, each event_id once (its first copy), by UTC minute of event_time and campaign; sorted
 * by minute, then campaign, as redisCounts lists them.
 */
export function expectedCtr(events: readonly EventRecord[]): CtrDelta[] {
  const seen = new Set<string>();
  const rows = new Map<string, { campaign_id: string; minute: string; impressions: number; clicks: number }>();
  for (const event of events) {
    if (seen.has(event.event_id)) continue;
    seen.add(event.event_id);
    const counter = event.event_type === 'ad_impression' ? 'impressions' : event.event_type === 'ad_click' ? 'clicks' : undefined;
    if (counter === undefined || event.campaign_id === null || event.quarantine_reason !== null) continue;
    const minute = `${new Date(event.event_time - (event.event_time % 60_000)).toISOString().slice(0, 16)}:00Z`;
    const id = `${minute} ${event.campaign_id}`;
    const row = rows.get(id) ?? { campaign_id: event.campaign_id, minute, impressions: 0, clicks: 0 };
    row[counter]++;
    rows.set(id, row);
  }
  return [...rows.values()].sort((a, b) => (a.minute === b.minute ? (a.campaign_id < b.campaign_id ? -1 : 1) : a.minute < b.minute ? -1 : 1));
}

/** Every count under the prefix, as expectedCtr lists them (minute, then campaign). */
export async function redisCounts(redis: Redis, prefix: string): Promise<CtrDelta[]> {
  const rows = new Map<string, { campaign_id: string; minute: number; impressions: number; clicks: number }>();
  for (const key of await scanKeys(redis, `${prefix}:m:*`)) {
    const stamp = key.slice(`${prefix}:m:`.length);
    const minute =
      Date.UTC(Number(stamp.slice(0, 4)), Number(stamp.slice(4, 6)) - 1, Number(stamp.slice(6, 8)), Number(stamp.slice(8, 10)), Number(stamp.slice(10, 12))) /
      MINUTE_MS;
    for (const [field, value] of Object.entries(await redis.hgetall(key))) {
      const campaign = field.slice(2);
      const id = `${minute}\n${campaign}`;
      const row = rows.get(id) ?? { campaign_id: campaign, minute, impressions: 0, clicks: 0 };
      if (field.startsWith('i:')) row.impressions += Number(value);
      else row.clicks += Number(value);
      rows.set(id, row);
    }
  }
  return [...rows.values()]
    .sort((a, b) => a.minute - b.minute || compareText(a.campaign_id, b.campaign_id))
    .map((r) => ({ campaign_id: r.campaign_id, minute: minuteLabel(r.minute), impressions: r.impressions, clicks: r.clicks }));
}

/** Deletes every key under the prefix (buckets, offsets, dedup marks). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await scanKeys(redis, `${prefix}:*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
}

export interface RunningConsumer {
  /** Settles when it stops: with its progress, or with the error it crashed on. */
  readonly done: Promise<CtrProgress>;
  /** Stops it cleanly; resolves with its progress (rejects if it crashed). */
  stop(): Promise<CtrProgress>;
  /** Its progress as last reported. */
  progress(): CtrProgress | undefined;
}

/** A consumer run in this process (the activity's loop, without Temporal around it). */
export function startCtrConsumer(deps: CtrDeps): RunningConsumer {
  const controller = new AbortController();
  let last: CtrProgress | undefined;
  const done = consumeCtr(deps, {
    signal: controller.signal,
    onProgress: (p) => (last = { ...p }),
    tuning: { sessionTimeoutMs: 10_000 },
    log: process.env.CTR_DEBUG ? (m, f) => console.log(m, JSON.stringify(f)) : undefined,
  });
  done.catch(() => undefined);
  return {
    done,
    stop: () => {
      controller.abort();
      return done;
    },
    progress: () => last,
  };
}

/** Whether every record of the topic has been applied under the prefix. */
export async function caughtUp(redis: Redis, kafka: Kafka, names: CtrTestNames): Promise<boolean> {
  return (await ctrLag(redis, kafka, names.topic, names.prefix)).total === 0;
}

/** Waits until nothing is left to apply, then stops the consumer (stops it on a timeout too). */
export async function untilCaughtUp(consumer: RunningConsumer, redis: Redis, kafka: Kafka, names: CtrTestNames): Promise<CtrProgress> {
  try {
    await waitFor('the consumer to catch up', () => caughtUp(redis, kafka, names), 60_000);
  } finally {
    await consumer.stop().catch(() => undefined);
  }
  return consumer.stop();
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
