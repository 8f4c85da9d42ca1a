/**
 * A promotion whose own invariant breaks ends FAILED within one attempt, with its reason in the places
 * users look: the workflow (Temporal Web UI: status, failure, search attribute LakeStatus), the audit
 * table `lake.audit.hour_runs` (a `failed` row with the error), its `state` query and `clicklake status`. Then
 * the cause is repaired and the same hour promotes to READY.
 *
 * The broken invariant is Bronze conservation: an object holding fewer records than its manifest
 * says (as a torn or tampered object would), in an hour of the test's own (test/support/isolatedHour.ts).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { connectTemporal, createS3, Presto } from '../../activities/clients';
import { encodeBronzeObject } from '../../activities/bronze';
import { bronzeObjectKey } from '../../core/bronze';
import { runPromoteHour } from '../../workers/lakeCommands';
import { lakeStatus } from '../../workers/status';
import { promoteHourStateQuery, promoteHourWorkflowId, type PromoteHourState } from '../../workflows/promoteHour';
import { isolatedHour } from '../support/isolatedHour';
import { stackConfig } from '../support/stack';

const config = stackConfig();
const EventType = temporal.api.enums.v1.EventType;

describe('a promotion whose invariant breaks', () => {
  const s3 = createS3(config.s3);
  const presto = new Presto(config.presto);
  const { topic, h0, hour, dt, hr, record, write } = isolatedHour('failed');
  const records = [0, 1, 2].map((offset) => record(0, offset, 10 + offset));
  const range = { topic, partition: 0, firstOffset: 0, lastOffset: 2 };

  afterAll(() => s3.destroy());

  async function auditRows(): Promise<Array<Record<string, unknown>>> {
    return presto.queryObjects(
      `SELECT status, error, rows_in, rows_out FROM lake.audit.hour_runs WHERE dt = '${dt}' AND hr = '${hr}' AND layer = 'silver' ORDER BY finished_at`,
    );
  }

  it('shows FAILED with its reason after one attempt, and READY once the cause is repaired', async () => {
    // The manifest commits 3 records; the object is then replaced by one holding 2 of them.
    await write(s3, config.s3.bucket, records);
    const torn = await encodeBronzeObject(records.slice(0, 2));
    await s3.send(new PutObjectCommand({ Bucket: config.s3.bucket, Key: bronzeObjectKey(range), Body: torn }));

    const failure = await runPromoteHour(config, hour).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const expectedReason = `InvariantViolationError: silver ${hour}: read 2 Bronze records of the hour, the manifests say 3`;
    expect(String((failure as WorkflowFailedError).cause?.message)).toBe(`promote ${hour}: ${expectedReason}`);

    const connection = await connectTemporal(config.temporal);
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace });
      const handle = client.workflow.getHandle(promoteHourWorkflowId(hour));
      const described = await handle.describe();
      expect(described.status.name).toBe('FAILED');
      expect(described.searchAttributes.LakeStatus).toEqual(['FAILED']);
      expect(await handle.query<PromoteHourState>(promoteHourStateQuery)).toMatchObject({ status: 'FAILED', error: expectedReason });

      // One attempt: buildHour was started once, and its failure was final (not retried).
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = new Map(
        events
          .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
          .map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name]),
      );
      const buildStarts = events.filter(
        (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && scheduled.get(String(e.activityTaskStartedEventAttributes?.scheduledEventId)) === 'buildHour',
      );
      expect(buildStarts.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([1]);
      expect([...scheduled.values()]).toContain('recordFailedRun');
      expect([...scheduled.values()]).not.toContain('publishHour');
    } finally {
      await connection.close();
    }
    expect(await auditRows()).toEqual([{ status: 'failed', error: expectedReason, rows_in: 0, rows_out: 0 }]);
    // And in `clicklake status`: the hour FAILED with the same reason.
    const status = await lakeStatus(config, Date.now(), { fromMs: h0, toMs: h0 });
    expect(status.hours.map((h) => [h.hour, h.status, h.error])).toEqual([[hour, 'FAILED', expectedReason]]);

    // Repaired (the object written again whole): the same hour promotes, and its latest run is published.
    await write(s3, config.s3.bucket, records);
    const result = await runPromoteHour(config, hour);
    expect(result.silver).toEqual({ rows_in: 3, rows_out: 3, duplicates: 0, rejected: 0, late: 0, erased: 0 });
    expect(await auditRows()).toEqual([
      { status: 'failed', error: expectedReason, rows_in: 0, rows_out: 0 },
      { status: 'published', error: null, rows_in: 3, rows_out: 3 },
      // The Gold layer's row of the same run follows in the table; this query reads the silver layer only.
    ]);
  }, 240_000);
});
