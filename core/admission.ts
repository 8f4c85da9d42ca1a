/**
 * Admission control for the collector, pure so its arithmetic is unit-tested: a token bucket per API
 * key (rate limit → 429) and a bounded in-flight budget of events not yet acknowledged by Kafka
 * (backpressure → 503). Both answer "no" with how long the client should wait; neither ever
 * admits work that would be answered 200 without being durable.
 */

export interface TokenBucketState {
  readonly tokens: number;
  readonly updatedMs: number;
}

export interface RateLimit {
  /** Sustained events per second. */
  readonly ratePerSec: number;
  /** Largest burst, in events. */
  readonly burst: number;
}

export type Admission = { readonly ok: true } | { readonly ok: false; readonly retryAfterSec: number };

/**
 * Takes `cost` tokens from the bucket if it holds them. Returns the new state and the verdict; a
 * refusal leaves the tokens untouched and says when enough will have accrued.
 */
export function takeTokens(
  state: TokenBucketState | undefined,
  limit: RateLimit,
  cost: number,
  nowMs: number,
): { state: TokenBucketState; admission: Admission } {
  const previous = state ?? { tokens: limit.burst, updatedMs: nowMs };
  const elapsedSec = Math.max(0, nowMs - previous.updatedMs) / 1000;
  const tokens = Math.min(limit.burst, previous.tokens + elapsedSec * limit.ratePerSec);
  if (cost > limit.burst) {
    // Never admissible as one request; tell the client to wait a full refill (it should split the batch).
    return { state: { tokens, updatedMs: nowMs }, admission: { ok: false, retryAfterSec: Math.ceil(limit.burst / limit.ratePerSec) } };
  }
  if (tokens >= cost) return { state: { tokens: tokens - cost, updatedMs: nowMs }, admission: { ok: true } };
  const waitSec = Math.max(1, Math.ceil((cost - tokens) / limit.ratePerSec));
  return { state: { tokens, updatedMs: nowMs }, admission: { ok: false, retryAfterSec: waitSec } };
}

/** Events accepted but not yet acknowledged by Kafka, bounded so memory and latency stay bounded. */
export class InFlightBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  get inFlight(): number {
    return this.used;
  }

  /** Reserves room for `n` events, or refuses (the caller answers 503 with Retry-After). */
  tryAcquire(n: number): boolean {
    if (n > this.capacity || this.used + n > this.capacity) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}
