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

/**
 * The limit one collector applies by itself when the shared bucket (Redis) cannot be asked: its
 * share of the fleet's limit, so N instances together still admit about the limit, never N times it
 * and never nothing (docs/ingestion.md "Admission").
 */
export function instanceShare(limit: RateLimit, instances: number): RateLimit {
  const n = Math.max(1, Math.floor(instances));
  return { ratePerSec: limit.ratePerSec / n, burst: Math.max(1, limit.burst / n) };
}

/**
 * Priority of an event type when the collector sheds load: 0 heartbeats, 1 page views and video
 * events, 2 ad events (they are billed) and the dead letters of rejected events (the record of a
 * refusal must not itself be refused). Unknown types rank with page views.
 */
export type Priority = 0 | 1 | 2;

export function eventPriority(eventType: unknown): Priority {
  if (eventType === 'heartbeat') return 0;
  if (eventType === 'ad_impression' || eventType === 'ad_click') return 2;
  return 1;
}

/**
 * Levels of the in-flight budget above which a priority is shed, as fractions of its capacity:
 * heartbeats past `low`, page views and video past `mid`, ad events only when the budget is full.
 */
export interface ShedPolicy {
  readonly low: number;
  readonly mid: number;
}

export const DEFAULT_SHED_POLICY: ShedPolicy = { low: 0.5, mid: 0.8 };

/**
 * What to do with one request's events given the budget's level before it:
 * - `all`: admit every event (the common case, decided without looking at the events);
 * - `refuse`: refuse the whole request (503);
 * - `partial`: admit the listed positions, shed the others (only when the client asked for
 *   per-event answers; a client that did not is answered all-or-nothing, as before).
 *
 * An event of priority p is admitted while the budget's level is at most p's threshold, and all
 * admitted events must fit the capacity (higher priorities first, then in request order).
 */
export type ShedPlan =
  | { readonly kind: 'all' }
  | { readonly kind: 'refuse' }
  | { readonly kind: 'partial'; readonly admitted: readonly number[]; readonly shed: readonly number[] };

export function planShedding(
  inFlight: number,
  capacity: number,
  policy: ShedPolicy,
  count: number,
  priorities: () => readonly Priority[],
  perEvent: boolean,
): ShedPlan {
  const thresholds = [policy.low * capacity, policy.mid * capacity, capacity];
  if (inFlight <= (thresholds[0] as number) && inFlight + count <= capacity) return { kind: 'all' };
  const ps = priorities();
  if (!perEvent) {
    const top = ps.reduce<number>((m, p) => Math.max(m, p), 0);
    return inFlight <= (thresholds[top] as number) && inFlight + count <= capacity ? { kind: 'all' } : { kind: 'refuse' };
  }
  const order = ps.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const admitted: number[] = [];
  let room = capacity - inFlight;
  for (const [p, i] of order) {
    if (room <= 0 || inFlight > (thresholds[p] as number)) break; // sorted by priority: the rest rank lower
    admitted.push(i);
    room--;
  }
  if (admitted.length === ps.length) return { kind: 'all' };
  if (admitted.length === 0) return { kind: 'refuse' };
  admitted.sort((a, b) => a - b);
  const kept = new Set(admitted);
  return { kind: 'partial', admitted, shed: ps.map((_, i) => i).filter((i) => !kept.has(i)) };
}
