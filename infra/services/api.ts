/**
 * The serving API (workers/api.ts) as a daemon of the stack, run from the compiled dist/. Its
 * start makes sure the local admin key exists (infra/keyStore.ts); `stack status --json` prints it.
 */
import { errorMessage } from '../../core/errors';
import { ensureAdminKey, localAdminKey } from '../keyStore';
import { writeTrinoRules } from '../trinoRules';
import { nodeDaemon } from './nodeDaemon';
import type { LocalService } from './types';

const daemon = nodeDaemon('api', 'api.js');

export const api: LocalService = {
  name: 'api',
  dependsOn: ['presto', 'redis', 's3'],
  ...daemon,
  async start(ctx) {
    ensureAdminKey(ctx.config, Date.now());
    // A new local admin key (first start) is a new Trino user: the rules must name it.
    writeTrinoRules(ctx.config);
    return daemon.start(ctx);
  },
  startTimeoutMs: 60_000,

  async probe(ctx) {
    try {
      const res = await fetch(`${ctx.config.api.url}/healthz`, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json()) as { status?: string };
      return { healthy: res.status === 200, detail: `GET /healthz answered ${res.status} ${body.status ?? ''}`.trim() };
    } catch (err) {
      return { healthy: false, detail: errorMessage(err) };
    }
  },

  endpoints: (config) => ({ url: config.api.url, admin_key: localAdminKey(config) ?? '' }),
};
