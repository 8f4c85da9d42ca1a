/**
 * An hour of its own for a test on the real stack: a random hour of 2025 (no other traffic there), a
 * topic of the test's own (the always-on ingestion never reads it), Bronze records built from
 * EventRecord fields and written with the ingestion's own writer (putBronzeObject: object, hour index,
 * manifest). Events are received a minute after they happen, so on time.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { putBronzeObject } from '../../activities/bronze';
import type { BronzeManifest, BronzeRecord } from '../../core/bronze';
import { HOUR_MS, MINUTE_MS, hourKey, parseHourKey } from '../../core/time';
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

export function isolatedHour(prefix: string): IsolatedHour {
  const run = uniqueName(prefix);
  const topic = `clicklake.${run.replace(/_/g, '-')}`;
  const h0 = Date.UTC(2025, 0, 1) + Math.floor(Math.random() * 360 * 24) * HOUR_MS;
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
