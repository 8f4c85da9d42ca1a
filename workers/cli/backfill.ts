/**
 * `clicklake backfill --from H --to H`: promote a range of hours again (and their days) on the
 * backfill task queue, with a progress bar on stderr; `--cancel` stops the running one.
 */
import type { BackfillCounts } from '../../core/backfill';
import { BadInputError, errorMessage } from '../../core/errors';
import { parseHourKey } from '../../core/time';
import { loadConfig } from '../config';
import { defineCommand, flagOption, numberOption, textOption, type CommandContext } from './command';

function checkHour(value: string, flag: string): void {
  try {
    parseHourKey(value);
  } catch (err) {
    throw new BadInputError(`${flag}: ${errorMessage(err).replace(/^\w+: /, '')}`);
  }
}

/** Prints a bar line whenever the counts change, with the ETA from the rate seen since the first poll. */
async function progressPrinter(context: CommandContext): Promise<(counts: BackfillCounts, attached: boolean) => void> {
  const { eta, progressBar } = await import('../../core/backfill');
  let first: { settled: number; ms: number } | undefined;
  let last = '';
  let said = false;
  return (counts, attached) => {
    if (attached && !said) context.progress('attached to the backfill of this range already running');
    said = true;
    const settled = counts.done + counts.failed;
    const now = Date.now();
    first ??= { settled, ms: now };
    const line = progressBar(counts, eta(first.settled, first.ms, settled, now, counts.pending + counts.running).remainingMs);
    if (line.replace(/, ETA .*/, '') !== last.replace(/, ETA .*/, '')) context.progress(line);
    last = line;
  };
}

export const backfillCommand = defineCommand({
  name: 'backfill',
  summary: 're-promote a range of hours (both ends included) and their days on the backfill task queue, with progress',
  options: {
    from: textOption('HOUR', 'first hour (YYYY-MM-DDTHH, UTC)', { required: true, check: checkHour }),
    to: textOption('HOUR', 'last hour, included', { required: true, check: checkHour }),
    concurrency: numberOption('N', 'hours promoted at once (default CLICKLAKE_BACKFILL_CONCURRENCY, 4)', { min: 1, max: 64, integer: true }),
    failedOnly: flagOption('only the hours that failed in the last backfill of this range'),
    staleOnly: flagOption('only the hours that are STALE'),
    dryRun: flagOption('list the hours it would promote, promote nothing'),
    reason: textOption('TEXT', 'a note kept in the workflow memo and result (audit rows say backfill)'),
    cancel: flagOption('stop the running backfill of this range (hours published stay published)'),
  },
  async run(options, _words, context) {
    const { runBackfill } = await import('../backfill');
    const { backfillFailed } = await import('../../core/backfill');
    const print = await progressPrinter(context);
    const summary = await runBackfill(loadConfig(), options, { onProgress: (progress, attached) => print(progress.counts, attached) });
    const failedHours = summary.failed.map((f) => f.hour);
    return {
      value: summary,
      text: () =>
        `${summary.workflow_id}${summary.cancelled === true ? ' (cancelled)' : ''}: ${summary.hours.done} hours done, ${summary.hours.failed} failed, ${summary.hours.skipped} skipped; ` +
        `${summary.days.done} days done, ${summary.days.failed} failed\n` +
        (summary.would_run === undefined ? '' : `would promote: ${summary.would_run.join(' ') || '(nothing)'}\n`) +
        summary.failed.map((f) => `  ${f.hour}: ${f.error}\n`).join('') +
        summary.failed_days.map((d) => `  ${d.dt}: ${d.error}\n`).join(''),
      failure: backfillFailed(summary) ? `${summary.hours.failed} hour(s) and ${summary.days.failed} day(s) failed${failedHours.length > 0 ? `: ${failedHours.join(', ')}` : ''}` : undefined,
    };
  },
});
