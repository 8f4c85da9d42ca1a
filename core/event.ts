/**
 * Event validation (CONTRACT §1): unknown JSON in, a typed `EventRecord` or every reason it is not one
 * out. Parse, don't cast: each field goes through a small reader that either returns a typed value or
 * records `field: reason`. All errors are collected, so a client fixes an event in one round trip.
 *
 * Messages name the field and the rule, and at most a length, a JSON type or a number; they never
 * repeat a string the client sent, so no personal data (user_id, ip, email) reaches responses, the
 * dead-letter topic or logs through them.
 *
 * Choices beyond the contract's letter:
 * - `null` for an optional field means absent (SDKs often send nulls); for a required one, `required`.
 * - Id fields (session_id, campaign_id, ad_id, placement, title_id) are 1-128 characters: an empty id
 *   would merge unrelated rows in Gold. URLs and user_agent may be empty (no referrer is common).
 * - country is case-insensitive and stored upper case (`us` -> `US`): the code is unambiguous and many
 *   locale APIs give lower case. Only the shape (two ASCII letters) is checked, not the assigned list,
 *   so user-assigned codes in common use (XK, Kosovo) pass and no event is lost to a list update.
 * - Character limits count Unicode code points; the event size limit counts UTF-8 bytes.
 */
import { isEmailAddress, isIpAddress } from './addresses';
import { codePointLength, canonicalJson, utf8Length } from './text';
import { DAY_MS, MINUTE_MS, parseRfc3339 } from './time';
import {
  AD_EVENT_TYPES,
  CLIENT_FIELD_NAMES,
  DEVICE_TYPES,
  EVENT_TYPES,
  VIDEO_EVENT_TYPES,
  type DeviceType,
  type EventRecord,
} from '../schemas/eventRecord';

/** Events in one POST /v1/events. */
export const MAX_EVENTS_PER_BATCH = 1000;
/** Body of one POST /v1/events, after gzip decoding. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * One event as JSON. The largest event the field limits allow, all ASCII, is about 26 KiB (two URLs,
 * user agent, 50 properties, ids); 32 KiB admits it with room for a few unknown fields. Without this
 * cap a single event could carry most of the 1 MiB body as unknown fields into one Kafka message and
 * the dead-letter copy, and the average event is ~1 KiB, so 32x that is already far out.
 */
export const MAX_EVENT_BYTES = 32 * 1024;
/**
 * Nesting of an unknown field's value, at most (an object or array inside the field counts one level).
 * The events of the contract nest two deep (properties); without a bound, a value nested tens of
 * thousands deep in a 1 MiB body overflowed the stack of the code that serialises it (fuzzing found it).
 */
export const MAX_FIELD_DEPTH = 32;
/** Older on arrival than this: kept in Bronze but quarantined, not counted in Gold. */
export const ALLOWED_LATENESS_MS = 7 * DAY_MS;
/** Newer on arrival than this: rejected, the device clock is wrong. */
export const MAX_FUTURE_MS = 15 * MINUTE_MS;
/** 2000-01-01T00:00:00Z: anything earlier is a broken clock or epoch seconds sent as milliseconds. */
export const MIN_EVENT_TIME_MS = 946_684_800_000;

/** Field limits of CONTRACT §1 and the ones it leaves to us (properties keys and values). */
export const FIELD_LIMITS = {
  eventId: 64,
  userId: 128,
  id: 128,
  url: 2048,
  userAgent: 1024,
  propertiesKeys: 50,
  propertyKey: 128,
  propertyValue: 256,
} as const;

export interface ValidationContext {
  /** Collector clock when the request arrived, epoch ms; stamped as received_time. */
  readonly receivedAtMs: number;
  readonly allowedLatenessMs: number;
  readonly maxFutureMs: number;
}

/** The contract's defaults around a receive time. */
export function defaultValidationContext(receivedAtMs: number): ValidationContext {
  return { receivedAtMs, allowedLatenessMs: ALLOWED_LATENESS_MS, maxFutureMs: MAX_FUTURE_MS };
}

export type EventValidation =
  | { readonly ok: true; readonly event: EventRecord; readonly quarantined: boolean }
  | { readonly ok: false; readonly errors: string[] };

type JsonObject = Readonly<Record<string, unknown>>;

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON name of a value's type, for messages that must not repeat the value. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/** Reads one event's fields, collecting `field: reason` errors. */
class FieldReader {
  readonly errors: string[] = [];

  constructor(private readonly input: JsonObject) {}

  fail(field: string, reason: string): void {
    this.errors.push(`${field}: ${reason}`);
  }

  /** The field's value; a missing field, an inherited name or null all read as undefined. */
  raw(field: string): unknown {
    const value = Object.hasOwn(this.input, field) ? this.input[field] : undefined;
    return value === null ? undefined : value;
  }

  /** A string of min..max code points; `requiredBecause` makes absence an error with that reason. */
  string(field: string, min: number, max: number, requiredBecause?: string): string | null {
    const value = this.raw(field);
    if (value === undefined) {
      if (requiredBecause !== undefined) this.fail(field, requiredBecause);
      return null;
    }
    if (typeof value !== 'string') {
      this.fail(field, `must be a string, got ${jsonTypeOf(value)}`);
      return null;
    }
    const length = codePointLength(value);
    if (length < min || length > max) {
      this.fail(field, min > 0 ? `must be ${min}–${max} characters, got ${length}` : `must be at most ${max} characters, got ${length}`);
      return null;
    }
    return value;
  }

  /** An optional string that must pass `test`; `rule` says what it must be. */
  checked(field: string, rule: string, test: (value: string) => boolean): string | null {
    const value = this.raw(field);
    if (value === undefined) return null;
    if (typeof value !== 'string') {
      this.fail(field, `must be a string, got ${jsonTypeOf(value)}`);
      return null;
    }
    if (!test(value)) {
      this.fail(field, `must be ${rule}`);
      return null;
    }
    return value;
  }

  oneOf<T extends string>(field: string, list: readonly T[], required: boolean): T | null {
    const value = this.raw(field);
    if (value === undefined) {
      if (required) this.fail(field, 'required');
      return null;
    }
    if (!isOneOf(list, value)) {
      this.fail(field, `must be one of ${list.join(', ')}`);
      return null;
    }
    return value;
  }
}

function readEventTime(fields: FieldReader): number | null {
  const value = fields.raw('event_time');
  let ms: number;
  if (value === undefined) {
    fields.fail('event_time', 'required');
    return null;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      fields.fail('event_time', 'epoch milliseconds must be an integer');
      return null;
    }
    ms = value;
  } else if (typeof value === 'string') {
    const parsed = parseRfc3339(value);
    if (parsed === undefined) {
      fields.fail('event_time', 'must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T05:41:00Z');
      return null;
    }
    ms = parsed;
  } else {
    fields.fail('event_time', `must be an RFC 3339 string or epoch milliseconds, got ${jsonTypeOf(value)}`);
    return null;
  }
  if (ms < MIN_EVENT_TIME_MS) {
    const hint = typeof value === 'number' && value * 1000 >= MIN_EVENT_TIME_MS ? ' (epoch seconds instead of milliseconds?)' : '';
    fields.fail('event_time', `before 2000-01-01T00:00:00Z${hint}`);
    return null;
  }
  return ms;
}

function readPositionMs(fields: FieldReader): number | null {
  const value = fields.raw('position_ms');
  if (value === undefined) return null;
  if (typeof value !== 'number') {
    fields.fail('position_ms', `must be an integer ≥ 0, got ${jsonTypeOf(value)}`);
    return null;
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    fields.fail('position_ms', `must be an integer ≥ 0, got ${value}`);
    return null;
  }
  return value;
}

function readCountry(fields: FieldReader): string | null {
  const value = fields.checked('country', 'an ISO 3166-1 alpha-2 code (two letters)', (text) => /^[A-Za-z]{2}$/.test(text));
  return value === null ? null : value.toUpperCase();
}

/** Object of string -> string, at most 50 keys; each kind of fault reported once, with a count. */
function readProperties(fields: FieldReader): Readonly<Record<string, string>> | null {
  const value = fields.raw('properties');
  if (value === undefined) return null;
  if (!isJsonObject(value)) {
    fields.fail('properties', `must be an object of string values, got ${jsonTypeOf(value)}`);
    return null;
  }
  const entries = Object.entries(value);
  const errorsBefore = fields.errors.length;
  if (entries.length > FIELD_LIMITS.propertiesKeys) {
    fields.fail('properties', `at most ${FIELD_LIMITS.propertiesKeys} keys, got ${entries.length}`);
  }
  const badKeys = entries.filter(([key]) => key.length === 0 || codePointLength(key) > FIELD_LIMITS.propertyKey).length;
  if (badKeys > 0) fields.fail('properties', `keys must be 1–${FIELD_LIMITS.propertyKey} characters (${badKeys} are not)`);
  const nonStrings = entries.filter(([, v]) => typeof v !== 'string').length;
  if (nonStrings > 0) fields.fail('properties', `values must be strings (${nonStrings} are not)`);
  const tooLong = entries.filter(([, v]) => typeof v === 'string' && codePointLength(v) > FIELD_LIMITS.propertyValue).length;
  if (tooLong > 0) fields.fail('properties', `values must be at most ${FIELD_LIMITS.propertyValue} characters (${tooLong} are longer)`);
  if (fields.errors.length > errorsBefore) return null;
  // fromEntries defines own properties, so a `__proto__` key stays a key.
  return Object.fromEntries(entries as Array<[string, string]>);
}

/** Unknown top-level fields as canonical JSON text, or null when there are none. */
function extraJson(input: JsonObject): string | null {
  const unknown = Object.keys(input).filter((key) => !CLIENT_FIELD_NAMES.has(key));
  if (unknown.length === 0) return null;
  return canonicalJson(Object.fromEntries(unknown.map((key) => [key, input[key]])));
}

/** Whether `value` nests objects or arrays more than `max` levels deep; iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

function eventBytes(input: JsonObject): number | undefined {
  try {
    return utf8Length(JSON.stringify(input));
  } catch {
    return undefined;
  }
}

/** Applies the time rules around receipt: an error for the future, a quarantine reason for the too late. */
function applyTimeRules(eventTime: number, ctx: ValidationContext, fields: FieldReader): string | null {
  const ahead = eventTime - ctx.receivedAtMs;
  if (ahead > ctx.maxFutureMs) {
    fields.fail('event_time', `in the future (${ahead} ms after receipt, at most ${ctx.maxFutureMs} ms allowed)`);
    return null;
  }
  return lateQuarantineReason(-ahead, ctx);
}

/** The quarantine reason of an event `age` ms old on arrival, or null when it is within the allowed lateness. */
export function lateQuarantineReason(age: number, ctx: ValidationContext): string | null {
  if (age > ctx.allowedLatenessMs) {
    return `event_time: older than the allowed lateness (${age} ms before receipt, at most ${ctx.allowedLatenessMs} ms allowed)`;
  }
  return null;
}

export function validateEvent(input: unknown, ctx: ValidationContext): EventValidation {
  if (!isJsonObject(input)) return { ok: false, errors: [`event: must be a JSON object, got ${jsonTypeOf(input)}`] };
  const fields = new FieldReader(input);
  const { id, url, userAgent } = FIELD_LIMITS;

  // Only fields outside the schema can make an event larger than MAX_EVENT_BYTES without breaking a
  // field rule (the largest event within every field limit is about 26 KiB; a unit test holds that),
  // so the costly serialisation is skipped for the common event that has none.
  const unknownKeys = Object.keys(input).filter((key) => !CLIENT_FIELD_NAMES.has(key));
  const tooDeep = unknownKeys.filter((key) => nestsDeeperThan(input[key], MAX_FIELD_DEPTH));
  for (const key of tooDeep) fields.fail('event', `unknown field ${JSON.stringify(key.slice(0, 64))} must nest at most ${MAX_FIELD_DEPTH} levels deep`);
  const bytes = unknownKeys.length === 0 || tooDeep.length > 0 ? 0 : eventBytes(input);
  if (bytes === undefined) fields.fail('event', 'must be JSON-serialisable');
  else if (bytes > MAX_EVENT_BYTES) fields.fail('event', `must be at most ${MAX_EVENT_BYTES} bytes as JSON, got ${bytes}`);

  const eventId = fields.string('event_id', 1, FIELD_LIMITS.eventId, 'required');
  const eventType = fields.oneOf('event_type', EVENT_TYPES, true);
  const eventTime = readEventTime(fields);
  const quarantineReason = eventTime === null ? null : applyTimeRules(eventTime, ctx, fields);
  const userId = fields.string('user_id', 1, FIELD_LIMITS.userId, 'required');
  const isAd = eventType !== null && AD_EVENT_TYPES.includes(eventType);
  const isVideo = eventType !== null && VIDEO_EVENT_TYPES.includes(eventType);
  const requiredFor = (yes: boolean): string | undefined => (yes ? `required for ${eventType}` : undefined);

  const partial = {
    session_id: fields.string('session_id', 1, id),
    campaign_id: fields.string('campaign_id', 1, id, requiredFor(isAd)),
    ad_id: fields.string('ad_id', 1, id, requiredFor(isAd)),
    placement: fields.string('placement', 1, id),
    title_id: fields.string('title_id', 1, id, requiredFor(isVideo)),
    position_ms: readPositionMs(fields),
    page_url: fields.string('page_url', 0, url),
    referrer: fields.string('referrer', 0, url),
    device_type: fields.oneOf<DeviceType>('device_type', DEVICE_TYPES, false),
    country: readCountry(fields),
    user_agent: fields.string('user_agent', 0, userAgent),
    ip: fields.checked('ip', 'an IPv4 or IPv6 address', isIpAddress),
    email: fields.checked('email', 'an email address', isEmailAddress),
    properties: readProperties(fields),
  };

  if (fields.errors.length > 0 || eventId === null || eventType === null || eventTime === null || userId === null) {
    return { ok: false, errors: fields.errors };
  }
  const event: EventRecord = {
    event_id: eventId,
    event_type: eventType,
    event_time: eventTime,
    user_id: userId,
    ...partial,
    received_time: ctx.receivedAtMs,
    quarantine_reason: quarantineReason,
    extra_json: extraJson(input),
  };
  return { ok: true, event, quarantined: quarantineReason !== null };
}

/**
 * Why a body cannot be read as a batch: the collector answers with `status` and this as the detail
 * (413 for more events than a request may carry, 400 for every other shape problem).
 */
export interface BatchShapeError {
  readonly ok: false;
  readonly status: 400 | 413;
  readonly error: string;
}

export interface AcceptedEvent {
  readonly index: number;
  readonly event: EventRecord;
  readonly quarantined: boolean;
}

/** One entry of the 200 answer's `rejected` list (CONTRACT §2). */
export interface RejectedEvent {
  readonly index: number;
  /** The event's event_id when it sent one as a string, so the client can match the answer. */
  readonly event_id?: string;
  readonly errors: string[];
}

export type BatchValidation =
  | { readonly ok: true; readonly accepted: AcceptedEvent[]; readonly rejected: RejectedEvent[] }
  | BatchShapeError;

/** Checks the `{"events": [...]}` shape, then validates each event in order. */
export function validateBatch(body: unknown, ctx: ValidationContext, maxEvents: number = MAX_EVENTS_PER_BATCH): BatchValidation {
  if (!isJsonObject(body)) return { ok: false, status: 400, error: `body: must be a JSON object with an "events" array, got ${jsonTypeOf(body)}` };
  const events = Object.hasOwn(body, 'events') ? body.events : undefined;
  if (events === undefined) return { ok: false, status: 400, error: 'events: required' };
  if (!Array.isArray(events)) return { ok: false, status: 400, error: `events: must be an array, got ${jsonTypeOf(events)}` };
  if (events.length === 0) return { ok: false, status: 400, error: 'events: must not be empty' };
  if (events.length > maxEvents) return { ok: false, status: 413, error: `events: at most ${maxEvents} per request, got ${events.length}` };

  const accepted: AcceptedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  events.forEach((input: unknown, index) => {
    const judged = judgeBatchEvent(input, index, ctx);
    if ('event' in judged) accepted.push(judged);
    else rejected.push(judged);
  });
  return { ok: true, accepted, rejected };
}

/** One element of a batch's `events`, validated: accepted, or rejected with its event_id when it sent one as a string. */
export function judgeBatchEvent(input: unknown, index: number, ctx: ValidationContext): AcceptedEvent | RejectedEvent {
  const result = validateEvent(input, ctx);
  if (result.ok) return { index, event: result.event, quarantined: result.quarantined };
  const eventId = isJsonObject(input) && Object.hasOwn(input, 'event_id') && typeof input.event_id === 'string' ? input.event_id : undefined;
  return eventId === undefined ? { index, errors: result.errors } : { index, event_id: eventId, errors: result.errors };
}
