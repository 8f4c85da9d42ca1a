/** `clicklake status`: freshness of each hour, consumer lag, schedules, CTR drift; exit 1 when an hour is FAILED. */
import { parseHourKey } from '../../core/time';
import { loadConfig } from '../config';
import { defineCommand } from './command';
import { UsageError } from './program';
import { hourOption } from './reconcile';

export const statusCommand = defineCommand({
  name: 'status',
  summary: 'freshness of each dataset-hour and dataset-day (READY / STALE / RUNNING / LATE / FAILED with its reason), quarantined late events, consumer lag, schedules, CTR drift',
  options: {
    from: hourOption('first hour to report (default: 24 hours before now)'),
    to: hourOption('last hour to report (default: now)'),
  },
  async run({ from, to }) {
    const { formatStatus, lakeStatus } = await import('../status');
    const nowMs = Date.now();
    const fromMs = from === undefined ? (to === undefined ? nowMs - 24 * 3_600_000 : parseHourKey(to).startMs - 24 * 3_600_000) : parseHourKey(from).startMs;
    const toMs = to === undefined ? nowMs : parseHourKey(to).startMs;
    if (fromMs > toMs) throw new UsageError(`status: --from ${from ?? ''} is after --to ${to ?? 'now'}`);
    const report = await lakeStatus(loadConfig(), nowMs, { fromMs, toMs });
    const failed = report.hours.filter((h) => h.status === 'FAILED').map((h) => h.hour);
    return {
      value: report,
      text: () => formatStatus(report),
      failure: failed.length === 0 ? undefined : `${failed.length} hour(s) FAILED: ${failed.join(', ')}`,
    };
  },
});
