/**
 * bench/compact: a generated day of small Bronze objects, promoted, compacted, promoted again.
 *
 * BENCH_HOURS hours (default 6) of a random day of 2025 under a bench topic of its own, each hour
 * BENCH_OBJECTS objects (default 20) of BENCH_RECORDS records (default 250) on each of 4 partitions,
 * written with the ingestion's writer (putBronzeObject): the small objects a quiet day of 5-second
 * flushes leaves. Figures: Bronze objects and bytes before and after compactDay (scoped to the
 * topic), the wall time of promoting every hour before and after, and the Presto time of a
 * full-day query over the day's Silver (median of 5) before and after.
 */
import { Client } from '@temporalio/client';
import { putBronzeObject } from '../activities/bronze';
import { connectTemporal, Presto } from '../activities/clients';
import { createS3 } from '../activities/clients';
import type { BronzeRecord } from '../core/bronze';
import { DAY_MS, HOUR_MS, dayOf, hourKey } from '../core/time';
import type { EventRecord } from '../schemas/eventRecord';
import { eventRecord } from '../test/unit/eventFixtures';
import { uniqueName } from '../test/support/stack';
import { loadConfig } from '../workers/config';
import { runPromoteHour } from '../workers/lakeCommands';
import { compactDay } from '../workflows/compactDay';
import { percentile, writeResult } from './common';

const HOURS = Number(process.env.BENCH_HOURS ?? 6);
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 20);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 250);
const PARTITIONS = 4;
const TYPES = ['ad_impression', 'ad_impression', 'ad_impression', 'ad_click', 'video_play', 'page_view', 'heartbeat'] as const;

function record(topic: string, run: string, p: number, offset: number, time: number): BronzeRecord {
  const n = p * 10_000_000 + offset;
  const kind = TYPES[n % TYPES.length] as EventRecord['event_type'];
  const ad = kind === 'ad_impression' || kind === 'ad_click' ? { campaign_id: `c${n % 50}`, ad_id: `a${n % 7}` } : {};
  const video = kind === 'video_play' ? { title_id: `t${n % 30}` } : {};
  const event = eventRecord({ event_id: `${run}-${p}-${offset}`, event_type: kind, event_time: time, user_id: `u${(n * 7919) % 5000}`, received_time: time + 1000, device_type: 'web', country: 'DE', ...ad, ...video });
  return { topic, partition: p, offset, kafka_timestamp_ms: event.received_time, schema_id: 1, received_time: event.received_time, event };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await fn();
  return [value, performance.now() - started];
}

async function main(): Promise<void> {
  const config = loadConfig();
  const s3 = createS3(config.s3);
  const presto = new Presto(config.presto);
  const connection = await connectTemporal(config.temporal);
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const run = uniqueName('bench-compact');
  const topic = `clicklake.${run.replace(/_/g, '-')}`;
  const d0 = Date.UTC(2025, 0, 1) + Math.floor(Math.random() * 360) * DAY_MS;
  const dt = dayOf(d0);
  const hours = Array.from({ length: HOURS }, (_, h) => hourKey(d0 + h * HOUR_MS));
  try {
    await Promise.all(
      Array.from({ length: PARTITIONS }, async (_, p) => {
        for (let k = 0; k < HOURS * OBJECTS; k += 1) {
          const hourStart = d0 + Math.floor(k / OBJECTS) * HOUR_MS;
          const records = Array.from({ length: RECORDS }, (_, j) => record(topic, run, p, k * RECORDS + j, hourStart + (((k % OBJECTS) * RECORDS + j) * HOUR_MS) / (OBJECTS * RECORDS)));
          await putBronzeObject(s3, config.s3.bucket, { topic, partition: p, firstOffset: k * RECORDS, lastOffset: (k + 1) * RECORDS - 1 }, records);
        }
      }),
    );
    const promoteAll = async (): Promise<number> => (await timed(async () => { for (const hour of hours) await runPromoteHour(config, hour); }))[1];
    const query = async (): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 5; i += 1) times.push((await timed(() => presto.queryObjects(`SELECT hr, count(*) AS n, count(DISTINCT user_key) AS users FROM lake.silver.events WHERE dt = '${dt}' GROUP BY hr`)))[1]);
      return percentile([...times].sort((a, b) => a - b), 50);
    };
    const promoteBefore = await promoteAll();
    const queryBefore = await query();
    const [result, compactMs] = await timed(() => temporal.workflow.execute(compactDay, { workflowId: uniqueName(`compact-day-${dt}`), taskQueue: config.temporal.taskQueue, args: [{ dt, topics: [topic], graceMs: 0 }] }));
    const promoteAfter = await promoteAll();
    const queryAfter = await query();
    const b = result.bronze;
    writeResult({
      name: 'compact',
      figures: {
        bronze_objects_before: { value: b.objects_before, unit: 'objects' },
        bronze_objects_after: { value: b.objects_after, unit: 'objects' },
        bronze_bytes_before: { value: b.bytes_before, unit: 'bytes' },
        bronze_bytes_after: { value: b.bytes_after, unit: 'bytes' },
        compaction_s: { value: compactMs / 1000, unit: 's' },
        promote_hours_s_before: { value: promoteBefore / 1000, unit: 's' },
        promote_hours_s_after: { value: promoteAfter / 1000, unit: 's' },
        presto_full_day_query_ms_before: { value: queryBefore, unit: 'ms' },
        presto_full_day_query_ms_after: { value: queryAfter, unit: 'ms' },
      },
      notes: [
        `${HOURS} hours x ${PARTITIONS} partitions x ${OBJECTS} objects of ${RECORDS} records, day ${dt}, topic ${topic}`,
        'promote_hours_s: wall time of promoting every hour one after the other (runPromoteHour, waits included)',
        'presto_full_day_query_ms: median of 5 runs of a per-hour count and distinct users over the day of lake.silver.events',
      ],
    });
  } finally {
    await connection.close();
    s3.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/compact: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
