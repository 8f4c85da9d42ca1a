/**
 * Sessions across a restatement on the real stack: hour H+1 is promoted before H (as a backfill or
 * late data would have it), so its derived session starts fresh; then H is promoted, its end state
 * reaches into H+1, and promoteHour of H must have promoted H+1 again so the session continues
 * across the boundary (core/silver.ts sessionize: deterministic across hours).
 *
 * The Bronze objects are written straight into the lake by the ingestion's own writer
 * (putBronzeObject: object, hour index, manifest), under a topic of this run's own: the always-on ingestion never sees them, and the hours (a random
 * hour of 2025, received a minute after the events, so on time) hold no other traffic of this run.
 */
import { type S3Client } from '@aws-sdk/client-s3';
import { Client } from '@temporalio/client';
import { connectTemporal, createS3, Presto } from '../../activities/clients';
import { putBronzeObject } from '../../activities/bronze';
import { type BronzeRecord } from '../../core/bronze';
import { HOUR_MS, MINUTE_MS, hourKey, parseHourKey } from '../../core/time';
import { runPromoteHour } from '../../workers/lakeCommands';
import { promoteHourWorkflowId } from '../../workflows/promoteHour';
import { eventRecord } from '../unit/eventFixtures';
import { waitFor } from '../support/ctr';
import { stackConfig, uniqueName } from '../support/stack';
import { randomTestHourMs } from '../support/isolatedHour';

const config = stackConfig();

async function writeBronze(s3: S3Client, records: readonly BronzeRecord[]): Promise<void> {
  const first = records[0] as BronzeRecord;
  const range = { topic: first.topic, partition: first.partition, firstOffset: first.offset, lastOffset: first.offset + records.length - 1 };
  await putBronzeObject(s3, config.s3.bucket, range, records);
}

describe('restating an hour', () => {
  const s3 = createS3(config.s3);
  const presto = new Presto(config.presto);
  const run = uniqueName('restate');
  const topic = `clicklake.${run.replace(/_/g, '-')}`;
  const user = `user-${run}`;
  const h0 = randomTestHourMs();
  const hour = hourKey(h0);
  const next = hourKey(h0 + HOUR_MS);

  const record = (offset: number, eventTimeMs: number): BronzeRecord => {
    const event = eventRecord({ event_id: `${run}-${offset}`, event_type: 'page_view', event_time: eventTimeMs, user_id: user, received_time: eventTimeMs + MINUTE_MS });
    return { topic, partition: 0, offset, kafka_timestamp_ms: event.received_time, schema_id: 1, received_time: event.received_time, event };
  };

  async function sessionsOf(h: string): Promise<string[]> {
    const { dt, hr } = parseHourKey(h);
    const rows = await presto.queryObjects(
      `SELECT DISTINCT session_id FROM lake.silver.events WHERE dt = '${dt}' AND hr = '${hr}' AND event_id LIKE '${run}-%'`,
    );
    return rows.map((row) => String(row.session_id));
  }

  it('promotes the next hour again, so a session continues across the boundary', async () => {
    // H+1 first: one event 10 minutes in, with nothing before it.
    await writeBronze(s3, [record(0, h0 + HOUR_MS + 10 * MINUTE_MS)]);
    await runPromoteHour(config, next);
    const [alone] = await sessionsOf(next);
    expect(alone).toMatch(/^ds-/);

    const connection = await connectTemporal(config.temporal);
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace });
      const firstRun = (await client.workflow.getHandle(promoteHourWorkflowId(next)).describe()).runId;

      // Then H: events 50 and 55 minutes in, 15 minutes before the one of H+1: one session.
      await writeBronze(s3, [record(1, h0 + 50 * MINUTE_MS), record(2, h0 + 55 * MINUTE_MS)]);
      const restated = await runPromoteHour(config, hour);
      expect(restated.nextHourStale).toBe(true);
      const [session] = await sessionsOf(hour);
      expect(session).toMatch(/^ds-/);

      // promoteHour of H started H+1 again; wait for that run to finish.
      await waitFor(
        `a new run of ${promoteHourWorkflowId(next)}`,
        async () => {
          const described = await client.workflow.getHandle(promoteHourWorkflowId(next)).describe();
          return described.runId !== firstRun && described.status.name === 'COMPLETED';
        },
        120_000,
        500,
      );
      expect(await sessionsOf(next)).toEqual([session]);
      expect(session).not.toBe(alone);

      // Promoting H again changes nothing H+1 starts from: no further run.
      const again = await runPromoteHour(config, hour);
      expect(again.nextHourStale).toBe(false);
    } finally {
      await connection.close();
    }
  }, 300_000);
});
