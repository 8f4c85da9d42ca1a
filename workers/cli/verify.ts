/** `clicklake verify --truth FILE`: compare Gold in Presto with a truth file; exit 1 on any difference. */
import type { GoldVerification } from '../../core/goldDiff';
import { loadConfig } from '../config';
import { defineCommand, textOption } from './command';

export function formatVerification(result: GoldVerification): string {
  return Object.entries(result.tables)
    .map(([table, n]) => {
      const diff = result.diffs.find((d) => d.table === table);
      const head = `${diff ? 'DIFF' : 'OK  '}  ${table.padEnd(18)} expected ${n.expected} rows, found ${n.found}\n`;
      return diff ? `${head}      missing ${JSON.stringify(diff.missing.slice(0, 3))}\n      unexpected ${JSON.stringify(diff.unexpected.slice(0, 3))}\n` : head;
    })
    .join('');
}

export const verifyCommand = defineCommand({
  name: 'verify',
  summary: 'compare the Gold tables in Presto with a truth file (generate --truth); exit 1 on any difference',
  options: { truth: textOption('FILE', 'the truth file', { required: true }) },
  async run({ truth }) {
    const { verifyGold } = await import('../lakeCommands');
    const result = await verifyGold(loadConfig(), truth);
    const differing = result.diffs.map((d) => d.table);
    return {
      value: result,
      text: () => formatVerification(result),
      failure: result.ok ? undefined : `Gold differs from ${truth} in ${differing.join(', ')}`,
    };
  },
});
