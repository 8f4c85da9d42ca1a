/** `clicklake generate`: synthetic traffic through the collector; `--truth` writes the expected Gold rows. */
import { requireSecrets } from '../../core/config';
import { loadConfig } from '../config';
import { defineCommand, flagOption, numberOption, textOption } from './command';

const pct = (what: string) => numberOption('P', `percent of events ${what}`, { min: 0, max: 100, default: 0 });
const MAX_SEED = 2_147_483_647;

export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'synthetic traffic through the collector (late, duplicate and malformed events on demand)',
  options: {
    rate: numberOption('R', 'events per second', { min: 1, max: 10_000_000, default: 1000 }),
    duration: numberOption('S', 'seconds of traffic', { min: 0.1, max: 86_400, default: 10 }),
    latePct: pct('sent late (within the allowed lateness)'),
    tooLatePct: pct('sent too late (quarantined)'),
    dupPct: pct('sent twice'),
    badPct: pct('malformed (rejected with reasons)'),
    truth: textOption('FILE', 'write the expected Gold rows of the traffic to FILE'),
    seed: numberOption('N', 'seed of the traffic model (default: from the clock)', { min: 0, max: MAX_SEED, integer: true }),
    batch: numberOption('N', 'events per request', { min: 1, max: 1000, integer: true, default: 500 }),
    concurrency: numberOption('N', 'requests in flight', { min: 1, max: 256, integer: true, default: 4 }),
    campaigns: numberOption('N', 'campaigns', { min: 1, max: 1_000_000, integer: true, default: 50 }),
    users: numberOption('N', 'users', { min: 1, max: 100_000_000, integer: true, default: 5000 }),
    titles: numberOption('N', 'video titles', { min: 1, max: 1_000_000, integer: true, default: 200 }),
    gzip: flagOption('send gzip-compressed request bodies'),
  },
  async run(o) {
    const { generate, writeTruth } = await import('../generate');
    const config = loadConfig();
    requireSecrets(config);
    const options = {
      ratePerSec: o.rate,
      durationSec: o.duration,
      batchSize: o.batch,
      concurrency: o.concurrency,
      gzip: o.gzip,
      // The campaigns' advertisers (lake.gold.dim_campaign), for per-advertiser access.
      lake: config.s3,
      traffic: {
        seed: o.seed ?? Date.now() % MAX_SEED,
        campaigns: o.campaigns,
        users: o.users,
        titles: o.titles,
        lateFraction: o.latePct / 100,
        tooLateFraction: o.tooLatePct / 100,
        duplicateFraction: o.dupPct / 100,
        malformedFraction: o.badPct / 100,
      },
    };
    const tty = process.stderr.isTTY;
    const result = await generate(config.collector, options, (line) => {
      if (tty) process.stderr.write(`\r${line}`);
    });
    if (tty) process.stderr.write('\n');
    const truth = o.truth === undefined ? undefined : writeTruth(o.truth, result);
    const s = result.summary;
    return {
      value: { ...s, truth_file: o.truth ?? null, truth_stats: truth?.stats ?? null },
      text: () =>
        `sent ${s.sent} events in ${s.durationSec} s (${s.eventsPerSec}/s, seed ${s.seed}): accepted ${s.accepted} (quarantined ${s.quarantined}), ` +
        `rejected ${s.rejected}, retries ${s.retries}\n` +
        (truth ? `truth (${truth.stats.counted} counted events after dedup) written to ${o.truth}\n` : ''),
    };
  },
});
