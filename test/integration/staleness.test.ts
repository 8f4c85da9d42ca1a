/**
 * Staleness on the real stack: a published hour is fresh while Bronze holds nothing it did not read;
 * events of the hour committed to Bronze after its run make it STALE with exactly their count
 * waiting; promoting it again makes it fresh, with the new version counting them.
 *
 * The hour is one of the test's own (test/support/isolatedHour.ts).
 */
import { createS3, Presto } from '../../activities/clients';
import { hourStaleness } from '../../activities/staleness';
import { runPromoteHour } from '../../workers/lakeCommands';
import { isolatedHour } from '../support/isolatedHour';
import { stackConfig } from '../support/stack';

const config = stackConfig();

describe('staleness of a published hour', () => {
  const s3 = createS3(config.s3);
  const lake = { s3, presto: new Presto(config.presto), bucket: config.s3.bucket };
  const { hour, record, write: writeObject } = isolatedHour('stale');
  const records = (partition: number, from: number, count: number) =>
    Array.from({ length: count }, (_, i) => record(partition, from + i, 5 + from + i, { user_id: `user-${hour}-${(from + i) % 3}` }));
  const write = (rs: ReturnType<typeof records>) => writeObject(s3, config.s3.bucket, rs);

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

  it('keeps an event that arrived past the allowed lateness out of Silver, queryable in lake.silver.quarantine with its reason', async () => {
    const tooLate = record(2, 0, 30, { user_id: `user-${hour}-late` });
    const eightDays = 8 * 24 * 3_600_000;
    await write([{ ...tooLate, received_time: tooLate.received_time + eightDays, kafka_timestamp_ms: tooLate.received_time + eightDays, event: { ...tooLate.event, received_time: tooLate.received_time + eightDays } }]);
    const third = await runPromoteHour(config, hour);
    expect(third.silver).toEqual({ rows_in: 10, rows_out: 9, duplicates: 0, rejected: 0, late: 1, erased: 0 });
    const { dt, hr } = { dt: hour.slice(0, 10), hr: hour.slice(11, 13) };
    const quarantined = await lake.presto.queryObjects(`SELECT event_id, reason, user_key FROM lake.silver.quarantine WHERE dt = '${dt}' AND hr = '${hr}'`);
    expect(quarantined.map((row) => [row.event_id, row.reason])).toEqual([[tooLate.event.event_id, 'late: received more than 168 h after event_time']]);
    expect(String(quarantined[0]?.user_key)).toMatch(/^[0-9a-f]{64}$/);
    const inSilver = await lake.presto.queryObjects(`SELECT count(*) AS n FROM lake.silver.events WHERE dt = '${dt}' AND hr = '${hr}' AND event_id = '${tooLate.event.event_id}'`);
    expect(inSilver).toEqual([{ n: 0 }]);
  }, 240_000);
});
