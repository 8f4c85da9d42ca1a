/**
 * bench/backfill: does a backfill slow the scheduled promotion down, and how fast does it go?
 *
 * BENCH_HOURS hours (default 48) of a random stretch of 2025 under a bench topic of its own, each
 * one Bronze object of BENCH_RECORDS records (default 200), plus one more hour of the same topic
 * elsewhere in 2025: the "scheduled" hour. Its promotion (promoteHour on the `clicklake` queue, as the
 * hourly schedule runs it) is timed BENCH_SAMPLES times (default 5) alone, then as many times while
 * a backfill of the 48 hours runs on `clicklake-backfill` (concurrency BENCH_CONCURRENCY, default 4).
 * Figures: the median and the worst of each, and the backfill's hours per minute.
 */
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { putBronzeObject } from '../activities/bronze';
import { connectTemporal, createS3 } from '../activities/clients';
import type { BronzeRecord } from '../core/bronze';
import { HOUR_MS, hourKey } from '../core/time';
import { eventRecord } from '../test/unit/eventFixtures';
import { uniqueName } from '../test/support/stack';
import { runBackfill } from '../workers/backfill';
import { loadConfig } from '../workers/config';
import { runPromoteHour } from '../workers/lakeCommands';
import { percentile, writeResult } from './common';

const HOURS = Number(process.env.BENCH_HOURS ?? 48);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 200);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);

function records(topic: string, run: string, partition: number, hourStart: number): BronzeRecord[] {
  return Array.from({ length: RECORDS }, (_, offset) => {
    const time = hourStart + Math.floor((offset * HOUR_MS) / RECORDS);
    const event = eventRecord({ event_id: `${run}-${partition}-${offset}`, event_type: 'ad_impression', campaign_id: `c${offset % 20}`, ad_id: 'a1', event_time: time, user_id: `u${offset % 97}`, received_time: time + 1000 });
    return { topic, partition, offset, kafka_timestamp_ms: event.received_time, schema_id: 1, received_time: event.received_time, event };
  });
}

const EventType = temporal.api.enums.v1.EventType;

/** The longest an activity of the latest run of `workflowId` waited in its task queue (scheduled to started). */
async function longestQueueWaitMs(client: Client, workflowId: string): Promise<number> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const ms = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
  const scheduled = new Map(events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map((e) => [String(e.eventId), ms(e)]));
  const waits = events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
    .map((e) => ms(e) - (scheduled.get(String(e.activityTaskStartedEventAttributes?.scheduledEventId)) ?? ms(e)));
  return Math.max(0, ...waits);
}

/** Wall times (and longest queue waits) of promoting `hour` on the live queue, one after the other, while `keepGoing` says so. */
async function promotionTimes(config: ReturnType<typeof loadConfig>, client: Client, hour: string, keepGoing: (n: number) => boolean): Promise<{ times: number[]; waits: number[] }> {
  const times: number[] = [];
  const waits: number[] = [];
  while (keepGoing(times.length)) {
    const started = performance.now();
    await runPromoteHour(config, hour);
    times.push(performance.now() - started);
    waits.push(await longestQueueWaitMs(client, `promote-hour-${hour}`));
  }
  return { times, waits };
}

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const seconds = (ms: number) => Math.round(ms) / 1000;

async function main(): Promise<void> {
  const config = loadConfig();
  const s3 = createS3(config.s3);
  const connection = await connectTemporal(config.temporal);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const run = uniqueName('bench-backfill');
  const topic = `clicklake.${run.replace(/_/g, '-')}`;
  // The range starts at a random hour of the first half of 2025; the scheduled hour is in the second.
  const h0 = Date.UTC(2025, 0, 1) + Math.floor(Math.random() * 170 * 24) * HOUR_MS;
  const hours = Array.from({ length: HOURS }, (_, i) => hourKey(h0 + i * HOUR_MS));
  const scheduledStart = Date.UTC(2025, 6, 1) + Math.floor(Math.random() * 170 * 24) * HOUR_MS;
  const scheduled = hourKey(scheduledStart);
  try {
    for (let i = 0; i < HOURS; i++) await putBronzeObject(s3, config.s3.bucket, { topic, partition: i, firstOffset: 0, lastOffset: RECORDS - 1 }, records(topic, run, i, h0 + i * HOUR_MS));
    await putBronzeObject(s3, config.s3.bucket, { topic, partition: HOURS, firstOffset: 0, lastOffset: RECORDS - 1 }, records(topic, run, HOURS, scheduledStart));
    await runPromoteHour(config, scheduled); // warm-up: the first publish registers the partitions

    const { times: alone, waits: aloneWaits } = await promotionTimes(config, client, scheduled, (n) => n < SAMPLES);
    let finished = false;
    const started = performance.now();
    const backfill = runBackfill(config, { from: hours[0] as string, to: hours[HOURS - 1] as string, concurrency: CONCURRENCY, reason: 'bench' }).finally(() => (finished = true));
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the backfill has its first hours under way
    const { times: during, waits: duringWaits } = await promotionTimes(config, client, scheduled, (n) => n < SAMPLES && !finished);
    const summary = await backfill;
    const backfillMs = performance.now() - started;
    if (summary.hours.done !== HOURS) throw new Error(`the backfill did ${summary.hours.done} of ${HOURS} hours: ${JSON.stringify(summary.failed)}`);
    writeResult({
      name: 'backfill',
      figures: {
        scheduled_promotion_s_alone_p50: { value: seconds(median(alone)), unit: `s, promoteHour of one ${RECORDS}-record hour on the clicklake queue, median of ${alone.length}` },
        scheduled_promotion_s_alone_max: { value: seconds(Math.max(...alone)), unit: 's, the slowest of them' },
        scheduled_promotion_s_during_backfill_p50: { value: seconds(median(during)), unit: `s, the same while a ${HOURS}-hour backfill runs on clicklake-backfill, median of ${during.length}` },
        scheduled_promotion_s_during_backfill_max: { value: seconds(Math.max(...during)), unit: 's, the slowest of them' },
        scheduled_queue_wait_ms_alone_max: { value: Math.max(...aloneWaits), unit: 'ms, the longest any activity of those runs waited in the clicklake queue (scheduled to started)' },
        scheduled_queue_wait_ms_during_backfill_max: { value: Math.max(...duringWaits), unit: 'ms, the same during the backfill' },
        backfill_hours_per_min: { value: Math.round((HOURS / (backfillMs / 60_000)) * 10) / 10, unit: `hours/min, ${HOURS} hours of ${RECORDS} records, concurrency ${CONCURRENCY}, 2 activity slots, days included, while the probe ran` },
        backfill_seconds: { value: seconds(backfillMs), unit: 's wall, start to summary' },
      },
      notes: [`range ${hours[0]}..${hours[HOURS - 1]}, scheduled hour ${scheduled}, topic ${topic}`],
    });
  } finally {
    s3.destroy();
    await connection.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/backfill: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
