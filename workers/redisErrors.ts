/** The collector's handling of Redis errors: counted in a metric and logged, never dropped. */
import { errorMessage } from '../core/errors';
import { logLine } from './log';
import type { CollectorMetrics } from './metrics';

const REDIS_ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * A handler of Redis errors of one kind of operation: counts every one (`collector_redis_errors_total`)
 * and logs it, once a minute at most for the same message, with how many were not logged meanwhile.
 */
export function redisErrorReporter(metrics: Pick<CollectorMetrics, 'redisErrors'>, operation: 'client' | 'drift_read' | 'admission', now: () => number, log: typeof logLine = logLine): (err: unknown) => void {
  let lastMessage = '';
  let lastLoggedAt = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  return (err) => {
    metrics.redisErrors.inc({ operation });
    const message = errorMessage(err);
    const at = now();
    if (message === lastMessage && at - lastLoggedAt < REDIS_ERROR_LOG_INTERVAL_MS) {
      unlogged++;
      return;
    }
    log('collector: redis error', { operation, error: message, errorName: err instanceof Error ? err.name : typeof err, notLoggedSinceLast: unlogged });
    lastMessage = message;
    lastLoggedAt = at;
    unlogged = 0;
  };
}
