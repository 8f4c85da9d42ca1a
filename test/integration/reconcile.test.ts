/**
 * Late-data reconciliation on the real stack (the stack's worker runs reconcileLate): an hour is
 * promoted, then late events of it land in Bronze (one of them past the allowed lateness); status
 * shows the hour and its day STALE with exactly those events waiting; the reconcile workflow, scoped
 * to that hour, restates it and waits for the day; Gold then equals counts computed here from the
 * events sent, and lake.audit.restatements says what changed, from which version to which, why.
 *
 * Bronze objects are written with the ingestion's own writer under a topic of this run's own, in a
 * random hour of 2025, where no other traffic is (as test/integration/staleness.test.ts).
 */
import { Client } from '@temporalio/client';
import { connectTemporal, createS3, Presto } from '../../activities/clients';
import { putBronzeObject } from '../../activities/bronze';
import type { BronzeRecord } from '../../core/bronze';
import { quoteLiteral } from '../../core/lake';
import { DAY_MS, MINUTE_MS, hourKey, parseHourKey } from '../../core/time';
import { runPromoteHour } from '../../workers/lakeCommands';
import { runReconcile } from '../../workers/reconcile';
import { lakeStatus } from '../../workers/status';
import { promoteDayWorkflowId } from '../../workflows/promoteDay';
import { eventRecord } from '../unit/eventFixtures';
import { stackConfig, uniqueName } from '../support/stack';
import { randomTestHourMs } from '../support/isolatedHour';

const config = stackConfig();

type Ad = { campaign: string; type: 'ad_impression' | 'ad_click'; user: number };

describe('reconciling late events', () => {
  const s3 = createS3(config.s3);
  const presto = new Presto(config.presto);
  const run = uniqueName('recon');
  const topic = `clicklake.${run.replace(/_/g, '-')}`;
  const h0 = randomTestHourMs();
  const hour = hourKey(h0);
  const { dt, hr } = parseHourKey(hour);
  const [cA, cB, cC] = ['a', 'b', 'c'].map((c) => `${run}-${c}`) as [string, string, string];
  let nextOffset = 0;

  /** One Bronze object of these ad events on partition 0, received `receivedAfterMs` after each happened. */
  const write = (ads: readonly Ad[], receivedAfterMs: number) => {
    const records: BronzeRecord[] = ads.map((ad, i) => {
      const offset = nextOffset + i;
      const eventTime = h0 + (offset % 50) * MINUTE_MS;
      const event = eventRecord({ event_id: `${run}-${offset}`, event_type: ad.type, event_time: eventTime, user_id: `user-${run}-${ad.user}`, received_time: eventTime + receivedAfterMs, campaign_id: ad.campaign, ad_id: 'ad-1' });
      return { topic, partition: 0, offset, kafka_timestamp_ms: event.received_time, schema_id: 1, received_time: event.received_time, event };
    });
    const range = { topic, partition: 0, firstOffset: nextOffset, lastOffset: nextOffset + ads.length - 1 };
    nextOffset += ads.length;
    return putBronzeObject(s3, config.s3.bucket, range, records);
  };
  const ads = (campaign: string, impressions: number, clicks: number, user = 0): Ad[] => [
    ...Array.from({ length: impressions }, (_, i) => ({ campaign, type: 'ad_impression' as const, user: user + (i % 2) })),
    ...Array.from({ length: clicks }, () => ({ campaign, type: 'ad_click' as const, user })),
  ];
  const gold = async (table: string, where: string) =>
    Object.fromEntries((await presto.queryObjects(`SELECT * FROM lake.gold.${table} WHERE ${where} AND starts_with(campaign_id, ${quoteLiteral(run)}) ORDER BY campaign_id`)).map((r) => [String(r.campaign_id), r]));
  const status = () => lakeStatus(config, Date.now(), { fromMs: h0, toMs: h0 });
  const waitForDay = async () => {
    const connection = await connectTemporal(config.temporal);
    try {
      await new Client({ connection, namespace: config.temporal.namespace }).workflow.getHandle(promoteDayWorkflowId(dt)).result();
    } finally {
      await connection.close();
    }
  };

  afterAll(() => s3.destroy());

  it('shows the hour STALE, restates it and its day exactly, and records what changed', async () => {
    await write([...ads(cA, 4, 1), ...ads(cB, 2, 0)], MINUTE_MS);
    const first = await runPromoteHour(config, hour);
    await waitForDay();

    // Late: two days later (within the allowed lateness) more of A and a new C; one of B past it.
    await write([...ads(cA, 2, 2, 5), ...ads(cC, 1, 1, 7)], 2 * DAY_MS);
    await write(ads(cB, 1, 0, 9), 9 * DAY_MS);
    const stale = await status();
    const hourly = stale.datasets.filter((d) => d.hr === hr);
    expect(hourly.map((d) => [d.dataset, d.state, d.waiting_events, d.version])).toEqual([
      ['silver.events', 'STALE', 7, first.version],
      ['gold.ctr_hourly', 'STALE', 7, first.version],
    ]);
    expect(stale.datasets.filter((d) => d.hr === undefined).map((d) => [d.dataset, d.state, d.final])).toEqual([
      ['gold.campaign_daily', 'STALE', true],
      ['gold.dau_daily', 'STALE', true],
      ['gold.title_plays_daily', 'STALE', true],
    ]);

    const started = Date.now();
    const { result } = await runReconcile(config, { from: hour, to: hour }, Date.now(), () => {});
    const reconcileMs = Date.now() - started;
    expect(result.failed).toEqual([]);
    expect(result.restated.map((h) => [h.hour, h.ledger])).toEqual([[hour, { rows_in: 14, rows_out: 13, duplicates: 0, rejected: 0, late: 1, erased: 0 }]]);
    expect(result.days).toEqual([dt]);
    const second = result.restated[0]?.version as string;

    // Gold exactly what the accepted, on-time events give: A 6 impressions 3 clicks, B 2/0 (its late one quarantined), C 1/1.
    const expected = { [cA]: [6, 3], [cB]: [2, 0], [cC]: [1, 1] };
    const hourlyGold = await gold('ctr_hourly', `dt = ${quoteLiteral(dt)} AND hr = ${quoteLiteral(hr)}`);
    const daily = await gold('campaign_daily', `dt = ${quoteLiteral(dt)}`);
    for (const table of [hourlyGold, daily]) {
      expect(Object.fromEntries(Object.entries(table).map(([c, r]) => [c, [Number(r.impressions), Number(r.clicks)]]))).toEqual(expected);
    }

    const restatements = await presto.queryObjects(
      `SELECT table_name, row_key, old_version, new_version, old_values, new_values, reason FROM lake.audit.restatements ` +
        `WHERE dt = ${quoteLiteral(dt)} AND starts_with(row_key, ${quoteLiteral(run)}) ORDER BY table_name, row_key`,
    );
    const hourRows = restatements.filter((r) => r.table_name === 'ctr_hourly');
    expect(hourRows).toEqual([
      { table_name: 'ctr_hourly', row_key: cA, old_version: first.version, new_version: second, old_values: '{"impressions":4,"clicks":1,"ctr":0.25}', new_values: '{"impressions":6,"clicks":3,"ctr":0.5}', reason: 'late_events' },
      { table_name: 'ctr_hourly', row_key: cC, old_version: first.version, new_version: second, old_values: null, new_values: '{"impressions":1,"clicks":1,"ctr":1}', reason: 'late_events' },
    ]);
    // The day's rows of the reconcile's publish (the latest day version): its first publish may have
    // restated rows of its own too, when the day already held Gold of other traffic.
    const dayVersions = restatements.filter((r) => r.table_name === 'campaign_daily').map((r) => String(r.new_version));
    const latestDay = dayVersions.sort().at(-1);
    const dayRows = restatements.filter((r) => r.table_name === 'campaign_daily' && r.new_version === latestDay);
    expect(dayRows.map((r) => [r.row_key, r.old_values, r.new_values, r.reason])).toEqual([
      [cA, '{"impressions":4,"clicks":1,"ctr":0.25,"unique_users":2}', '{"impressions":6,"clicks":3,"ctr":0.5,"unique_users":4}', 'late_events'],
      [cC, null, '{"impressions":1,"clicks":1,"ctr":1,"unique_users":1}', 'late_events'],
    ]);

    const after = await status();
    expect(after.datasets.map((d) => d.state)).toEqual(['READY', 'READY', 'READY', 'READY', 'READY']);
    expect(after.hours.map((h) => [h.hour, h.late_events])).toEqual([[hour, 1]]);
    process.stderr.write(`reconcile of one hour and its day: ${reconcileMs} ms\n`);
  }, 180_000);
});
