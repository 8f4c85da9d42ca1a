/**
 * End to end on the real stack: traffic with duplicates, malformed, late and too-late events goes
 * through the collector into a quiet stretch of past hours (event times shifted back, as a client
 * replaying a backlog sends them), Bronze ingestion picks it up, each hour and day is promoted
 * through Temporal, and Gold in Presto must equal the generator's truth exactly.
 */
import { Presto } from '../../activities/clients';
import { hourKey } from '../../core/time';
import { generate, writeTruth } from '../../workers/generate';
import { comparableTables, findQuietWindow, newIdScope, runPromoteDay, runPromoteHour, verifyGold } from '../../workers/lakeCommands';
import { stackConfig } from '../support/stack';

const config = stackConfig();

describe('pipeline: collector → Bronze → Silver → Gold', () => {
  it('promotes every hour and day of the traffic, and Gold equals the truth to the row', async () => {
    const now = Date.now();
    const quiet = await findQuietWindow(config, now);
    const day = new Date(quiet.targetMs).toISOString().slice(0, 10);
    // Events land around the quiet target; late ones up to 6 hours earlier.
    const shift = quiet.targetMs - now;
    const result = await generate(
      config.collector,
      {
        ratePerSec: 4000,
        durationSec: 3,
        batchSize: 500,
        concurrency: 4,
        gzip: true,
        eventTimeShiftMs: shift,
        traffic: { idScope: newIdScope(), seed: Math.floor(Math.random() * 2 ** 31), campaigns: 20, users: 800, titles: 40, lateFraction: 0.1, tooLateFraction: 0.02, duplicateFraction: 0.05, malformedFraction: 0.03 },
      },
      undefined,
    );
    const truthFile = `${config.paths.stateDir}/pipeline-truth-${now}.json`;
    const truth = writeTruth(truthFile, result);
    expect(truth.stats.duplicates).toBeGreaterThan(0);
    expect(truth.stats.quarantined).toBeGreaterThan(0);
    expect(result.summary.rejected).toBeGreaterThan(0);

    const hours = [...new Set(result.accepted.filter((e) => e.quarantine_reason === null).map((e) => hourKey(e.event_time)))].sort();
    expect(hours.length).toBeGreaterThan(3);
    let counted = 0;
    for (const hour of hours) {
      const promoted = await runPromoteHour(config, hour);
      const l = promoted.silver;
      expect(l.rows_in).toBe(l.rows_out + l.duplicates + l.rejected + l.late + l.erased);
      counted += l.rows_out;
    }
    // The hours hold only this traffic on a quiet day; elsewhere other traffic adds to them.
    if (quiet.wholeDay) expect(counted).toBe(truth.stats.counted);
    else expect(counted).toBeGreaterThanOrEqual(truth.stats.counted);
    for (const dt of [...new Set(hours.map((h) => h.slice(0, 10)))]) await runPromoteDay(config, dt);

    // On a day that holds other traffic, the tables keyed by campaign or title are compared over this
    // run's id scope, and dau_daily (no such key) is not.
    const verdict = await verifyGold(config, truthFile, comparableTables(quiet));
    expect(verdict.diffs).toEqual([]);
    expect(verdict.ok).toBe(true);

    // Every run is in the audit ledger, balanced.
    const presto = new Presto(config.presto);
    const audit = await presto.queryObjects(
      `SELECT layer, rows_in, rows_out, duplicates, rejected, late, erased FROM lake.audit.hour_runs WHERE dt = '${day}' AND layer = 'silver'`,
    );
    expect(audit.length).toBeGreaterThan(0);
    for (const row of audit) expect(row.rows_in).toBe(Number(row.rows_out) + Number(row.duplicates) + Number(row.rejected) + Number(row.late) + Number(row.erased));
  }, 600_000);
});
