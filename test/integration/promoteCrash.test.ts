/**
 * A worker killed (SIGKILL) in the middle of a promotion and restarted changes nothing in the result:
 * Temporal retries the interrupted activity on the new worker, versioned writes make the retry
 * overwrite rather than add, and Gold still equals the truth to the row.
 */
import { Client } from '@temporalio/client';
import { connectTemporal } from '../../activities/clients';
import { hourKey } from '../../core/time';
import { layoutOf } from '../../infra/layout';
import { readPid } from '../../infra/process';
import { stackUp } from '../../infra/stack';
import { generate, writeTruth } from '../../workers/generate';
import { comparableTables, findQuietWindow, newIdScope, runPromoteDay, runPromoteHour, verifyGold } from '../../workers/lakeCommands';
import { promoteHour } from '../../workflows';
import { promoteHourStateQuery, promoteHourWorkflowId } from '../../workflows/promoteHour';
import { stackConfig } from '../support/stack';

const config = stackConfig();

describe('promotion survives a killed worker', () => {
  afterAll(async () => {
    await stackUp(config, () => undefined); // the worker is back whatever happened
  }, 180_000);

  it('kill -9 of the worker during promoteHour, restart: the hour and Gold are exact', async () => {
    const now = Date.now();
    const quiet = await findQuietWindow(config, now);
    const result = await generate(
      config.collector,
      {
        ratePerSec: 5000,
        durationSec: 4,
        batchSize: 500,
        concurrency: 4,
        gzip: true,
        eventTimeShiftMs: quiet.targetMs - now,
        traffic: { idScope: newIdScope(), seed: Math.floor(Math.random() * 2 ** 31), campaigns: 15, users: 600, titles: 20, lateFraction: 0.05, duplicateFraction: 0.05 },
      },
      undefined,
    );
    const truthFile = `${config.paths.stateDir}/crash-truth-${now}.json`;
    const truth = writeTruth(truthFile, result);
    const hours = [...new Set(result.accepted.map((e) => hourKey(e.event_time)))].sort();
    const busiest = hourKey(quiet.targetMs);

    const connection = await connectTemporal(config.temporal);
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace });
      const handle = await client.workflow.start(promoteHour, {
        workflowId: promoteHourWorkflowId(busiest),
        taskQueue: config.temporal.taskQueue,
        args: [{ hour: busiest }],
      });
      // Kill the worker as soon as the promotion is past waiting for Bronze (or after 5 s at the latest).
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        const state = await handle.query(promoteHourStateQuery).catch(() => undefined);
        if (state && state.status !== 'WAITING_FOR_BRONZE') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const workerPid = readPid(layoutOf(config.paths).pidFile('worker')) as number;
      // The promotion is in flight when its worker dies.
      expect((await handle.describe()).status.name).toBe('RUNNING');
      process.kill(workerPid, 'SIGKILL');
      await stackUp(config, () => undefined);
      const promoted = await handle.result();
      const l = promoted.silver;
      expect(l.rows_in).toBe(l.rows_out + l.duplicates + l.rejected + l.late + l.erased);
    } finally {
      await connection.close();
    }

    let counted = 0;
    for (const hour of hours) counted += (await runPromoteHour(config, hour)).silver.rows_out;
    // The hours hold only this traffic on a quiet day; elsewhere other traffic adds to them.
    if (quiet.wholeDay) expect(counted).toBe(truth.stats.counted);
    else expect(counted).toBeGreaterThanOrEqual(truth.stats.counted);
    for (const dt of [...new Set(hours.map((h) => h.slice(0, 10)))]) await runPromoteDay(config, dt);
    const verdict = await verifyGold(config, truthFile, comparableTables(quiet));
    expect(verdict.diffs).toEqual([]);
  }, 600_000);
});
