/** `clicklake status`: freshness of each hour, consumer lag, schedules, CTR drift; exit 1 when an hour is FAILED. */
import { loadConfig } from '../config';
import { defineCommand } from './command';

export const statusCommand = defineCommand({
  name: 'status',
  summary: 'freshness of each hour (READY / RUNNING / LATE / FAILED with its reason), consumer lag, schedules, CTR drift',
  options: {},
  async run() {
    const { formatStatus, lakeStatus } = await import('../status');
    const report = await lakeStatus(loadConfig(), Date.now());
    const failed = report.hours.filter((h) => h.status === 'FAILED').map((h) => h.hour);
    return {
      value: report,
      text: () => formatStatus(report),
      failure: failed.length === 0 ? undefined : `${failed.length} hour(s) FAILED: ${failed.join(', ')}`,
    };
  },
});
