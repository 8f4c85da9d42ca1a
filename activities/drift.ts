/**
 * The drift check of an hour: real-time CTR counts in Redis against lake.gold.ctr_hourly once the hour
 * is published. The result is kept in Redis (`<prefix>:drift:<hour>` and `<prefix>:drift:latest`) for
 * `clicklake status` and the collector's `ctr_drift_events` metric.
 */
import type Redis from 'ioredis';
import type { ClicklakeConfig } from '../core/config';
import { ctrDrift, type CtrDrift } from '../core/drift';
import { ServiceUnavailableError } from '../core/errors';
import { quoteLiteral } from '../core/lake';
import { parseHourKey } from '../core/time';
import type { Presto } from './clients';
import { ctrForHour } from './ctr';

export function driftKey(prefix: string, hour: string): string {
  return `${prefix}:drift:${hour}`;
}

export async function readDrift(redis: Redis, prefix: string, hour: string): Promise<CtrDrift | undefined> {
  const text = await redis.get(driftKey(prefix, hour));
  return text === null ? undefined : (JSON.parse(text) as CtrDrift);
}

/**
 * A MULTI's replies hold each command's error instead of throwing it, and a null reply means the
 * transaction was aborted: either way the drift was not kept, and the activity fails (retriable).
 */
function requireAllWritten(replies: Array<[Error | null, unknown]> | null, hour: string): void {
  const failed = replies === null ? 'transaction aborted' : replies.find(([err]) => err !== null)?.[0]?.message;
  if (failed !== undefined) throw new ServiceUnavailableError('redis', `drift of ${hour} not stored: ${failed}`);
}

export function createDriftActivities(deps: { config: ClicklakeConfig; redis: Redis; presto: Presto }) {
  const { config, redis, presto } = deps;
  return {
    async checkCtrDrift(input: { hour: string }): Promise<CtrDrift> {
      const { key, dt, hr } = parseHourKey(input.hour);
      const realtime = await ctrForHour(redis, key, config.ctr.keyPrefix);
      const gold = (
        await presto.queryObjects(`SELECT campaign_id, impressions, clicks FROM lake.gold.ctr_hourly WHERE dt = ${quoteLiteral(dt)} AND hr = ${quoteLiteral(hr)}`)
      ).map((r) => ({ campaign_id: String(r.campaign_id), impressions: Number(r.impressions), clicks: Number(r.clicks) }));
      const drift = ctrDrift(key, realtime, gold);
      const ttlSec = config.ctr.retentionHours * 3600;
      const written = await redis
        .multi()
        .set(driftKey(config.ctr.keyPrefix, key), JSON.stringify(drift), 'EX', ttlSec)
        .set(driftKey(config.ctr.keyPrefix, 'latest'), JSON.stringify(drift), 'EX', ttlSec)
        .exec();
      requireAllWritten(written, key);
      return drift;
    },
  };
}

export type DriftActivities = ReturnType<typeof createDriftActivities>;
