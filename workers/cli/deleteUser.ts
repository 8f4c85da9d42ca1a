/**
 * `clicklake delete-user --user-id ID [--wait] [--suppress]`: erase a user everywhere (workers/erasure.ts);
 * prints the erasure record, the `lake.audit.erasures` row as an object. The raw id is never printed.
 */
import type { ErasureRow } from '../../core/erasure';
import { loadConfig } from '../config';
import { FIELD_LIMITS } from '../../core/event';
import { codePointLength } from '../../core/text';
import { defineCommand, flagOption, textOption } from './command';
import { UsageError } from './program';

export function formatErasure(row: ErasureRow): string {
  const time = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());
  const lines = [
    `erasure ${row.request_id} (${row.workflow_id}): ${row.status.toUpperCase()}`,
    `  user_key      ${row.user_key}${row.suppress ? '  (suppressed for good)' : ''}`,
    `  requested     ${time(row.requested_at)}   completed ${time(row.completed_at)}   verified ${time(row.verified_at)}`,
    `  Bronze        ${row.bronze_objects_rewritten} objects rewritten, ${row.bronze_records_removed} records removed`,
    `  Silver/Gold   ${row.silver_rows_removed} Silver rows removed; ${row.hours_restated} hours and ${row.days_restated} days restated`,
    `  Kafka copies  gone by ${time(row.kafka_expiry)} (topic retention)`,
  ];
  if (row.error !== null) lines.push(`  error         ${row.error}`);
  if (row.status === 'pending') lines.push('  (running: `clicklake status` lists it; the Temporal UI shows its progress)');
  return `${lines.join('\n')}\n`;
}

export const deleteUserCommand = defineCommand({
  name: 'delete-user',
  summary: 'erase a user from Bronze, Silver, Gold and every other copy (events dated up to now; --suppress: later ones too), and print the erasure record',
  options: {
    userId: textOption('ID', 'the user_id to erase (only its keyed hash leaves this process)', {
      required: true,
      check: (value, flag) => {
        const length = codePointLength(value);
        if (length < 1 || length > FIELD_LIMITS.userId) throw new UsageError(`${flag}: must be 1-${FIELD_LIMITS.userId} characters (a user_id of CONTRACT §1), got ${length}`);
      },
    }),
    wait: flagOption('wait until the erasure is done and verified'),
    suppress: flagOption('keep the user out for good: drop their later events too'),
  },
  async run({ userId, wait, suppress }, _words, context) {
    const { requestErasure } = await import('../erasure');
    const row = await requestErasure(loadConfig(), { userId, wait, suppress }, Date.now(), context.progress);
    return { value: row, text: () => formatErasure(row), failure: row.status === 'failed' ? `erasure ${row.request_id} failed: ${row.error ?? ''}` : undefined };
  },
});
