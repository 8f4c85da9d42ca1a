/**
 * The collector's per-key rate limit shared by every collector process through Redis (one Lua call
 * per request: core/admissionScript.ts), with the signature replay check in the same call.
 *
 * When Redis cannot answer (down, or slower than `timeoutMs`) the request is neither refused with a
 * 5xx nor admitted without limit: this process applies its share of the limit (limit / instances,
 * core/admission.ts instanceShare) from a local bucket, and remembers signatures itself (replays
 * across instances are then not caught). Each fallback is counted in
 * `collector_admission_fallback_total` and the Redis error in `collector_redis_errors_total`.
 */
import Redis from 'ioredis';
import { instanceShare, takeTokens, type RateLimit, type TokenBucketState } from '../core/admission';
import { ADMISSION_LUA, admissionKeys } from '../core/admissionScript';
import type { RedisConfig } from '../core/config';
import type { CollectorMetrics } from './metrics';

export type LimitAnswer = { readonly ok: true } | { readonly ok: false; readonly kind: 'rate'; readonly retryAfterSec: number } | { readonly ok: false; readonly kind: 'replay' };

export interface SharedLimiterOptions {
  readonly prefix: string;
  readonly limit: RateLimit;
  /** Collector processes sharing the limit: the fallback's divisor. */
  readonly instances: number;
  /** How long a signature's replay mark lives (the replay window on both sides). */
  readonly replayTtlSec: number;
  readonly timeoutMs: number;
}

type AdmissionRedis = Redis & { clicklakeAdmit(numKeys: number, ...args: Array<string | number>): Promise<[number, number]> };

/** A Redis client for admission: fails fast (no offline queue, no retries) so a request never waits on a dead Redis. */
export function createAdmissionRedis(config: RedisConfig, timeoutMs: number): AdmissionRedis {
  const redis = new Redis(config.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: 3000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.defineCommand('clicklakeAdmit', { lua: ADMISSION_LUA });
  return redis as AdmissionRedis;
}

export class SharedLimiter {
  private readonly local = new Map<string, TokenBucketState>();
  private readonly localSignatures = new Map<string, number>();
  private readonly share: RateLimit;

  constructor(
    private readonly redis: AdmissionRedis | undefined,
    private readonly options: SharedLimiterOptions,
    private readonly metrics: Pick<CollectorMetrics, 'admissionFallbacks' | 'redisErrors'>,
    private readonly now: () => number,
  ) {
    this.share = instanceShare(options.limit, options.instances);
  }

  /** Takes `cost` events from the key's shared bucket and, for a signed request, marks its signature used. */
  async take(keyId: string, cost: number, signature?: { t: number; v1: string }): Promise<LimitAnswer> {
    const { limit, prefix, replayTtlSec } = this.options;
    if (this.redis !== undefined && this.redis.status === 'ready') {
      try {
        const keys = admissionKeys(prefix, keyId, limit, signature);
        const [ok, wait] = await this.redis.clicklakeAdmit(keys.length, ...keys, limit.ratePerSec, limit.burst, cost, replayTtlSec);
        if (ok === 1) return { ok: true };
        if (ok === -1) return { ok: false, kind: 'replay' };
        return { ok: false, kind: 'rate', retryAfterSec: wait };
      } catch {
        this.metrics.redisErrors.inc({ operation: 'admission' });
      }
    }
    this.metrics.admissionFallbacks.inc();
    return this.takeLocally(keyId, cost, signature);
  }

  private takeLocally(keyId: string, cost: number, signature?: { t: number; v1: string }): LimitAnswer {
    const nowMs = this.now();
    const mark = signature === undefined ? undefined : `${keyId}:${signature.t}:${signature.v1}`;
    if (mark !== undefined && (this.localSignatures.get(mark) ?? 0) > nowMs) return { ok: false, kind: 'replay' };
    const taken = takeTokens(this.local.get(keyId), this.share, cost, nowMs);
    this.local.set(keyId, taken.state);
    if (!taken.admission.ok) return { ok: false, kind: 'rate', retryAfterSec: taken.admission.retryAfterSec };
    if (mark !== undefined) {
      if (this.localSignatures.size > 100_000) for (const [k, until] of this.localSignatures) if (until <= nowMs) this.localSignatures.delete(k);
      this.localSignatures.set(mark, nowMs + this.options.replayTtlSec * 1000);
    }
    return { ok: true };
  }
}
