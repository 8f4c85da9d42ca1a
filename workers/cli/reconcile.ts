/** `clicklake reconcile [--from HOUR --to HOUR]`: promote now every STALE hour and its day, wait, print what was restated. */
import type { ReconcileResult } from '../../core/reconcile';
import { parseHourKey } from '../../core/time';
import { loadConfig } from '../config';
import { defineCommand, textOption } from './command';
import { UsageError } from './program';

/** An hour flag: `YYYY-MM-DDTHH`, else a usage error naming the flag. */
export function hourOption(description: string) {
  const check = (value: string, flag: string): void => {
    let ok: boolean;
    try {
      ok = parseHourKey(value).key === value;
    } catch {
      ok = false;
    }
    if (!ok) throw new UsageError(`${flag}: expected an hour YYYY-MM-DDTHH (UTC), got "${value}"`);
  };
  return textOption('YYYY-MM-DDTHH', description, { check });
}

export function formatReconcile(result: ReconcileResult, workflowId: string): string {
  const lines = [`reconcile ${workflowId}: hours ${result.window.from} .. ${result.window.to}`];
  for (const h of result.restated) lines.push(`  restated ${h.hour}  version ${h.version}  rows_in ${h.ledger.rows_in} out ${h.ledger.rows_out} late ${h.ledger.late}`);
  if (result.restated.length === 0) lines.push('  no STALE hour');
  lines.push(`  days recomputed: ${result.days.length === 0 ? '-' : result.days.join(', ')}`);
  for (const f of result.failed) lines.push(`  FAILED ${f.hour ?? f.dt}: ${f.error}`);
  return `${lines.join('\n')}\n`;
}

export const reconcileCommand = defineCommand({
  name: 'reconcile',
  summary: 'promote now every STALE hour (Bronze events its version did not count) and its day, and wait',
  options: {
    from: hourOption('first hour to look at (default: the configured look-back before now)'),
    to: hourOption('last hour to look at (default: now)'),
  },
  async run({ from, to }, _words, context) {
    const { runReconcile } = await import('../reconcile');
    const { workflowId, result } = await runReconcile(loadConfig(), { from, to }, Date.now(), context.progress);
    const failed = result.failed.map((f) => f.hour ?? f.dt);
    return {
      value: { workflow_id: workflowId, ...result },
      text: () => formatReconcile(result, workflowId),
      failure: failed.length === 0 ? undefined : `${failed.length} failed: ${failed.join(', ')}`,
    };
  },
});
