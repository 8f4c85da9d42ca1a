/**
 * A backfill on the real stack: 6 hours of a topic of the test's own in a random 2025 day, one of
 * them torn (an object holding fewer records than its manifest says). The stack's worker is killed
 * (SIGKILL) in the middle and restarted: the backfill resumes from its Temporal state and ends with
 * 5 hours done and the torn one failed, each published hour counted exactly once. Then the object is
 * repaired and `--failed-only` runs that one hour and no other.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Client } from '@temporalio/client';
import { connectTemporal, createS3, Presto } from '../../activities/clients';
import { encodeBronzeObject } from '../../activities/bronze';
import { backfillWorkflowId } from '../../core/backfill';
import { bronzeObjectKey } from '../../core/bronze';
import { HOUR_MS, hourKey, parseHourKey } from '../../core/time';
import { layoutOf } from '../../infra/layout';
import { readPid } from '../../infra/process';
import { stackUp } from '../../infra/stack';
import { runBackfill } from '../../workers/backfill';
import { backfillProgressQuery } from '../../workflows/backfillRange';
import { isolatedHour } from '../support/isolatedHour';
import { stackConfig } from '../support/stack';

const config = stackConfig();

describe('backfill on the real stack', () => {
  const s3 = createS3(config.s3);
  const presto = new Presto(config.presto);
  // Six hours from the isolated hour, moved so that all six fall on its day.
  const base = isolatedHour('backfill');
  const shift = Math.min(0, 18 - Number(base.hr)) * 60;
  const hourAt = (i: number) => hourKey(base.h0 + (shift / 60 + i) * HOUR_MS);
  const hours = [0, 1, 2, 3, 4, 5].map(hourAt);
  const [from, torn, to] = [hours[0] as string, hours[3] as string, hours[5] as string];
  const { dt } = parseHourKey(from);
  // Partition i holds hour i's 3 records, 5 to 7 minutes into it.
  const recordsOf = (i: number) => [0, 1, 2].map((offset) => base.record(i, offset, shift + i * 60 + 5 + offset));

  afterAll(async () => {
    s3.destroy();
    await stackUp(config, () => undefined); // the worker is back whatever happened
  }, 180_000);

  async function backfillRuns(): Promise<Array<Record<string, unknown>>> {
    const list = hours.map((h) => `'${parseHourKey(h).hr}'`).join(', ');
    return presto.queryObjects(
      `SELECT hr, status, rows_out FROM lake.audit.hour_runs WHERE dt = '${dt}' AND hr IN (${list}) AND layer = 'silver' AND reason = 'backfill' ORDER BY hr, finished_at`,
    );
  }

  it('resumes after the worker is killed, ends exact, and --failed-only re-runs only the failed hour', async () => {
    for (let i = 0; i < hours.length; i++) await base.write(s3, config.s3.bucket, recordsOf(i));
    const tornRange = { topic: base.topic, partition: 3, firstOffset: 0, lastOffset: 2 };
    await s3.send(new PutObjectCommand({ Bucket: config.s3.bucket, Key: bronzeObjectKey(tornRange), Body: await encodeBronzeObject(recordsOf(3).slice(0, 2)) }));

    const started = Date.now();
    const running = runBackfill(config, { from, to, concurrency: 1, reason: 'integration test' }, { pollMs: 500 });
    const connection = await connectTemporal(config.temporal);
    try {
      const handle = new Client({ connection, namespace: config.temporal.namespace }).workflow.getHandle(backfillWorkflowId(from, to));
      for (;;) {
        const progress = await handle.query(backfillProgressQuery).catch(() => undefined);
        if (progress !== undefined && progress.counts.done >= 2) break;
        if (Date.now() - started > 60_000) throw new Error('the backfill did not get 2 hours done within a minute');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect((await handle.describe()).status.name).toBe('RUNNING');
      process.kill(readPid(layoutOf(config.paths).pidFile('worker')) as number, 'SIGKILL');
      await stackUp(config, () => undefined);
    } finally {
      await connection.close();
    }
    const summary = await running;
    expect(summary).toMatchObject({ workflow_id: backfillWorkflowId(from, to), hours: { done: 5, failed: 1, skipped: 0 }, days: { done: 1, failed: 0 }, reason: 'integration test' });
    expect(summary.failed).toEqual([{ hour: torn, error: expect.stringContaining(`InvariantViolationError: promote ${torn}: InvariantViolationError: silver ${torn}: read 2 Bronze records`) }]);
    // Every good hour published once by the backfill with its 3 rows; the torn one failed.
    const runs = await backfillRuns();
    expect(runs.filter((r) => r.status === 'published')).toEqual(hours.filter((h) => h !== torn).map((h) => ({ hr: parseHourKey(h).hr, status: 'published', rows_out: 3 })));
    expect(runs.filter((r) => r.status === 'failed').map((r) => r.hr)).toEqual([parseHourKey(torn).hr]);

    // Repaired: the object written again whole; only the failed hour runs again.
    await base.write(s3, config.s3.bucket, recordsOf(3));
    const again = await runBackfill(config, { from, to, failedOnly: true }, { pollMs: 500 });
    expect(again).toMatchObject({ hours: { done: 1, failed: 0, skipped: 5 }, failed: [], days: { done: 1, failed: 0 } });
    const after = await backfillRuns();
    expect(after.filter((r) => r.status === 'published').map((r) => r.hr)).toEqual(hours.map((h) => parseHourKey(h).hr));
    const silver = await presto.queryObjects(`SELECT count(*) AS n FROM lake.silver.events WHERE dt = '${dt}' AND event_id LIKE '${base.run}-%'`);
    expect(silver).toEqual([{ n: 18 }]);
  }, 400_000);
});
