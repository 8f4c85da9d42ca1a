/**
 * The quality gate on the real stack: an hour whose records are more than 20% broken (ad events
 * without a campaign) fails its promotion with the gate's reason instead of publishing; promoted
 * again with acceptQuality it publishes, and its audit row keeps the figures and `accepted`.
 *
 * The hour is one of the test's own (test/support/isolatedHour.ts).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { createS3, Presto } from '../../activities/clients';
import { runPromoteHour } from '../../workers/lakeCommands';
import { lakeStatus } from '../../workers/status';
import { isolatedHour } from '../support/isolatedHour';
import { stackConfig } from '../support/stack';

const config = stackConfig();

describe('the quality gate of a promotion', () => {
  const s3 = createS3(config.s3);
  const presto = new Presto(config.presto);
  const { run, h0, hour, dt, hr, record, write } = isolatedHour('quality');

  // 10 impressions: 7 with a campaign, 3 without (rejected: 30% of the hour, above the 20% block).
  const records = Array.from({ length: 10 }, (_, offset) =>
    record(0, offset, 5 + offset, { event_type: 'ad_impression', campaign_id: offset < 7 ? `c-${run}` : null, ad_id: 'ad-1', device_type: 'web', country: 'DE' }),
  );

  afterAll(() => s3.destroy());

  it('blocks an hour with 30% of its records rejected, and publishes it when asked to accept the quality', async () => {
    await write(s3, config.s3.bucket, records);
    const blocked = await runPromoteHour(config, hour).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(blocked).toBeInstanceOf(WorkflowFailedError);
    // Other tests' hours of 2025 can sit at the same hour on the days before: a volume warning may join the reasons.
    const blockReason = 'reject_rate 0.3 > block 0.2';
    const message = String((blocked as WorkflowFailedError).cause?.message);
    expect(message.startsWith(`promote ${hour}: QualityGateError: quality ${hour}: ${blockReason}`)).toBe(true);
    expect(message.endsWith('(promote --accept-quality publishes it anyway)')).toBe(true);

    const accepted = await runPromoteHour(config, hour, { acceptQuality: true });
    expect(accepted.silver).toEqual({ rows_in: 10, rows_out: 7, duplicates: 0, rejected: 3, late: 0, erased: 0 });
    const { volume_ratio: _volume, ...figures } = accepted.quality?.figures ?? { volume_ratio: null };
    expect(figures).toEqual({ reject_rate: 0.3, duplicate_rate: 0, null_rate_campaign: 0.3, null_rate_device_type: 0, null_rate_country: 0 });
    expect([accepted.quality?.level, accepted.quality?.reasons[0]]).toEqual(['accepted', blockReason]);
    const rows = await presto.queryObjects(
      `SELECT status, quality, quality_reasons, reject_rate, null_rate_campaign, error FROM lake.audit.hour_runs ` +
        `WHERE dt = '${dt}' AND hr = '${hr}' AND layer = 'silver' ORDER BY finished_at`,
    );
    // clicklake status flags the hour: READY, its quality accepted, with the reason.
    const status = await lakeStatus(config, Date.now(), { fromMs: h0, toMs: h0 });
    expect(status.hours.map((h) => [h.hour, h.status, h.quality, h.quality_reasons?.split('; ')[0]])).toEqual([[hour, 'READY', 'accepted', blockReason]]);
    expect(rows).toEqual([
      { status: 'failed', quality: null, quality_reasons: null, reject_rate: null, null_rate_campaign: null, error: expect.stringMatching(/^QualityGateError: quality /) },
      { status: 'published', quality: 'accepted', quality_reasons: accepted.quality?.reasons.join('; '), reject_rate: 0.3, null_rate_campaign: 0.3, error: null },
    ]);
  }, 240_000);
});
