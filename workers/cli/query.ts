/**
 * `clicklake query "SQL"`: SQL on Presto (catalog lake) through the serving API's router and cache
 * (POST /v1/query, CONTRACT §2b) as the local admin, or as the key in CLICKLAKE_API_KEY; `--json`
 * prints an array of row objects keyed by column name (the route goes to stderr).
 */
import { loadConfig } from '../config';
import { defineCommand } from './command';
import { UsageError } from './program';

interface QueryAnswer {
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<readonly unknown[]>;
  readonly route: { readonly table: string; readonly rewritten: boolean; readonly reason: string };
  readonly cache: string;
}

export const queryCommand = defineCommand({
  name: 'query',
  summary: 'run SQL on Presto (catalog lake) through the query router and its cache; --json prints an array of row objects keyed by column name',
  options: {},
  words: { name: 'SQL', description: 'the statement (one argument, quoted)' },
  async run(_options, sql, context) {
    if (sql === '') throw new UsageError('query: give the SQL as one argument, e.g. clicklake query "SELECT 1"');
    const config = loadConfig();
    const { localAdminKey } = await import('../../infra/keyStore');
    const key = process.env.CLICKLAKE_API_KEY ?? localAdminKey(config);
    if (key === undefined) throw new UsageError('query: no API key: run `clicklake stack up` (it creates the local admin key) or set CLICKLAKE_API_KEY');
    let res: Response;
    try {
      res = await fetch(`${config.api.url}/v1/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sql }),
        signal: AbortSignal.timeout(15 * 60_000),
      });
    } catch (err) {
      throw new Error(`query: the serving API at ${config.api.url} did not answer (${(err as Error).message}); is the stack up?`);
    }
    const body = (await res.json()) as QueryAnswer & { error?: string; detail?: string };
    if (res.status !== 200) throw new Error(`query: ${res.status} ${body.error ?? ''}: ${body.detail ?? ''}`);
    context.progress(`route: ${body.route.table || '-'} (${body.route.rewritten ? 'rewritten' : 'as written'}; cache ${body.cache}): ${body.route.reason}`);
    const rows = body.rows.map((row) => Object.fromEntries(body.columns.map((c, i) => [c, row[i]])));
    return {
      value: rows,
      text: () => `${body.columns.join('\t')}\n${rows.map((r) => body.columns.map((c) => JSON.stringify(r[c] ?? null)).join('\t')).join('\n')}\n(${rows.length} rows)\n`,
    };
  },
});
