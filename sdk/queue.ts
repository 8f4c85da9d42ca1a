/**
 * The bounded queue of events not yet settled, with an optional store that keeps it across restarts
 * (sdk/node.ts: a file). Pure logic: no timers, no I/O of its own; the store does the I/O.
 *
 * Bound and drop policy: at most `maxEvents` events wait (in flight included). An event sent to a full
 * queue makes room by dropping the OLDEST waiting events that are not in flight: during a long outage
 * the newest events are kept, since they are worth the most to real-time CTR and the oldest are the
 * first to pass the collector's allowed lateness (quarantined, not counted in Gold) anyway. When every
 * waiting event is in flight, the new event itself is dropped. Every drop is counted by event type.
 */
import type { QueuedEvent } from './types';

/** Where the queue is kept: its events in order on load, then each change as it happens. */
export interface QueueStore {
  load(): Promise<QueuedEvent[]>;
  /** Events entered the queue (in order, after those already stored). */
  append(events: readonly QueuedEvent[]): Promise<void>;
  /** Events left the queue (accepted, rejected or dropped), by seq. */
  remove(seqs: readonly number[]): Promise<void>;
  close?(): Promise<void>;
}

export interface Admission {
  readonly added: QueuedEvent | undefined;
  readonly dropped: QueuedEvent[];
}

export class BoundedQueue {
  /** Waiting events, oldest first; in-flight ones are among them, marked in `inFlight`. */
  private readonly waiting: QueuedEvent[] = [];
  private readonly inFlight = new Set<number>();
  private nextSeq = 1;

  constructor(readonly maxEvents: number) {
    if (!Number.isInteger(maxEvents) || maxEvents < 1) throw new RangeError(`queue maxEvents: must be a whole number ≥ 1, got ${maxEvents}`);
  }

  /** Puts back what a store kept (oldest first), dropping the oldest beyond the bound. */
  restore(events: readonly QueuedEvent[]): QueuedEvent[] {
    const sorted = [...events].sort((a, b) => a.seq - b.seq);
    for (const e of sorted) this.nextSeq = Math.max(this.nextSeq, e.seq + 1);
    const dropped = sorted.splice(0, Math.max(0, sorted.length + this.waiting.length - this.maxEvents));
    this.waiting.push(...sorted);
    return dropped;
  }

  /** Adds an event, dropping the oldest idle ones (or this one) to stay within the bound. */
  add(event: QueuedEvent['event']): Admission {
    const dropped: QueuedEvent[] = [];
    while (this.waiting.length >= this.maxEvents) {
      const idle = this.waiting.findIndex((e) => !this.inFlight.has(e.seq));
      if (idle < 0) return { added: undefined, dropped: [...dropped, { seq: 0, event }] };
      dropped.push(...this.waiting.splice(idle, 1));
    }
    const added = { seq: this.nextSeq++, event };
    this.waiting.push(added);
    return { added, dropped };
  }

  /** Up to `max` of the oldest events not in flight, now marked in flight. */
  take(max: number): QueuedEvent[] {
    const batch: QueuedEvent[] = [];
    for (const e of this.waiting) {
      if (batch.length >= max) break;
      if (this.inFlight.has(e.seq)) continue;
      this.inFlight.add(e.seq);
      batch.push(e);
    }
    return batch;
  }

  /** In-flight events that are to be sent again: idle, in their old place. */
  putBack(batch: readonly QueuedEvent[]): void {
    for (const e of batch) this.inFlight.delete(e.seq);
  }

  /** Events that left the queue for good. */
  settle(batch: readonly QueuedEvent[]): void {
    const seqs = new Set(batch.map((e) => e.seq));
    for (const seq of seqs) this.inFlight.delete(seq);
    for (let i = this.waiting.length - 1; i >= 0; i--) if (seqs.has((this.waiting[i] as QueuedEvent).seq)) this.waiting.splice(i, 1);
  }

  /** Whether any event with seq ≤ `seq` still waits. */
  holdsUpTo(seq: number): boolean {
    return this.waiting.length > 0 && (this.waiting[0] as QueuedEvent).seq <= seq;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get size(): number {
    return this.waiting.length;
  }

  get idle(): number {
    return this.waiting.length - this.inFlight.size;
  }

  get sending(): number {
    return this.inFlight.size;
  }
}

/** Counts of events by type, for drop reports. */
export function countByType(events: readonly QueuedEvent[]): Record<string, number> {
  const counts: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const { event } of events) {
    const type = typeof event.event_type === 'string' ? event.event_type : 'unknown';
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return { ...counts };
}
