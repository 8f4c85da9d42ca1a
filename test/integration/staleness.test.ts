/**
 * Staleness on the real stack: a published hour is fresh while Bronze holds nothing it did not read;
 * events of the hour committed to Bronze after its run make it STALE with exactly their count
 * waiting; promoting it again makes it fresh, with the new version counting them.
 *
 * Bronze objects are written with the ingestion's own writer under a topic of this run's own, in a
 * random hour of 2025 (received a minute after the events, so on time), where no other traffic is.
 */
import { createS3, Presto } from '../../activities/clients';
import { putBronzeObject } from '../../activities/bronze';
import { hourStaleness } from '../../activities/staleness';
import { type BronzeRecord } from '../../core/bronze';
import { HOUR_MS, MINUTE_MS, hourKey } from '../../core/time';
import { runPromoteHour } from '../../workers/lakeCommands';
import { eventRecord } from '../unit/eventFixtures';
import { stackConfig, uniqueName } from '../support/stack';

const config = stackConfig();

describe('staleness of a published hour', () => {
  const s3 = createS3(config.s3);
  const lake = { s3, presto: new Presto(config.presto), bucket: config.s3.bucket };
  const run = uniqueName('stale');
  const topic = `clicklake.${run.replace(/_/g, '-')}`;
  const h0 = Date.UTC(2025, 0, 1) + Math.floor(Math.random() * 360 * 24) * HOUR_MS;
  const hour = hourKey(h0);

  const records = (partition: number, from: number, count: number): BronzeRecord[] =>
    Array.from({ length: count }, (_, i) => {
      const offset = from + i;
      const eventTime = h0 + (5 + offset) * MINUTE_MS;
      const event = eventRecord({ event_id: `${run}-${partition}-${offset}`, event_type: 'page_view', event_time: eventTime, user_id: `user-${run}-${offset % 3}`, received_time: eventTime + MINUTE_MS });
      return { topic, partition, offset, kafka_timestamp_ms: event.received_time, schema_id: 1, received_time: event.received_time, event };
    });
  const write = (rs: BronzeRecord[]) => {
    const first = rs[0] as BronzeRecord;
    return putBronzeObject(s3, config.s3.bucket, { topic, partition: first.partition, firstOffset: first.offset, lastOffset: first.offset + rs.length - 1 }, rs);
  };

  afterAll(() => s3.destroy());

  it('is fresh after its run, STALE with the events that arrived since, fresh again once restated', async () => {
    expect(await hourStaleness(lake, hour)).toEqual({ state: 'unpublished', version: null });
    await write(records(0, 0, 4));
    const first = await runPromoteHour(config, hour);
    expect(await hourStaleness(lake, hour)).toEqual({ state: 'fresh', version: first.version });

    // Late events of the hour land in two new objects, on two partitions.
    await write(records(0, 4, 2));
    await write(records(1, 0, 3));
    expect(await hourStaleness(lake, hour)).toEqual({ state: 'stale', waiting_events: 5, uncovered_objects: 2, version: first.version });

    const second = await runPromoteHour(config, hour);
    expect(second.silver.rows_in).toBe(9);
    expect(await hourStaleness(lake, hour)).toEqual({ state: 'fresh', version: second.version });
  }, 240_000);
});
