/**
 * The client: `send` queues an event (assigning its event_id once), batches go out by count or after
 * a short linger, each batch is retried on 429/503/network errors with backoff and jitter honouring
 * Retry-After, with the same event_ids, until the collector takes it; events it refuses are reported
 * with its reasons. The queue is bounded (sdk/queue.ts says what is dropped); with a store (sdk/node.ts:
 * a file) it outlives the process. Browser-safe: fetch, timers and crypto.randomUUID only.
 */
import { BoundedQueue, countByType, type QueueStore } from './queue';
import { retryDelayMs, type RetryPolicy } from './retry';
import { prepareBatch, sendOnce, type SendOutcome, type TransportOptions } from './transport';
import type { CollectorAnswer, DropReport, QueuedEvent, Rejection, SdkEvent } from './types';

/** TransportOptions (perEventShedding defaults to on in a client) and the client's own. */
export interface ClientOptions extends TransportOptions {
  /** Events per request (default 100; the collector takes at most 1,000). */
  readonly maxBatchEvents?: number;
  /** How long the first queued event waits for others before its batch is sent (default 100 ms). */
  readonly lingerMs?: number;
  /** Requests in flight at once (default 2). */
  readonly concurrency?: number;
  /** Waits between failed sends (default 200 ms doubling to 30 s, jitter 0.5). Retries never end while events wait. */
  readonly retry?: RetryPolicy;
  /** Events waiting at most, in flight included (default 10,000); see sdk/queue.ts for the drop policy. */
  readonly maxQueuedEvents?: number;
  /** Keeps the queue across restarts (default: memory only). */
  readonly store?: QueueStore;
  /** Events the collector refused for good, with its reasons. */
  readonly onRejected?: (rejections: readonly Rejection[]) => void;
  /** Events dropped to keep the queue within its bound, counted by type. */
  readonly onDropped?: (report: DropReport) => void;
  /** A send failed and will be retried after `delayMs`. */
  readonly onRetry?: (info: { readonly cause: string; readonly delayMs: number; readonly events: number }) => void;
}

export interface ClientStats {
  readonly queued: number;
  readonly inFlight: number;
  readonly accepted: number;
  readonly quarantined: number;
  readonly rejected: number;
  readonly dropped: number;
  readonly droppedByType: Readonly<Record<string, number>>;
  readonly requests: number;
  readonly retries: number;
  readonly lastError: string | null;
}

export interface FlushResult {
  /** Events sent before the call that still wait (0 unless the timeout struck first). */
  readonly pending: number;
}

export interface Client {
  /** Queues one event; returns the event_id it will be sent with. Throws only on a closed client or a non-object. */
  send(event: SdkEvent): string;
  /** Sends what waits now and resolves when every event sent before the call is settled (or `timeoutMs` passed). */
  flush(options?: { readonly timeoutMs?: number }): Promise<FlushResult>;
  /** flush (default timeout 10 s), then stops; what still waits stays in the store for the next start. */
  close(options?: { readonly timeoutMs?: number }): Promise<FlushResult>;
  stats(): ClientStats;
  /** Resolves once the store's queue is loaded (sends wait for it by themselves). */
  readonly ready: Promise<void>;
}

const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 200, maxDelayMs: 30_000, jitter: 0.5 };

function checkWhole(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name}: must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
}

function newEventId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** Rejections from a 200 answer: its `rejected` entries, matched to the batch by index. */
function rejectionsOf(batch: readonly QueuedEvent[], answer: CollectorAnswer): Rejection[] {
  const out: Rejection[] = [];
  for (const r of answer.rejected) {
    const queued = batch[r.index];
    if (queued !== undefined) out.push({ event: queued.event, errors: [...r.errors] });
  }
  return out;
}

export function createClient(options: ClientOptions): Client {
  const maxBatch = checkWhole('maxBatchEvents', options.maxBatchEvents ?? 100, 1, 1000);
  const lingerMs = checkWhole('lingerMs', options.lingerMs ?? 100, 0, 60_000);
  const concurrency = checkWhole('concurrency', options.concurrency ?? 2, 1, 64);
  const retry = options.retry ?? DEFAULT_RETRY;
  const queue = new BoundedQueue(options.maxQueuedEvents ?? 10_000);
  const store = options.store;
  const transport: TransportOptions = { perEventShedding: true, ...options };

  const counters = { accepted: 0, quarantined: 0, rejected: 0, dropped: 0, requests: 0, retries: 0 };
  const droppedByType: Record<string, number> = {};
  let lastError: string | null = null;
  let closed = false;
  /** Set by close once its flush is over: no new sends, no timers. */
  let stopped = false;
  let loaded = store === undefined;
  const early: Array<QueuedEvent['event']> = [];
  let lingerTimer: ReturnType<typeof setTimeout> | undefined;
  let backoffTimer: ReturnType<typeof setTimeout> | undefined;
  /** Consecutive failed sends; 0 after any success. */
  let failures = 0;
  let urgent = false;
  const running = new Set<Promise<void>>();
  let storeWrites: Promise<void> = Promise.resolve();
  const waiters: Array<{ seq: number; resolve: () => void }> = [];

  const persist = (write: () => Promise<void>): void => {
    storeWrites = storeWrites.then(write).catch((err: unknown) => {
      lastError = `queue store: ${err instanceof Error ? err.message : String(err)}`;
    });
  };

  const reportDrops = (dropped: readonly QueuedEvent[]): void => {
    if (dropped.length === 0) return;
    const byType = countByType(dropped);
    counters.dropped += dropped.length;
    for (const [type, n] of Object.entries(byType)) droppedByType[type] = (droppedByType[type] ?? 0) + n;
    const stored = dropped.filter((e) => e.seq > 0).map((e) => e.seq);
    if (store && stored.length > 0) persist(() => store.remove(stored));
    options.onDropped?.({ dropped: dropped.length, byType, reason: 'queue_full' });
  };

  const wake = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i] as { seq: number; resolve: () => void };
      if (!queue.holdsUpTo(w.seq)) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };

  const enqueue = (event: QueuedEvent['event']): void => {
    const { added, dropped } = queue.add(event);
    if (added && store) persist(() => store.append([added]));
    reportDrops(dropped);
  };

  const settle = (batch: readonly QueuedEvent[]): void => {
    queue.settle(batch);
    if (store) persist(() => store.remove(batch.map((e) => e.seq)));
    wake();
  };

  /** Puts events back to be resent after a wait: the backoff, or Retry-After when the answer has one. */
  const retryLater = (events: readonly QueuedEvent[], cause: string, retryAfter: string | null): void => {
    queue.putBack(events);
    const delayMs = retryDelayMs(retry, failures, retryAfter, Date.now());
    failures++;
    counters.retries++;
    options.onRetry?.({ cause, delayMs, events: events.length });
    if (backoffTimer === undefined && !stopped) {
      backoffTimer = setTimeout(() => {
        backoffTimer = undefined;
        pump();
      }, delayMs);
    }
  };

  const onOutcome = (batch: QueuedEvent[], outcome: SendOutcome): void => {
    if (outcome.kind === 'ok') {
      const { answer } = outcome;
      const shed = new Set((answer.shed ?? []).map((s) => s.index).filter((i) => i >= 0 && i < batch.length));
      const rejections = rejectionsOf(batch, answer);
      counters.accepted += answer.accepted;
      counters.quarantined += answer.quarantined ?? 0;
      counters.rejected += rejections.length;
      settle(batch.filter((_, i) => !shed.has(i)));
      if (rejections.length > 0) options.onRejected?.(rejections);
      if (shed.size === 0) failures = 0;
      else retryLater(batch.filter((_, i) => shed.has(i)), `collector shed ${shed.size} of ${batch.length} events under load`, outcome.retryAfter);
      return;
    }
    lastError = outcome.cause;
    if (outcome.kind === 'refused') {
      // The collector will refuse these bytes however often they are sent (400, 401, 413, 415): report, drop.
      const reason = `${outcome.status} ${outcome.error}: ${outcome.detail}`;
      counters.rejected += batch.length;
      settle(batch);
      options.onRejected?.(batch.map((e) => ({ event: e.event, errors: [reason] })));
      return;
    }
    retryLater(batch, outcome.cause, outcome.retryAfter);
  };

  const sendBatch = async (batch: QueuedEvent[]): Promise<void> => {
    let outcome: SendOutcome;
    try {
      outcome = await sendOnce(transport, await prepareBatch(transport, batch.map((e) => e.event)));
    } catch (err) {
      outcome = { kind: 'retry', cause: `send failed: ${err instanceof Error ? err.message : String(err)}`, retryAfter: null };
    }
    counters.requests++;
    onOutcome(batch, outcome);
  };

  /** Starts batches while there is room in flight, no backoff pending, and a batch is due. */
  function pump(): void {
    if (!loaded || stopped || backoffTimer !== undefined) return;
    // While failing, one batch probes the collector at a time.
    const limit = failures > 0 ? 1 : concurrency;
    while (running.size < limit) {
      const due = urgent || closed || queue.idle >= maxBatch;
      if (!due || queue.idle === 0) break;
      const batch = queue.take(maxBatch);
      const p: Promise<void> = sendBatch(batch).finally(() => {
        running.delete(p);
        if (queue.idle === 0) urgent = false;
        pump();
      });
      running.add(p);
    }
    if (queue.idle > 0 && lingerTimer === undefined && backoffTimer === undefined) {
      lingerTimer = setTimeout(() => {
        lingerTimer = undefined;
        urgent = true;
        pump();
      }, lingerMs);
    }
  }

  const ready: Promise<void> = (async () => {
    if (store === undefined) return;
    try {
      const kept = await store.load();
      reportDrops(queue.restore(kept));
    } catch (err) {
      lastError = `queue store: ${err instanceof Error ? err.message : String(err)}`;
    }
    loaded = true;
    for (const event of early.splice(0)) enqueue(event);
    pump();
  })();

  const flush = async (flushOptions: { readonly timeoutMs?: number } = {}): Promise<FlushResult> => {
    await ready;
    const seq = queue.lastSeq;
    urgent = true;
    pump();
    if (queue.holdsUpTo(seq)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settled = new Promise<void>((resolve) => waiters.push({ seq, resolve }));
      const timeout = flushOptions.timeoutMs === undefined ? undefined : new Promise<void>((resolve) => (timer = setTimeout(resolve, flushOptions.timeoutMs)));
      await Promise.race(timeout === undefined ? [settled] : [settled, timeout]);
      clearTimeout(timer);
    }
    await storeWrites;
    return { pending: queue.holdsUpTo(seq) ? queue.size : 0 };
  };

  return {
    ready,
    send(event: SdkEvent): string {
      if (closed) throw new Error('clicklake sdk: send after close');
      if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new TypeError('clicklake sdk: an event must be an object');
      const id = typeof event.event_id === 'string' && event.event_id !== '' ? event.event_id : newEventId();
      const queued = { ...event, event_id: id };
      if (!loaded) early.push(queued);
      else {
        enqueue(queued);
        pump();
      }
      return id;
    },
    flush,
    async close(closeOptions: { readonly timeoutMs?: number } = {}): Promise<FlushResult> {
      closed = true;
      await flush({ timeoutMs: closeOptions.timeoutMs ?? 10_000 });
      stopped = true;
      clearTimeout(lingerTimer);
      clearTimeout(backoffTimer);
      lingerTimer = undefined;
      backoffTimer = undefined;
      // A batch still in flight settles (and is stored as settled or kept) before close resolves.
      await Promise.all(running);
      await storeWrites;
      await store?.close?.();
      return { pending: queue.size };
    },
    stats(): ClientStats {
      return {
        queued: queue.size,
        inFlight: queue.sending,
        ...counters,
        droppedByType: { ...droppedByType },
        lastError,
      };
    },
  };
}
