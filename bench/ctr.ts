/**
 * bench/ctr: the real-time CTR consumer.
 *
 * 1. Saturation: a bench topic (12 partitions, as the events topic) is filled with N accepted events
 *    from the traffic model (Avro, Confluent framing, keyed by user_id), then a consumer in this
 *    process drains it into Redis (its own group and key prefix). "Per core" divides the events by
 *    the CPU seconds this process used while draining (process.cpuUsage, user + system); Redis's own
 *    CPU per event is reported beside it (INFO cpu of the server, so anything else Redis does then
 *    counts too).
 * 2. Freshness: traffic through the real collector at a steady rate (default 5,000 events/s) onto the
 *    real events topic, with a consumer in this process on that topic (its own group and key prefix,
 *    starting at the topic's end). Each request carries one probe impression of a campaign of its
 *    own; freshness is the time from the collector's 200 to the probe being visible through
 *    readRealtimeCtr (polled every 20 ms).
 */
import type Redis from 'ioredis';
import { consumeCtr, readRealtimeCtr, type CtrDeps, type CtrProgress } from '../activities/ctr';
import { createKafka, createRedis } from '../activities/clients';
import { SchemaRegistryClient } from '../activities/schemaRegistry';
import type { ClicklakeConfig } from '../core/config';
import { offsetKey } from '../core/ctr';
import { createTrafficModel, type WireEvent } from '../core/generator';
import { eventSchemaText } from '../schemas/event';
import { acceptedEvents, ctrTestConfig, deletePrefix, produceEvents, type CtrTestNames } from '../test/support/ctr';
import { uniqueName } from '../test/support/stack';
import { loadConfig } from '../workers/config';
import { percentile, writeResult } from './common';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 5000);
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC ?? 5);
const MEASURE_SEC = Number(process.env.BENCH_SECONDS ?? 30);
const REQUESTS_PER_SEC = 20;
const PARTITIONS = 12;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function redisCpuSeconds(info: string): number {
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

interface Saturation {
  readonly events: number;
  readonly cpuSec: number;
  readonly wallSec: number;
  readonly redisCpuSec: number;
  readonly progress: CtrProgress;
}

async function saturation(config: ClicklakeConfig, redis: Redis): Promise<Saturation> {
  const kafka = createKafka(config.kafka, { clientId: 'clicklake-bench-ctr' });
  const names: CtrTestNames = { topic: uniqueName('clicklake.bench.ctr'), deadLetterTopic: uniqueName('clicklake.bench.ctr.dlq'), group: uniqueName('bench-ctr'), prefix: uniqueName('benchctr') };
  const registry = new SchemaRegistryClient(config.schemaRegistry.url);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: names.topic, numPartitions: PARTITIONS }, { topic: names.deadLetterTopic, numPartitions: 1 }] });
  try {
    const schemaId = await registry.register(`${names.topic}-value`, eventSchemaText());
    const startMs = Date.now();
    for (let done = 0; done < EVENTS; ) {
      const n = Math.min(50_000, EVENTS - done);
      await produceEvents(kafka, names.topic, schemaId, acceptedEvents(n, startMs, { seed: 1000 + done, campaigns: 200, users: 100_000 }));
      done += n;
      process.stderr.write(`bench/ctr: produced ${done}/${EVENTS}\r`);
    }
    process.stderr.write('\n');

    const deps: CtrDeps = { config: ctrTestConfig(config, names), kafka, redis, registry };
    const controller = new AbortController();
    let firstBatchAt = 0;
    let last: CtrProgress | undefined;
    let finished: () => void = () => undefined;
    const drained = new Promise<void>((resolve) => (finished = resolve));
    const redisCpu0 = redisCpuSeconds(await redis.info('cpu'));
    const cpu0 = process.cpuUsage();
    const run = consumeCtr(deps, {
      signal: controller.signal,
      onProgress: (p) => {
        if (firstBatchAt === 0 && p.records > 0) firstBatchAt = performance.now();
        last = p;
        if (p.records >= EVENTS) finished();
      },
    });
    await Promise.race([drained, run]);
    const doneAt = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const redisCpuSec = redisCpuSeconds(await redis.info('cpu')) - redisCpu0;
    controller.abort();
    await run;
    await deletePrefix(redis, names.prefix);
    if (last === undefined || last.records < EVENTS) throw new Error(`the consumer stopped after ${last?.records ?? 0} of ${EVENTS} records`);
    return { events: EVENTS, cpuSec: (cpu.user + cpu.system) / 1e6, wallSec: (doneAt - firstBatchAt) / 1000, redisCpuSec, progress: last };
  } finally {
    await admin.deleteTopics({ topics: [names.topic, names.deadLetterTopic] }).catch(() => undefined);
    await registry.deleteSubject(`${names.topic}-value`).catch(() => undefined);
    await admin.disconnect();
  }
}

interface Freshness {
  readonly samples: number[];
  readonly endToEnd: number[];
  readonly sentEvents: number;
  readonly wallSec: number;
}

async function freshness(config: ClicklakeConfig, redis: Redis): Promise<Freshness> {
  const apiKey = config.collector.apiKeys[0];
  if (apiKey === undefined) throw new Error('run `clicklake stack up` first');
  const kafka = createKafka(config.kafka, { clientId: 'clicklake-bench-ctr' });
  const prefix = uniqueName('benchctr');
  const topic = config.kafka.eventsTopic;
  const run = uniqueName('bench');
  const deps: CtrDeps = {
    config: { ...config, ctr: { ...config.ctr, group: uniqueName('bench-ctr'), keyPrefix: prefix } },
    kafka,
    redis,
    registry: new SchemaRegistryClient(config.schemaRegistry.url),
  };
  // Start at the topic's end: stored offsets at the last existing record of each partition.
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  for (const o of ends) if (Number(o.high) > 0) await redis.set(offsetKey(prefix, topic, o.partition), String(Number(o.high) - 1));

  const controller = new AbortController();
  const consumer = consumeCtr(deps, { signal: controller.signal });
  try {
    await sleep(4000); // the group join (Kafka delays a new group's first rebalance by 3 s)
    const model = createTrafficModel({ seed: 77, campaigns: 200, users: 100_000, titles: 500 });
    const perRequest = Math.round(RATE / REQUESTS_PER_SEC);
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const pending = new Map<string, { sentAt: number; ackAt?: number; measure: boolean }>();
    const samples: number[] = [];
    const endToEnd: number[] = [];
    let sentEvents = 0;
    let stop = false;

    const poller = (async () => {
      while (!stop || pending.size > 0) {
        const now = Date.now();
        await Promise.all(
          [...pending].map(async ([campaign, probe]) => {
            const body = await readRealtimeCtr(redis, campaign, 2, now, prefix);
            if (!body.buckets.some((b) => b.impressions > 0)) {
              if (performance.now() - probe.sentAt > 60_000) throw new Error(`probe ${campaign} not visible after 60 s`);
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

    const started = performance.now();
    const measureFrom = started + WARMUP_SEC * 1000;
    const endAt = measureFrom + MEASURE_SEC * 1000;
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; performance.now() < endAt; i++) {
      const due = started + (i * 1000) / REQUESTS_PER_SEC;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const now = Date.now();
      const campaign = `bench-probe-${run}-${i}`;
      const probe: WireEvent = { event_id: `${run}-${i}`, event_type: 'ad_impression', event_time: now, user_id: `bench-user-${i % 1000}`, campaign_id: campaign, ad_id: 'bench-ad' };
      const events = [probe, ...model.nextBatch(perRequest - 1, now).events];
      const sentAt = performance.now();
      const entry: { sentAt: number; ackAt?: number; measure: boolean } = { sentAt, measure: sentAt >= measureFrom };
      pending.set(campaign, entry);
      const request = (async () => {
        const res = await fetch(`${config.collector.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify({ events }) });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`collector answered ${res.status}`);
        entry.ackAt = performance.now();
        sentEvents += events.length;
      })();
      const tracked = request.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    await Promise.all(inFlight);
    const wallSec = (performance.now() - started) / 1000;
    stop = true;
    await poller;
    return { samples: samples.sort((a, b) => a - b), endToEnd: endToEnd.sort((a, b) => a - b), sentEvents, wallSec };
  } finally {
    controller.abort();
    await consumer.catch(() => undefined);
    await deletePrefix(redis, prefix);
  }
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const config = loadConfig();
  const redis = createRedis(config.redis);
  try {
    const s = await saturation(config, redis);
    process.stderr.write(`bench/ctr: drained ${s.events} events in ${s.wallSec.toFixed(1)} s using ${s.cpuSec.toFixed(1)} CPU s\n`);
    const f = await freshness(config, redis);
    writeResult({
      name: 'ctr',
      figures: {
        events_per_s_per_core: { value: Math.round(s.events / s.cpuSec), unit: 'events/s per CPU-second of the consumer process (decode, plan, apply, kafkajs)' },
        events_per_s_wall: { value: Math.round(s.events / s.wallSec), unit: 'events/s drained (2 cores shared with Kafka and Redis)' },
        consumer_cpu_cores_used: { value: round(s.cpuSec / s.wallSec, 2), unit: 'cores' },
        redis_cpu_us_per_event: { value: round((s.redisCpuSec / s.events) * 1e6, 2), unit: 'µs of Redis CPU per event (the apply script)' },
        freshness_p50_s: { value: round(percentile(f.samples, 50), 3), unit: `s from the collector's 200 to visible in readRealtimeCtr, at ${RATE} events/s` },
        freshness_p99_s: { value: round(percentile(f.samples, 99), 3), unit: `s from the collector's 200 to visible in readRealtimeCtr, at ${RATE} events/s` },
        send_to_visible_p99_s: { value: round(percentile(f.endToEnd, 99), 3), unit: 's from sending the request to visible' },
        freshness_samples: { value: f.samples.length, unit: 'probes measured' },
        freshness_rate: { value: Math.round(f.sentEvents / f.wallSec), unit: 'events/s sent through the collector' },
      },
      notes: [
        `saturation: ${s.events} accepted events from the traffic model (200 campaigns, 5% duplicates, 5% late, 2% quarantined) pre-filled on a ${PARTITIONS}-partition topic; ${s.progress.counted} counted, ${s.progress.duplicates} duplicates dropped`,
        `freshness: ${REQUESTS_PER_SEC} requests/s of ${Math.round(RATE / REQUESTS_PER_SEC)} events through the collector onto ${config.kafka.eventsTopic}, ${WARMUP_SEC} s warm-up, ${MEASURE_SEC} s measured, probes polled every 20 ms`,
      ],
    });
  } finally {
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/ctr: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
