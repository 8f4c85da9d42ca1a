/**
 * Promotion of an event hour from Bronze to Silver, as pure functions over Bronze records: the hour's
 * records are re-validated, deduplicated (the first received copy wins), quarantined when late, and
 * turned into PII-safe Silver rows with a session id.
 *
 * Counting order for the ledger of an hour H (rows_in = rows_out + duplicates + rejected + late + erased):
 *  1. rejected: a copy that fails re-validation is not an accepted event, so it never wins
 *     deduplication; a later valid copy of the same event_id can (as the collector would have
 *     accepted that one first).
 *  1b. erased: a valid copy of an erased user's event (core/erasure.ts) is as if never received:
 *     it neither wins nor loses deduplication.
 *  2. duplicates: of the valid copies of an event_id, all but the first received. A later copy of a
 *     late event is a duplicate, not late.
 *  3. late: a winner that was older than the allowed lateness on arrival (quarantine_reason set in
 *     Bronze, or re-derived with the current rules).
 *  4. rows_out: the rest.
 * Each record lands in exactly one bucket, so the identity holds by construction. Steps 2-4 are
 * computeTruth's semantics (core/truth.ts) over the valid records: dedup first, then drop quarantined.
 *
 * Deduplication is within the event hour: copies of an event share its event_time, so they share its
 * hour. An event_id reused with another event_time (a client bug) counts once in each hour.
 */
import { createHash, createHmac } from 'node:crypto';
import { CLIENT_FIELD_NAMES, type EventRecord } from '../schemas/eventRecord';
import { compareKafkaPosition, type BronzeRecord } from './bronze';
import { BadInputError, ConfigError } from './errors';
import { ALLOWED_LATENESS_MS, MAX_FUTURE_MS, jsonTypeOf, validateEvent, type ValidationContext } from './event';
import { JsonFields, isJsonObject } from './json';
import { type Ledger } from './ledger';
import { compareText } from './text';
import { MINUTE_MS, hourOf, hourStartMs, parseHourKey } from './time';

/** The time rules of re-validation; the receive time is each record's own. */
export type LatenessRules = Omit<ValidationContext, 'receivedAtMs'>;

export const DEFAULT_LATENESS_RULES: LatenessRules = { allowedLatenessMs: ALLOWED_LATENESS_MS, maxFutureMs: MAX_FUTURE_MS };

/** What receive order needs of a record. */
export interface ReceiveOrdered {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly received_time: number;
  readonly event: { readonly event_id: string };
}

/** Receive order: received_time, then Kafka partition and offset, then topic; total for distinct records. */
export function compareReceiveOrder(a: ReceiveOrdered, b: ReceiveOrdered): number {
  return a.received_time - b.received_time || a.partition - b.partition || a.offset - b.offset || compareText(a.topic, b.topic);
}

/**
 * One record per event_id, the first received; `kept` in receive order. The result does not depend on
 * the order of the input.
 */
export function dedupFirstReceived<R extends ReceiveOrdered>(records: readonly R[]): { kept: R[]; duplicates: number } {
  const seen = new Set<string>();
  const kept: R[] = [];
  for (const record of [...records].sort(compareReceiveOrder)) {
    if (seen.has(record.event.event_id)) continue;
    seen.add(record.event.event_id);
    kept.push(record);
  }
  return { kept, duplicates: records.length - kept.length };
}

/**
 * The event as its client sent it, rebuilt from the Avro record: the client fields that are set, and
 * the unknown fields kept in extra_json. Null when extra_json is not a JSON object.
 */
export function clientInputOf(event: EventRecord): Record<string, unknown> | null {
  let extra: Array<[string, unknown]> = [];
  if (event.extra_json !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(event.extra_json);
    } catch {
      return null;
    }
    if (!isJsonObject(parsed)) return null;
    extra = Object.entries(parsed).filter(([key]) => !CLIENT_FIELD_NAMES.has(key));
  }
  const own = Object.entries(event).filter(([key, value]) => CLIENT_FIELD_NAMES.has(key) && value !== null);
  // fromEntries defines own properties, so an unknown `__proto__` field stays a field.
  return Object.fromEntries([...own, ...extra]);
}

/** Where a rejected record is, and why (messages name fields, never values). */
export interface Rejection {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly errors: string[];
}

export interface HourClassification {
  readonly hour: string;
  /** Valid, deduplicated, on-time events of the hour, re-validated, in receive order. */
  readonly kept: EventRecord[];
  readonly ledger: Ledger;
  readonly rejections: Rejection[];
  /** Valid, first-received events of the hour past the allowed lateness: `lake.silver.quarantine`. */
  readonly quarantined: EventRecord[];
}

export type Revalidated = BronzeRecord & { readonly late: boolean };

/** Re-validates a Bronze record with its own receive time: the event and whether it is late, or the errors. */
export function revalidate(record: BronzeRecord, rules: LatenessRules): { ok: true; record: Revalidated } | { ok: false; errors: string[] } {
  const input = clientInputOf(record.event);
  if (input === null) return { ok: false, errors: ['extra_json: must be a JSON object'] };
  const result = validateEvent(input, { ...rules, receivedAtMs: record.received_time });
  if (!result.ok) return result;
  const late = result.quarantined || record.event.quarantine_reason !== null;
  return { ok: true, record: { ...record, event: result.event, late } };
}

/**
 * The events of hour H among Bronze records (any others are ignored) and the hour's ledger; rows_in
 * counts the records whose event_time is in H. See the module comment for the counting order.
 */
export function classifyHour(
  records: readonly BronzeRecord[],
  hour: string,
  rules: LatenessRules = DEFAULT_LATENESS_RULES,
  isErased: (record: Revalidated) => boolean = () => false,
): HourClassification {
  const { key, startMs } = parseHourKey(hour);
  const inHour = records.filter((record) => hourStartMs(record.event.event_time) === startMs);
  const valid: Revalidated[] = [];
  const rejections: Rejection[] = [];
  let erased = 0;
  for (const record of inHour) {
    const result = revalidate(record, rules);
    if (!result.ok) rejections.push({ topic: record.topic, partition: record.partition, offset: record.offset, errors: result.errors });
    else if (isErased(result.record)) erased++;
    else valid.push(result.record);
  }
  rejections.sort(compareKafkaPosition);
  const { kept: winners, duplicates } = dedupFirstReceived(valid);
  const kept = winners.filter((record) => !record.late).map((record) => record.event);
  const ledger: Ledger = {
    rows_in: inHour.length,
    rows_out: kept.length,
    duplicates,
    rejected: rejections.length,
    late: winners.length - kept.length,
    erased,
  };
  const quarantined = winners.filter((record) => record.late).map((record) => record.event);
  return { hour: key, kept, ledger, rejections, quarantined };
}

/**
 * The columns of `lake.silver.events`, in table order (CONTRACT §3). Deliberately absent:
 * - user_id, ip, email: personal data; user_id becomes user_key, ip and email stay in Bronze only.
 * - user_agent: quasi-identifying (with country and times it fingerprints a device; regulators treat
 *   such fingerprints as personal data), and no Gold table needs it. device_type carries the analytic part.
 * - referrer: another site's URL whose path and query can carry search terms, emails or tokens we cannot
 *   scrub reliably (page_url is our own site's, its shape ours to control).
 * Both stay in Bronze, so a later schema version can add a derived, safe column (browser family,
 * referrer host) and backfill it.
 */
export const SILVER_COLUMNS = [
  'event_id',
  'event_type',
  'event_time',
  'received_time',
  'user_key',
  'session_id',
  'campaign_id',
  'ad_id',
  'placement',
  'title_id',
  'position_ms',
  'device_type',
  'country',
  'page_url',
  'properties',
  'dt',
  'hr',
] as const satisfies ReadonlyArray<keyof SilverRow>;

/** Event fields Silver keeps as they are (times in epoch ms; session_id null until sessionize). */
type KeptEventField =
  | 'event_id'
  | 'event_type'
  | 'event_time'
  | 'received_time'
  | 'session_id'
  | 'campaign_id'
  | 'ad_id'
  | 'placement'
  | 'title_id'
  | 'position_ms'
  | 'device_type'
  | 'country'
  | 'page_url'
  | 'properties';

export interface SilverRow extends Pick<EventRecord, KeptEventField> {
  readonly user_key: string;
  readonly dt: string;
  readonly hr: string;
}

/** Length of a user_key: HMAC-SHA256 in lower-case hex. */
export const USER_KEY_LENGTH = 64;

/**
 * The pseudonymous key of a user: HMAC-SHA256 of the user_id under the secret key, hex. Stable for a
 * key, so daily distinct counts and joins work; without the key it cannot be reversed or recomputed
 * from a guessed user_id. Rotating the key changes every user_key.
 */
export function userKey(hmacKey: string, userId: string): string {
  if (hmacKey.length === 0) throw new ConfigError('pii.hmacKey: empty; set CLICKLAKE_PII_HMAC_KEY or run stack up');
  return createHmac('sha256', hmacKey).update(userId, 'utf8').digest('hex');
}

export interface SilverContext {
  readonly hmacKey: string;
}

/** The Silver row of a kept event: exactly SILVER_COLUMNS, in order. */
export function toSilverRow(event: EventRecord, ctx: SilverContext): SilverRow {
  const { dt, hr } = hourOf(event.event_time);
  return {
    event_id: event.event_id,
    event_type: event.event_type,
    event_time: event.event_time,
    received_time: event.received_time,
    user_key: userKey(ctx.hmacKey, event.user_id),
    session_id: event.session_id,
    campaign_id: event.campaign_id,
    ad_id: event.ad_id,
    placement: event.placement,
    title_id: event.title_id,
    position_ms: event.position_ms,
    device_type: event.device_type,
    country: event.country,
    page_url: event.page_url,
    properties: event.properties,
    dt,
    hr,
  };
}

export const SESSION_GAP_MS = 30 * MINUTE_MS;

/** Where a user's derived session stands after the events seen so far. */
export interface SessionCursor {
  readonly lastEventMs: number;
  readonly sessionId: string;
  readonly sessionStartMs: number;
}

/** Derived-session cursors by user_key: the end state of one hour is the prior state of the next. */
export type SessionState = ReadonlyMap<string, SessionCursor>;

export const DERIVED_SESSION_PREFIX = 'ds-';

/** `ds-` and 32 hex digits of SHA-256(user_key, session start): the same session always gets the same id. */
export function derivedSessionId(userKeyValue: string, sessionStartMs: number): string {
  return `${DERIVED_SESSION_PREFIX}${createHash('sha256').update(`${userKeyValue}\n${sessionStartMs}`, 'utf8').digest('hex').slice(0, 32)}`;
}

type SessionInput = Pick<SilverRow, 'event_id' | 'event_time' | 'user_key' | 'session_id'>;

/**
 * Fills in session_id where the client sent none. Per user_key, the events without a client session id,
 * in event_time order, form sessions split at `gapMs` or more of inactivity; a session's id derives
 * from (user_key, start). Events with a client session_id keep it and neither join nor extend derived
 * sessions: derived ids depend only on the events that need them, so a client id added or dropped
 * elsewhere never changes them.
 *
 * Deterministic across hours: sessionizing H with the prior state of H-1, then H+1 with the end state
 * of H, equals sessionizing them together, provided each hour's events are later than the prior
 * state's (hours are sessionized in order; a restated hour changes its end state, so the next hour is
 * sessionized again). Rows come back in input order.
 */
export function sessionize<R extends SessionInput>(
  rows: readonly R[],
  priorState: SessionState,
  gapMs: number = SESSION_GAP_MS,
): { rows: Array<R & { readonly session_id: string }>; endState: Map<string, SessionCursor> } {
  if (!Number.isSafeInteger(gapMs) || gapMs < 1) throw new RangeError(`gapMs must be a positive whole number, got ${gapMs}`);
  const state = new Map(priorState);
  const derived = new Map<number, string>();
  const pending = rows
    .map((row, index) => ({ row, index }))
    .filter(({ row }) => row.session_id === null)
    .sort((a, b) => compareText(a.row.user_key, b.row.user_key) || a.row.event_time - b.row.event_time || compareText(a.row.event_id, b.row.event_id));
  for (const { row, index } of pending) {
    const cursor = state.get(row.user_key);
    const next =
      cursor !== undefined && row.event_time - cursor.lastEventMs < gapMs
        ? { ...cursor, lastEventMs: Math.max(cursor.lastEventMs, row.event_time) }
        : { lastEventMs: row.event_time, sessionStartMs: row.event_time, sessionId: derivedSessionId(row.user_key, row.event_time) };
    state.set(row.user_key, next);
    derived.set(index, next.sessionId);
  }
  const out = rows.map((row, index) => ({ ...row, session_id: row.session_id ?? (derived.get(index) as string) }));
  return { rows: out, endState: state };
}

/**
 * The state without users whose session cannot reach an event at or after `fromMs` (the start of the
 * next hour): their next event starts a new session anyway, so dropping them changes no id and keeps
 * the state to the users active in the last `gapMs`.
 */
export function pruneSessionState(state: SessionState, fromMs: number, gapMs: number = SESSION_GAP_MS): Map<string, SessionCursor> {
  return new Map([...state].filter(([, cursor]) => fromMs - cursor.lastEventMs < gapMs));
}

/**
 * Whether restating an hour changes the derived sessions of the next one: the cursors that can reach
 * an event at or after `nextStartMs` differ between the state the hour ended with before (empty when
 * it had none) and after. When they do, the next hour, if published, must be sessionized again.
 */
export function nextHourSessionsChanged(before: SessionState, after: SessionState, nextStartMs: number, gapMs: number = SESSION_GAP_MS): boolean {
  const reach = (state: SessionState): string => JSON.stringify(sessionStateToJson(pruneSessionState(state, nextStartMs, gapMs)));
  return reach(before) !== reach(after);
}

/** JSON of a session state (to store it next to the hour), sorted by user_key. */
export function sessionStateToJson(state: SessionState): Array<{ user_key: string } & SessionCursor> {
  return [...state].sort(([a], [b]) => compareText(a, b)).map(([user_key, cursor]) => ({ user_key, ...cursor }));
}

/** Parse, don't cast: a stored session state; BadInputError naming every bad entry field. */
export function parseSessionState(json: unknown): Map<string, SessionCursor> {
  if (!Array.isArray(json)) throw new BadInputError(`session state: must be an array, got ${jsonTypeOf(json)}`);
  const readers: JsonFields[] = [];
  const users = new Set<string>();
  const entries = json.map((item: unknown, i): [string, SessionCursor] => {
    const fields = JsonFields.of(item, `session state[${i}]`);
    readers.push(fields);
    const cursor = {
      lastEventMs: fields.int('lastEventMs', 0, Number.MAX_SAFE_INTEGER),
      sessionId: fields.string('sessionId', 'a non-empty string', (text) => text.length > 0),
      sessionStartMs: fields.int('sessionStartMs', 0, Number.MAX_SAFE_INTEGER),
    };
    if (cursor.sessionStartMs > cursor.lastEventMs) fields.fail('sessionStartMs', `${cursor.sessionStartMs} is after lastEventMs ${cursor.lastEventMs}`);
    const user = fields.string('user_key', 'a non-empty string', (text) => text.length > 0);
    if (users.has(user)) fields.fail('user_key', 'appears twice');
    users.add(user);
    return [user, cursor];
  });
  JsonFields.throwIfErrors(...readers);
  return new Map(entries);
}
