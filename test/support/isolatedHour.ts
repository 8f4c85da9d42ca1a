/**
 * An hour of its own for a test on the real stack: a random hour of 2001–2025 (no other traffic there), a
 * topic of the test's own (the always-on ingestion never reads it), Bronze records built from
 * EventRecord fields and written with the ingestion's own writer (putBronzeObject: object, hour index,
 * manifest). Events are received a minute after they happen, so on time.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { putBronzeObject } from '../../activities/bronze';
import type { BronzeManifest, BronzeRecord } from '../../core/bronze';
import { DAY_MS, HOUR_MS, MINUTE_MS, hourKey, parseHourKey } from '../../core/time';
import type { EventRecord } from '../../schemas/eventRecord';
import { eventRecord } from '../unit/eventFixtures';
import { uniqueName } from './stack';

export interface IsolatedHour {
  /** Unique per test run: event ids and user ids start with it. */
  readonly run: string;
  readonly topic: string;
  /** Start of the hour, epoch ms. */
  readonly h0: number;
  readonly hour: string;
  readonly dt: string;
  readonly hr: string;
  /** A Bronze record at `offset` of `partition`, its event `minute` minutes into the hour. */
  record(partition: number, offset: number, minute: number, fields?: Partial<EventRecord>): BronzeRecord;
  /** Writes records (consecutive offsets of one partition) as one Bronze object. */
  write(s3: S3Client, bucket: string, records: readonly BronzeRecord[]): Promise<BronzeManifest>;
}

/** The first day test hours are drawn from: after the validity floor (2000-01-01), before any real traffic. */
const TEST_DAYS_FROM = Date.UTC(2001, 0, 1);
/** 2001–2025: the state folder keeps every run's test hours, so the draw is wide enough to rarely meet one. */
const TEST_DAYS = 25 * 365;

/** A random day (its 00:00, epoch ms) of the test years: tests' traffic there meets no other traffic, nearly always. */
export function randomTestDayMs(): number {
  return TEST_DAYS_FROM + Math.floor(Math.random() * TEST_DAYS) * DAY_MS;
}

/** A random hour (its start) of the test years. */
export function randomTestHourMs(): number {
  return randomTestDayMs() + Math.floor(Math.random() * 24) * HOUR_MS;
}

export function isolatedHour(prefix: string): IsolatedHour {
  const run = uniqueName(prefix);
  const topic = `clicklake.${run.replace(/_/g, '-')}`;
  const h0 = randomTestHourMs();
  const hour = hourKey(h0);
  const { dt, hr } = parseHourKey(hour);
  return {
    run,
    topic,
    h0,
    hour,
    dt,
    hr,
    record(partition, offset, minute, fields = {}) {
      const eventTime = h0 + minute * MINUTE_MS;
      const event = eventRecord({ event_id: `${run}-${partition}-${offset}`, event_type: 'page_view', event_time: eventTime, user_id: `user-${run}`, received_time: eventTime + MINUTE_MS, ...fields });
      return { topic, partition, offset, kafka_timestamp_ms: event.received_time, schema_id: 1, received_time: event.received_time, event };
    },
    write(s3, bucket, records) {
      const first = records[0] as BronzeRecord;
      return putBronzeObject(s3, bucket, { topic, partition: first.partition, firstOffset: first.offset, lastOffset: first.offset + records.length - 1 }, records);
    },
  };
}
