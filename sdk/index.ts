/**
 * clicklake client SDK (docs/sdk.md): batching, gzip, retries with the same event_ids, a bounded
 * queue. Runs in browsers and Node; Node's file-backed queue and zlib gzip are in ./node.
 */
export { createClient, type Client, type ClientOptions, type ClientStats, type FlushResult } from './client';
export { BoundedQueue, countByType, type QueueStore } from './queue';
export { MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelayMs, type RetryPolicy } from './retry';
export {
  compressionStreamGzip,
  prepareBatch,
  sendOnce,
  sendWithRetry,
  SdkSendError,
  type BodyEncoder,
  type PreparedBatch,
  type SendOutcome,
  type SendRetry,
  type TransportOptions,
} from './transport';
export type { CollectorAnswer, DropReport, EventType, QueuedEvent, Rejection, SdkEvent } from './types';
