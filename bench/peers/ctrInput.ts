/**
 * bench/peers/ctrInput: the input and the measurements of bench/ctr, shared with its peers (Flink).
 *
 * - fillCtrBenchTopic: the pre-filled bench topic of bench/ctr's saturation part, built the same way
 *   (12 partitions; accepted events from the traffic model, 200 campaigns, 100,000 users, 5%
 *   duplicates, 5% late, 2% quarantined, seeds 1000 + offset in steps of 50,000; Avro in the
 *   Confluent framing with the schema registered under the topic's value subject; keyed by user_id).
 *   It also keeps the CTR fields of the events CTR counts, for an in-memory truth (core/ctr.ts aggregateCtr).
 * - drainWithClicklake: bench/ctr's saturation measurement (clicklake's consumer in this process, its
 *   own group and key prefix, process.cpuUsage while draining, Redis's CPU beside it).
 * - measureFreshness: bench/ctr's freshness measurement (20 requests/s through the real collector onto
 *   the real events topic, one probe impression of its own campaign per request, collector's 200 ->
 *   visible through readRealtimeCtr, polled every 20 ms) around any consumer writing clicklake's key
 *   layout under a prefix. For a consumer that only shows a minute once the minute's window closes,
 *   `keepLoadUntilVisible` keeps the traffic flowing (unmeasured) until every measured probe is visible:
 *   event time only moves with events.
 *
 * bench/ctr.ts still holds its own copy of these steps (its file is not this change's); the parameters
 * here are its parameters, so its figures and these are of the same input and the same method.
 */
import type Redis from 'ioredis';
import { consumeCtr, readRealtimeCtr, type CtrDeps, type CtrProgress } from '../../activities/ctr';
import { createKafka } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import type { ClicklakeConfig } from '../../core/config';
import { ctrContribution, offsetKey, type CtrEventFields } from '../../core/ctr';
import { createTrafficModel, type WireEvent } from '../../core/generator';
import { eventSchemaText } from '../../schemas/event';
import { acceptedEvents, ctrTestConfig, deletePrefix, produceEvents, type CtrTestNames } from '../../test/support/ctr';
import { uniqueName } from '../../test/support/stack';

/** bench/ctr's shape of the saturation input. */
export const CTR_BENCH_INPUT = { partitions: 12, campaigns: 200, users: 100_000, chunk: 50_000, seedBase: 1000 } as const;
export const FRESHNESS_REQUESTS_PER_SEC = 20;

export type BenchLog = (line: string) => void;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** used_cpu_user + used_cpu_sys of `INFO cpu`. */
export function redisCpuSeconds(info: string): number {
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

export async function redisServerCpu(redis: Redis): Promise<number> {
  return redisCpuSeconds(await redis.info('cpu'));
}

export interface CtrBenchTopic {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly events: number;
  readonly partitions: number;
  /** The CTR fields of every event CTR counts, in topic-production order (duplicates included). */
  readonly counted: readonly CtrEventFields[];
  /** Deletes the topics and the value subject. */
  cleanup(): Promise<void>;
}

/** A bench topic filled as bench/ctr fills its saturation topic. */
export async function fillCtrBenchTopic(config: ClicklakeConfig, events: number, log: BenchLog = () => undefined): Promise<CtrBenchTopic> {
  const kafka = createKafka(config.kafka, { clientId: 'clicklake-bench-ctr' });
  const topic = uniqueName('clicklake.bench.ctr');
  const deadLetterTopic = uniqueName('clicklake.bench.ctr.dlq');
  const subject = `${topic}-value`;
  const registry = new SchemaRegistryClient(config.schemaRegistry.url);
  const admin = kafka.admin();
  await admin.connect();
  const cleanup = async (): Promise<void> => {
    await admin.deleteTopics({ topics: [topic, deadLetterTopic] }).catch(() => undefined);
    await registry.deleteSubject(subject).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  };
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: CTR_BENCH_INPUT.partitions }, { topic: deadLetterTopic, numPartitions: 1 }] });
    const schemaId = await registry.register(subject, eventSchemaText());
    const startMs = Date.now();
    const counted: CtrEventFields[] = [];
    for (let done = 0; done < events; ) {
      const n = Math.min(CTR_BENCH_INPUT.chunk, events - done);
      const batch = acceptedEvents(n, startMs, { seed: CTR_BENCH_INPUT.seedBase + done, campaigns: CTR_BENCH_INPUT.campaigns, users: CTR_BENCH_INPUT.users });
      await produceEvents(kafka, topic, schemaId, batch);
      for (const e of batch) {
        const fields: CtrEventFields = { event_id: e.event_id, event_type: e.event_type, event_time: e.event_time, campaign_id: e.campaign_id, quarantine_reason: e.quarantine_reason };
        if (ctrContribution(fields) !== undefined) counted.push(fields);
      }
      done += n;
      log(`produced ${done}/${events}`);
    }
    return { topic, deadLetterTopic, events, partitions: CTR_BENCH_INPUT.partitions, counted, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export interface ClicklakeDrain {
  readonly events: number;
  /** CPU seconds of this process while draining (user + system). */
  readonly cpuSec: number;
  /** First applied batch to the last. */
  readonly wallSec: number;
  /** CPU seconds of the Redis server meanwhile (anything else it did then included). */
  readonly redisCpuSec: number;
  readonly progress: CtrProgress;
}

/** bench/ctr's saturation: clicklake's consumer drains the topic into Redis under `prefix`. */
export async function drainWithClicklake(config: ClicklakeConfig, redis: Redis, input: CtrBenchTopic, prefix: string): Promise<ClicklakeDrain> {
  const kafka = createKafka(config.kafka, { clientId: 'clicklake-bench-ctr' });
  const names: CtrTestNames = { topic: input.topic, deadLetterTopic: input.deadLetterTopic, group: uniqueName('bench-ctr'), prefix };
  const deps: CtrDeps = { config: ctrTestConfig(config, names), kafka, redis, registry: new SchemaRegistryClient(config.schemaRegistry.url) };
  const controller = new AbortController();
  let firstBatchAt = 0;
  let last: CtrProgress | undefined;
  let finished: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => (finished = resolve));
  const redisCpu0 = await redisServerCpu(redis);
  const cpu0 = process.cpuUsage();
  const run = consumeCtr(deps, {
    signal: controller.signal,
    onProgress: (p) => {
      if (firstBatchAt === 0 && p.records > 0) firstBatchAt = performance.now();
      last = { ...p };
      if (p.records >= input.events) finished();
    },
  });
  await Promise.race([drained, run]);
  const doneAt = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const redisCpuSec = (await redisServerCpu(redis)) - redisCpu0;
  controller.abort();
  await run;
  if (last === undefined || last.records < input.events) throw new Error(`the clicklake consumer stopped after ${last?.records ?? 0} of ${input.events} records`);
  return { events: input.events, cpuSec: (cpu.user + cpu.system) / 1e6, wallSec: (doneAt - firstBatchAt) / 1000, redisCpuSec, progress: last };
}

/** Stored offsets at the last existing record of every partition, so a clicklake consumer under `prefix` starts at the topic's end. */
export async function startAtTopicEnd(config: ClicklakeConfig, redis: Redis, topic: string, prefix: string): Promise<void> {
  const kafka = createKafka(config.kafka, { clientId: 'clicklake-bench-ctr' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const o of await admin.fetchTopicOffsets(topic)) if (Number(o.high) > 0) await redis.set(offsetKey(prefix, topic, o.partition), String(Number(o.high) - 1));
  } finally {
    await admin.disconnect();
  }
}

/** clicklake's consumer on the real events topic from its end, under `prefix`, as bench/ctr's freshness part runs it; resolves once it has joined. */
export async function followWithClicklake(config: ClicklakeConfig, redis: Redis, prefix: string): Promise<{ stop(): Promise<void> }> {
  const kafka = createKafka(config.kafka, { clientId: 'clicklake-bench-ctr' });
  const deps: CtrDeps = {
    config: { ...config, ctr: { ...config.ctr, group: uniqueName('bench-ctr'), keyPrefix: prefix } },
    kafka,
    redis,
    registry: new SchemaRegistryClient(config.schemaRegistry.url),
  };
  await startAtTopicEnd(config, redis, config.kafka.eventsTopic, prefix);
  const controller = new AbortController();
  const consumer = consumeCtr(deps, { signal: controller.signal });
  consumer.catch(() => undefined);
  await sleep(4000); // the group join (Kafka delays a new group's first rebalance by 3 s)
  return {
    async stop() {
      controller.abort();
      await consumer.catch(() => undefined);
    },
  };
}

export interface FreshnessOptions {
  /** Redis key prefix the consumer under test writes (clicklake's layout, core/ctr.ts). */
  readonly prefix: string;
  readonly rate: number;
  readonly warmupSec: number;
  readonly measureSec: number;
  /** A probe not visible this long after it was sent fails the run. */
  readonly visibleTimeoutMs: number;
  /** Minutes readRealtimeCtr reads back (bench/ctr: 2). */
  readonly readMinutes: number;
  /** Keep sending (unmeasured) after the measured span until every measured probe is visible. */
  readonly keepLoadUntilVisible: boolean;
  /** Seed of the traffic model (bench/ctr: 77). */
  readonly seed?: number;
}

export interface Freshness {
  /** Seconds from the collector's 200 to visible, sorted. */
  readonly samples: number[];
  /** Seconds from sending the request to visible, sorted. */
  readonly endToEnd: number[];
  readonly sentEvents: number;
  /** Sending span (measured part and warm-up, and the unmeasured tail if any). */
  readonly wallSec: number;
  readonly requests: number;
  /** Requests that failed without an answer (their probes not measured); more than 1% fails the run. */
  readonly failedRequests: number;
}

/** bench/ctr's freshness measurement against whatever consumer writes under `options.prefix`. */
export async function measureFreshness(config: ClicklakeConfig, redis: Redis, options: FreshnessOptions): Promise<Freshness> {
  const apiKey = config.collector.apiKeys[0];
  if (apiKey === undefined) throw new Error('run `clicklake stack up` first');
  const run = uniqueName('bench');
  const model = createTrafficModel({ seed: options.seed ?? 77, campaigns: 200, users: 100_000, titles: 500 });
  const perRequest = Math.round(options.rate / FRESHNESS_REQUESTS_PER_SEC);
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const pending = new Map<string, { sentAt: number; ackAt?: number; measure: boolean }>();
  const samples: number[] = [];
  const endToEnd: number[] = [];
  let sentEvents = 0;
  let requests = 0;
  let failedRequests = 0;
  let stop = false;
  let failure: Error | undefined;
  const measuredPending = (): number => [...pending.values()].filter((p) => p.measure).length;

  const poller = (async () => {
    while (!stop || measuredPending() > 0) {
      const now = Date.now();
      await Promise.all(
        [...pending].map(async ([campaign, probe]) => {
          const body = await readRealtimeCtr(redis, campaign, options.readMinutes, now, options.prefix);
          if (!body.buckets.some((b) => b.impressions > 0)) {
            if (probe.measure && performance.now() - probe.sentAt > options.visibleTimeoutMs) throw new Error(`probe ${campaign} not visible after ${options.visibleTimeoutMs} ms`);
            return;
          }
          const seenAt = performance.now();
          pending.delete(campaign);
          if (probe.measure && probe.ackAt !== undefined) {
            samples.push(Math.max(0, seenAt - probe.ackAt) / 1000);
            endToEnd.push((seenAt - probe.sentAt) / 1000);
          }
        }),
      );
      await sleep(20);
    }
  })();
  poller.catch((err: unknown) => (failure = err instanceof Error ? err : new Error(String(err))));

  const started = performance.now();
  const measureFrom = started + options.warmupSec * 1000;
  const endAt = measureFrom + options.measureSec * 1000;
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; failure === undefined; i++) {
    const nowPerf = performance.now();
    if (nowPerf >= endAt && !(options.keepLoadUntilVisible && measuredPending() > 0)) break;
    const due = started + (i * 1000) / FRESHNESS_REQUESTS_PER_SEC;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const now = Date.now();
    const campaign = `bench-probe-${run}-${i}`;
    const probe: WireEvent = { event_id: `${run}-${i}`, event_type: 'ad_impression', event_time: now, user_id: `bench-user-${i % 1000}`, campaign_id: campaign, ad_id: 'bench-ad' };
    const events = [probe, ...model.nextBatch(perRequest - 1, now).events];
    const sentAt = performance.now();
    const entry: { sentAt: number; ackAt?: number; measure: boolean } = { sentAt, measure: sentAt >= measureFrom && sentAt < endAt };
    pending.set(campaign, entry);
    requests++;
    const request = (async () => {
      let res: Response;
      try {
        res = await fetch(`${config.collector.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify({ events }) });
        await res.arrayBuffer();
      } catch {
        // A keep-alive connection the collector closed as it was reused ("other side closed"): the
        // request may or may not have been accepted, so its probe is not measured.
        failedRequests++;
        pending.delete(campaign);
        return;
      }
      if (res.status !== 200) throw new Error(`collector answered ${res.status}`);
      entry.ackAt = performance.now();
      sentEvents += events.length;
    })();
    request.catch((err: unknown) => (failure ??= err instanceof Error ? err : new Error(String(err))));
    const tracked: Promise<void> = request.catch(() => undefined).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  const wallSec = (performance.now() - started) / 1000;
  stop = true;
  await poller.catch(() => undefined);
  if (failure !== undefined) throw failure;
  if (failedRequests > requests / 100) throw new Error(`${failedRequests} of ${requests} requests to the collector failed`);
  return { samples: samples.sort((a, b) => a - b), endToEnd: endToEnd.sort((a, b) => a - b), sentEvents, wallSec, requests, failedRequests };
}

export { deletePrefix };
