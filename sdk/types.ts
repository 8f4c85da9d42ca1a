/**
 * What the SDK sends and what the collector answers (CONTRACT §1 and §2), as the SDK sees them. The
 * only project import the SDK has is the event types of schemas/.
 */
import type { EventType } from '../schemas/eventRecord';

export type { EventType };

/**
 * One event as a client sends it (CONTRACT §1). `event_id` is the idempotency key: the SDK assigns one
 * when it is absent, once, at `send`, and every retry resends that id.
 */
export interface SdkEvent {
  event_id?: string;
  event_type: EventType | (string & {});
  event_time?: string | number;
  user_id?: string;
  [field: string]: unknown;
}

/** An event in the SDK's queue: its id is fixed, `seq` orders the queue and names it in the store. */
export interface QueuedEvent {
  readonly seq: number;
  readonly event: SdkEvent & { readonly event_id: string };
}

/** The collector's 200 answer (CONTRACT §2); fields it adds later are kept in `raw`. */
export interface CollectorAnswer {
  readonly accepted: number;
  readonly rejected: ReadonlyArray<{ readonly index: number; readonly event_id?: string | null; readonly errors: readonly string[] }>;
  readonly quarantined?: number;
  /**
   * Events the collector shed under load (asked for with `Prefer: shed=per-event`): not taken, to be
   * resent with the same event_ids after Retry-After.
   */
  readonly shed?: ReadonlyArray<{ readonly index: number; readonly event_id?: string | null; readonly reason?: string }>;
}

/** An event the collector refused for good (a reason in its answer, or a 4xx other than 429 for the batch). */
export interface Rejection {
  readonly event: SdkEvent & { readonly event_id: string };
  /** The collector's reasons: `field: reason` per CONTRACT §2, or `<status> <error>: <detail>` for a refused batch. */
  readonly errors: readonly string[];
}

/** Events the bounded queue dropped to stay under its bound: how many, of which type, and why. */
export interface DropReport {
  readonly dropped: number;
  readonly byType: Readonly<Record<string, number>>;
  readonly reason: 'queue_full';
}
