/**
 * The serving API daemon (`http://127.0.0.1:8788`, service `api` of the stack; CONTRACT §2b): a
 * process of its own, apart from the collector, so analytics load never slows ingestion. It reads
 * Gold, Silver and the audit ledger in Trino as each key's user, the real-time minutes in Redis,
 * and keeps answers in the Redis cache (workers/api/cache.ts).
 */
import type { AddressInfo } from 'node:net';
import type Redis from 'ioredis';
import { createRedis, createS3, Presto } from '../activities/clients';
import type { ApiUser } from '../core/apiKeys';
import type { ClicklakeConfig } from '../core/config';
import { bucketKey, minuteLabel, minuteOf, sumBuckets } from '../core/ctr';
import { BadInputError, errorMessage, HttpError } from '../core/errors';
import { GOLD_DIM_CAMPAIGN, qualifiedName } from '../core/lakeTables';
import { quoteLiteral } from '../core/lake';
import { AnswerCache } from './api/cache';
import { createApiServer } from './api/server';
import { watchKeyStore } from '../infra/keyStore';
import { logLine } from './log';

/** The Trino client of a user: its queries run under its name, so Trino's rules for it apply. */
function prestoFor(config: ClicklakeConfig, clients: Map<string, Presto>, user: string): Presto {
  let client = clients.get(user);
  if (client === undefined) {
    client = new Presto({ ...config.presto, user }, { timeoutSeconds: 120 });
    clients.set(user, client);
  }
  return client;
}

export interface RealtimeTop {
  readonly as_of: string;
  readonly minutes: readonly string[];
  readonly campaigns: ReadonlyArray<{ campaign_id: string; impressions: number; clicks: number; ctr: number | null; series: ReadonlyArray<{ impressions: number; clicks: number; ctr: number | null }> }>;
}

/** The campaigns with the most impressions in the last `minutes` (Redis), each with its minute series. */
async function realtimeTop(redis: Redis, presto: Presto, prefix: string, user: ApiUser, minutes: number, limit: number, nowMs: number): Promise<RealtimeTop> {
  const last = minuteOf(nowMs);
  const window = Array.from({ length: minutes }, (_, i) => last - minutes + 1 + i);
  const pipeline = redis.pipeline();
  for (const m of window) pipeline.hgetall(bucketKey(prefix, m));
  const buckets = ((await pipeline.exec()) ?? []).map(([err, value]) => {
    if (err) throw err;
    return value as Record<string, string>;
  });
  let totals = sumBuckets(buckets).sort((a, b) => b.impressions - a.impressions || (a.campaign_id < b.campaign_id ? -1 : 1));
  if (user.role === 'campaign_manager' && totals.length > 0) {
    // Redis knows no advertiser: Trino's row filter on dim_campaign says which campaigns the user sees.
    const ids = totals.slice(0, 500).map((t) => quoteLiteral(t.campaign_id));
    const rows = await presto.queryObjects(`SELECT campaign_id FROM ${qualifiedName(GOLD_DIM_CAMPAIGN)} WHERE campaign_id IN (${ids.join(', ')})`);
    const visible = new Set(rows.map((r) => String(r.campaign_id)));
    totals = totals.filter((t) => visible.has(t.campaign_id));
  }
  const top = totals.slice(0, limit);
  const perMinute = buckets.map((b) => new Map(sumBuckets([b]).map((c) => [c.campaign_id, c])));
  const ctr = (i: number, c: number) => (i === 0 ? null : c / i);
  return {
    as_of: new Date(nowMs).toISOString(),
    minutes: window.map(minuteLabel),
    campaigns: top.map((t) => ({
      ...t,
      ctr: ctr(t.impressions, t.clicks),
      series: perMinute.map((m) => {
        const c = m.get(t.campaign_id);
        return { impressions: c?.impressions ?? 0, clicks: c?.clicks ?? 0, ctr: c === undefined ? null : ctr(c.impressions, c.clicks) };
      }),
    })),
  };
}

export async function startApi(config: ClicklakeConfig): Promise<{ close: () => Promise<void>; port: number }> {
  const s3 = createS3(config.s3);
  const redis = createRedis(config.redis);
  const clients = new Map<string, Presto>();
  const cache = new AnswerCache(redis, config.api.cacheSeconds);
  const pipeline = new Presto(config.presto, { timeoutSeconds: 120 });
  let status: { atMs: number; value: Promise<unknown> } | undefined;
  const server = createApiServer({
    ctr: {
      readers: (user) => ({ s3, bucket: config.s3.bucket, presto: prestoFor(config, clients, user.name), pipeline, redis, ctrPrefix: config.ctr.keyPrefix }),
      cache,
      finalAfterHours: config.reconcile.finalAfterHours,
    },
    query: { s3, bucket: config.s3.bucket, prestoAs: (user) => prestoFor(config, clients, user.name), cache },
    keys: watchKeyStore(config),
    limits: { queriesPerMinute: config.api.queriesPerMinute, concurrencyPerUser: config.api.concurrencyPerUser },
    status: async () => {
      // `clicklake status --json`, computed at most every 5 s however many pages poll it.
      if (status === undefined || Date.now() - status.atMs > 5000) {
        const { lakeStatus } = await import('./status');
        status = { atMs: Date.now(), value: lakeStatus(config, Date.now()) };
        status.value.catch(() => (status = undefined));
      }
      return status.value;
    },
    erase: async (userId, suppress) => {
      if (suppress !== undefined && typeof suppress !== 'boolean') throw new HttpError(400, { error: 'bad_request', detail: 'suppress: must be true or false' });
      if (typeof userId !== 'string') throw new HttpError(400, { error: 'bad_request', detail: 'user_id: required, a string' });
      const { requestErasure } = await import('./erasure');
      try {
        return await requestErasure(config, { userId, wait: false, suppress: suppress === true }, Date.now(), () => undefined);
      } catch (err) {
        if (err instanceof BadInputError) throw new HttpError(400, { error: 'bad_request', detail: errorMessage(err) });
        throw err;
      }
    },
    realtimeTop: (user, minutes, limit) => realtimeTop(redis, prestoFor(config, clients, user.name), config.ctr.keyPrefix, user, minutes, limit, Date.now()),
    now: Date.now,
  });
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.api.port, config.api.host, resolve);
  });
  const address = server.address() as AddressInfo;
  logLine('api listening', { address: `${address.address}:${address.port}` });
  return {
    port: address.port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
      s3.destroy();
    },
  };
}

if (require.main === module) {
  void import('./config').then(async ({ loadConfig }) => {
    try {
      const config = loadConfig();
      const { close } = await startApi(config);
      const stop = (): void => {
        void close().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    } catch (err) {
      process.stderr.write(`api: ${errorMessage(err)}\n`);
      process.exit(1);
    }
  });
}
