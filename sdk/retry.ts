/**
 * Backoff between sends: exponential with jitter, and Retry-After (seconds or an HTTP date) honoured
 * as a floor when the collector sends one. Pure: the clock and the random source are arguments.
 */

export interface RetryPolicy {
  /** Wait after the first failed send without Retry-After; doubles each time up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * Share of each wait that is random, 0-1 (default 0: exact waits). Without Retry-After the wait is
   * drawn from [backoff × (1 − jitter), backoff]; with one, up to jitter × baseDelayMs is added to it,
   * so clients told the same Retry-After do not all come back in the same millisecond.
   */
  readonly jitter?: number;
}

/** A Retry-After longer than this is taken as this: a client never sleeps minutes on one answer. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Retry-After in ms (delta-seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The wait before the next send after `attempt` + 1 failed ones (`attempt` counts from 0). */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfter: string | null | undefined, nowMs: number, random: () => number = Math.random): number {
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0));
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  const after = parseRetryAfter(retryAfter, nowMs);
  if (after === undefined) return Math.round(backoff * (1 - jitter * random()));
  return Math.min(MAX_RETRY_AFTER_MS, after) + Math.round(jitter * policy.baseDelayMs * random());
}
