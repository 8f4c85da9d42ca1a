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
});
