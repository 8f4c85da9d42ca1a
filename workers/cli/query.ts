/** `clicklake query "SQL"`: SQL on Presto (catalog lake); `--json` prints an array of row objects. */
import { loadConfig } from '../config';
import { defineCommand } from './command';
import { UsageError } from './program';

export const queryCommand = defineCommand({
  name: 'query',
  summary: 'run SQL on Presto (catalog lake); --json prints an array of row objects keyed by column name',
  options: {},
  words: { name: 'SQL', description: 'the statement (one argument, quoted)' },
  async run(_options, sql) {
    if (sql === '') throw new UsageError('query: give the SQL as one argument, e.g. clicklake query "SELECT 1"');
    const { Presto } = await import('../../activities/clients');
    const rows = await new Presto(loadConfig().presto).queryObjects(sql);
    const columns = rows.length > 0 ? Object.keys(rows[0] as object) : [];
    return {
      value: rows,
      text: () => `${columns.join('\t')}\n${rows.map((r) => columns.map((c) => JSON.stringify(r[c] ?? null)).join('\t')).join('\n')}\n(${rows.length} rows)\n`,
    };
  },
});
