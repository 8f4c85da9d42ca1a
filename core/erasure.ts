/**
 * Erasure of a user (right to be forgotten), the decisions: the erasure list and its rule, which
 * records it removes, the request's identity, the erasure record (`lake.audit.erasures`, CONTRACT §3)
 * and when Kafka's own copies are gone. Pure: no I/O.
 *
 * The list is keyed by `user_key` (the HMAC of the user_id, core/silver.ts userKey), never the raw id:
 * the list, the workflow and the record can be read by operators without revealing whom they name.
 * A record is erased when its user is listed and its event_time is at or before the request (events
 * dated after it are a new interaction), or whenever it is dated, when the request suppresses the
 * user for good (`delete-user --suppress`). The list is applied forever: to Bronze ingestion, to every
 * promotion and to every backfill, so no re-read of Kafka or Bronze brings an erased event back.
 */
import { BadInputError } from './errors';
import { JsonFields } from './json';

/**
 * How stale a long-running reader's copy of the list may be (Bronze ingestion reads it again when its
 * copy is older). An erasure waits ERASURE_LIST_GRACE_MS after writing its entry before it looks for
 * the user's records, so every range flushed after that applied the entry.
 */
export const ERASURE_LIST_MAX_AGE_MS = 2_000;
export const ERASURE_LIST_GRACE_MS = 10_000;

/** One request of the erasure list (one immutable object in the lake per request). */
export interface ErasureEntry {
  readonly request_id: string;
  readonly user_key: string;
  /** Epoch ms: events dated up to this instant are erased. */
  readonly requested_at: number;
  /** Erase the user's later events too, for good. */
  readonly suppress: boolean;
}

const REQUEST_ID = /^er-\d{14}-[0-9a-f]{8}$/;
/** core/silver.ts USER_KEY_LENGTH (not imported: workflows import this module, and core/silver.ts needs node:crypto). */
const USER_KEY_LENGTH = 64;
const USER_KEY = new RegExp(`^[0-9a-f]{${USER_KEY_LENGTH}}$`);

/** `er-<UTC yyyymmddhhmmss>-<8 hex>`: sortable by request time, unique with 32 random bits. */
export function erasureRequestId(nowMs: number, randomHex: string): string {
  if (!/^[0-9a-f]{8}$/.test(randomHex)) throw new BadInputError(`randomHex: expected 8 lower-case hex digits, got "${randomHex}"`);
  const stamp = new Date(nowMs).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `er-${stamp}-${randomHex}`;
}

export function erasureWorkflowId(requestId: string): string {
  return `erase-user-${requestId}`;
}

/** The list entry of a request, checked: a malformed entry must never silently erase nothing. */
export function parseErasureEntry(json: unknown, path = 'erasure entry'): ErasureEntry {
  const fields = JsonFields.of(json, path);
  const suppress = fields.value('suppress');
  if (typeof suppress !== 'boolean') fields.fail('suppress', suppress === undefined ? 'required' : 'must be true or false');
  const entry: ErasureEntry = {
    request_id: fields.string('request_id', 'er-<14 digits>-<8 hex>', (t) => REQUEST_ID.test(t)),
    user_key: fields.string('user_key', `${USER_KEY_LENGTH} lower-case hex digits`, (t) => USER_KEY.test(t)),
    requested_at: fields.int('requested_at', 0, Number.MAX_SAFE_INTEGER),
    suppress: suppress === true,
  };
  JsonFields.throwIfErrors(fields);
  return entry;
}

/**
 * The list as a lookup: per user_key, the latest instant up to which its events are erased
 * (Infinity when suppressed). Several requests for one user combine to the widest.
 */
export type ErasureRule = ReadonlyMap<string, number>;

export function erasureRule(entries: readonly ErasureEntry[]): ErasureRule {
  const rule = new Map<string, number>();
  for (const e of entries) rule.set(e.user_key, Math.max(rule.get(e.user_key) ?? -Infinity, e.suppress ? Infinity : e.requested_at));
  return rule;
}

/** Whether the event of this user, dated `eventTimeMs`, is erased under the rule. */
export function isErased(rule: ErasureRule, userKeyValue: string, eventTimeMs: number): boolean {
  const until = rule.get(userKeyValue);
  return until !== undefined && eventTimeMs <= until;
}

/**
 * A fingerprint of the list (its request ids, sorted): a build records the list it applied, so a
 * reader can tell whether an erasure arrived after it.
 */
export function erasureListFingerprint(entries: readonly ErasureEntry[]): string {
  return entries
    .map((e) => e.request_id)
    .sort()
    .join(',');
}

/** `lake.audit.erasures` (CONTRACT §3), then `suppress`, `workflow_id` and `error` at the end. */
export type ErasureStatus = 'pending' | 'done' | 'verified' | 'failed';

export interface ErasureRow {
  readonly request_id: string;
  readonly user_key: string;
  readonly requested_at: number;
  readonly completed_at: number | null;
  readonly verified_at: number | null;
  readonly status: ErasureStatus;
  readonly bronze_objects_rewritten: number;
  readonly bronze_records_removed: number;
  readonly silver_rows_removed: number;
  readonly hours_restated: number;
  readonly days_restated: number;
  /** Epoch ms by which Kafka's retention has deleted every copy of the user's records. */
  readonly kafka_expiry: number | null;
  /** JSON text: the hours and days, and what was done to each other copy (docs/governance.md). */
  readonly details: string | null;
  readonly suppress: boolean;
  readonly workflow_id: string;
  readonly error: string | null;
}

export function pendingErasureRow(entry: ErasureEntry): ErasureRow {
  return {
    request_id: entry.request_id,
    user_key: entry.user_key,
    requested_at: entry.requested_at,
    completed_at: null,
    verified_at: null,
    status: 'pending',
    bronze_objects_rewritten: 0,
    bronze_records_removed: 0,
    silver_rows_removed: 0,
    hours_restated: 0,
    days_restated: 0,
    kafka_expiry: null,
    details: null,
    suppress: entry.suppress,
    workflow_id: erasureWorkflowId(entry.request_id),
    error: null,
  };
}

/**
 * The instant by which Kafka has deleted every copy: a topic deletes a segment once its newest record
 * is older than retention.ms, so a record appended at or before `lastAppendMs` is gone by
 * lastAppendMs + retention + the time a segment can stay open (segment.ms). The latest of all topics
 * that can hold the user's records (events and dead letters).
 */
export function kafkaExpiry(lastAppendMs: number, topics: ReadonlyArray<{ readonly retentionMs: number; readonly segmentMs: number }>): number {
  if (topics.length === 0) throw new BadInputError('topics: at least one topic is needed');
  return Math.max(...topics.map((t) => lastAppendMs + t.retentionMs + t.segmentMs));
}

/** What the lake says of where the user can be (activities/erasure.ts planErasure). */
export interface ErasureLookup {
  /** Published hours whose Silver or quarantine holds the user, with the rows there. */
  readonly silverHours: ReadonlyArray<{ readonly hour: string; readonly rows: number }>;
  /** Hours whose Bronze no published version has fully read, and whether each is published (STALE) or not. */
  readonly unreadHours: ReadonlyArray<{ readonly hour: string; readonly published: boolean }>;
  /**
   * Hours published since the request by a run that dropped erased records: a promotion that read the
   * list after the request and published before the lookup leaves the user out of published Silver,
   * while the hour's Bronze and older versions still hold them. Absent in lookups recorded before it.
   */
  readonly erasedSince?: readonly string[];
  /** Of the hours after those to restate, the published ones (their Silver session state can name the user). */
  readonly publishedNextHours: readonly string[];
}

export interface ErasureWork {
  /** Hours whose Bronze objects are rewritten (and scanned by the verification). */
  readonly bronzeHours: string[];
  /** Published hours promoted again, reason `erasure`. */
  readonly restateHours: string[];
  /** Their days, whose daily Gold follows. */
  readonly days: string[];
  /** Rows of the user in published Silver and quarantine when the plan was made. */
  readonly silverRows: number;
}

/**
 * The erasure planner: Bronze is rewritten wherever the user can be (the Silver hours, the unread
 * ones, and those published since the request by a run that dropped erased records); every published
 * hour among them is restated, and so is each published next hour, whose
 * Silver version starts from the user's session cursor; then their days.
 */
export function planErasureWork(lookup: ErasureLookup): ErasureWork {
  const sorted = (hours: Iterable<string>): string[] => [...new Set(hours)].sort();
  const since = lookup.erasedSince ?? [];
  const bronzeHours = sorted([...lookup.silverHours.map((h) => h.hour), ...lookup.unreadHours.map((h) => h.hour), ...since]);
  const restateHours = sorted([...lookup.silverHours.map((h) => h.hour), ...lookup.unreadHours.filter((h) => h.published).map((h) => h.hour), ...since, ...lookup.publishedNextHours]);
  return {
    bronzeHours,
    restateHours,
    days: sorted(restateHours.map((h) => h.slice(0, 10))),
    silverRows: lookup.silverHours.reduce((sum, h) => sum + h.rows, 0),
  };
}

/** The hours after these (the next UTC hour of each), not among them, sorted. */
export function nextHours(hours: readonly string[], next: (hour: string) => string): string[] {
  const own = new Set(hours);
  return [...new Set(hours.map(next))].filter((h) => !own.has(h)).sort();
}
