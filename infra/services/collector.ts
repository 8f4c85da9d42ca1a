/** The collector (workers/collector.ts) as a daemon of the local stack, run from the compiled dist/. */
import { errorMessage } from '../../core/errors';
import { nodeDaemon } from './nodeDaemon';
import type { LocalService } from './types';

export const collector: LocalService = {
  name: 'collector',
  dependsOn: ['kafka', 'schema_registry'],
  ...nodeDaemon('collector', 'collector.js'),
  startTimeoutMs: 60_000,

  async probe(ctx) {
    try {
      const res = await fetch(`${ctx.config.collector.url}/healthz`, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json()) as { status?: string };
      return { healthy: res.status === 200, detail: `GET /healthz answered ${res.status} ${body.status ?? ''}`.trim() };
    } catch (err) {
      return { healthy: false, detail: errorMessage(err) };
    }
  },

  endpoints: (config) => ({ url: config.collector.url, api_key: config.collector.apiKeys[0] ?? '' }),
};
