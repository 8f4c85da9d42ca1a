/**
 * The quality gate on the real stack: an hour whose records are more than 20% broken (ad events
 * without a campaign) fails its promotion with the gate's reason instead of publishing; promoted
 * again with acceptQuality it publishes, and its audit row keeps the figures and `accepted`.
 *
 * Bronze is written with the ingestion's own writer under a topic of this run's own, in a random
 * hour of 2025, so no other traffic is there.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { createS3, Presto } from '../../activities/clients';
import { putBronzeObject } from '../../activities/bronze';
import { type BronzeRecord } from '../../core/bronze';
import { HOUR_MS, MINUTE_MS, hourKey, parseHourKey } from '../../core/time';
import { runPromoteHour } from '../../workers/lakeCommands';
import { eventRecord } from '../unit/eventFixtures';
import { stackConfig, uniqueName } from '../support/stack';

const config = stackConfig();

describe('the quality gate of a promotion', () => {
  const s3 = createS3(config.s3);
  const presto = new Presto(config.presto);
  const run = uniqueName('quality');
  const topic = `clicklake.${run.replace(/_/g, '-')}`;
  const h0 = Date.UTC(2025, 0, 1) + Math.floor(Math.random() * 360 * 24) * HOUR_MS;
  const hour = hourKey(h0);
  const { dt, hr } = parseHourKey(hour);

  // 10 impressions: 7 with a campaign, 3 without (rejected: 30% of the hour, above the 20% block).
  const records: BronzeRecord[] = Array.from({ length: 10 }, (_, offset) => {
    const eventTime = h0 + (5 + offset) * MINUTE_MS;
    const event = eventRecord({
      event_id: `${run}-${offset}`,
      event_type: 'ad_impression',
      event_time: eventTime,
      user_id: `user-${run}`,
      received_time: eventTime + MINUTE_MS,
      campaign_id: offset < 7 ? `c-${run}` : null,
      ad_id: 'ad-1',
      device_type: 'web',
      country: 'DE',
    });
    return { topic, partition: 0, offset, kafka_timestamp_ms: event.received_time, schema_id: 1, received_time: event.received_time, event };
  });

  afterAll(() => s3.destroy());

  it('blocks an hour with 30% of its records rejected, and publishes it when asked to accept the quality', async () => {
    await putBronzeObject(s3, config.s3.bucket, { topic, partition: 0, firstOffset: 0, lastOffset: 9 }, records);
    const blocked = await runPromoteHour(config, hour).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(blocked).toBeInstanceOf(WorkflowFailedError);
    expect(String((blocked as WorkflowFailedError).cause?.message)).toBe(
      `promote ${hour}: QualityGateError: quality ${hour}: reject_rate 0.3 > block 0.2 (promote --accept-quality publishes it anyway)`,
    );

    const accepted = await runPromoteHour(config, hour, { acceptQuality: true });
    expect(accepted.silver).toEqual({ rows_in: 10, rows_out: 7, duplicates: 0, rejected: 3, late: 0 });
    expect(accepted.quality).toEqual({
      figures: { reject_rate: 0.3, duplicate_rate: 0, volume_ratio: null, null_rate_campaign: 0.3, null_rate_device_type: 0, null_rate_country: 0 },
      level: 'accepted',
      reasons: ['reject_rate 0.3 > block 0.2'],
    });
    const rows = await presto.queryObjects(
      `SELECT status, quality, quality_reasons, reject_rate, null_rate_campaign, error FROM lake.audit.hour_runs ` +
        `WHERE dt = '${dt}' AND hr = '${hr}' AND layer = 'silver' ORDER BY finished_at`,
    );
    expect(rows).toEqual([
      { status: 'failed', quality: null, quality_reasons: null, reject_rate: null, null_rate_campaign: null, error: expect.stringMatching(/^QualityGateError: quality /) },
      { status: 'published', quality: 'accepted', quality_reasons: 'reject_rate 0.3 > block 0.2', reject_rate: 0.3, null_rate_campaign: 0.3, error: null },
    ]);
  }, 240_000);
});
