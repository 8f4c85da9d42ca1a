/**
 * Which sent events the truth counts, decided from CONTRACT §1 on its own: written from the contract's
 * table, not from core/event.ts, and importing nothing that module validates with, so a validation bug
 * in the collector cannot also be in the truth it is measured against. An agreement test runs both on
 * generated traffic, event by event, so either one drifting from the other is seen.
 *
 * The contract's rules, plus the choices the collector documents beyond its letter (each re-stated
 * here, not shared): `null` for an optional field means absent and for a required one missing; id
 * fields are 1-128 characters; lengths count Unicode code points; event_time is not before
 * 2000-01-01T00:00:00Z; `country` is two ASCII letters in either case; `ip` an IPv4 or IPv6 address
 * (no zone id), `email` local@domain.tld; `properties` keys 1-128 and values at most 256 characters;
 * one event is at most 32 KiB as UTF-8 JSON.
 */
import type { DeviceType, EventType } from '../schemas/eventRecord';

/** CONTRACT §1, field by field, and the time rules around receipt. */
export const TRUTH_RULES = {
  eventTypes: ['ad_impression', 'ad_click', 'page_view', 'video_play', 'video_pause', 'video_seek', 'heartbeat'],
  adTypes: ['ad_impression', 'ad_click'],
  videoTypes: ['video_play', 'video_pause', 'video_seek'],
  deviceTypes: ['web', 'ios', 'android', 'tv', 'stb', 'other'],
  eventIdChars: 64,
  userIdChars: 128,
  idChars: 128,
  urlChars: 2048,
  userAgentChars: 1024,
  propertiesKeys: 50,
  propertyKeyChars: 128,
  propertyValueChars: 256,
  eventBytes: 32 * 1024,
  /** "more than 15 minutes after the time it is received is rejected" */
  futureMs: 15 * 60_000,
  /** "older than the allowed lateness (default 7 days) on arrival is ... quarantined" */
  latenessMs: 7 * 24 * 3_600_000,
  /** 2000-01-01T00:00:00Z */
  earliestMs: 946_684_800_000,
} as const;

/** What the truth counts of a valid event (the fields of core/truth's CountableEvent). */
export interface JudgedEvent {
  readonly event_id: string;
  readonly event_type: EventType;
  readonly event_time: number;
  readonly user_id: string;
  readonly campaign_id: string | null;
  readonly title_id: string | null;
  readonly device_type: DeviceType | null;
  /** Non-null when it arrived later than the allowed lateness: kept, not counted. */
  readonly quarantine_reason: string | null;
}

export type Judgement = { readonly valid: true; readonly event: JudgedEvent } | { readonly valid: false; readonly fields: string[] };

const chars = (text: string): number => [...text].length;
const isEventType = (v: unknown): v is EventType => (TRUTH_RULES.eventTypes as readonly unknown[]).includes(v);
const isDeviceType = (v: unknown): v is DeviceType => (TRUTH_RULES.deviceTypes as readonly unknown[]).includes(v);

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * RFC 3339 §5.6 date-time, epoch ms (a fraction truncated to ms), or undefined. `T` and `Z` in either
 * case (§5.6 note), a numeric offset up to 23:59; no leap second 60 (epoch ms has none).
 */
export function rfc3339Ms(text: string): number | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = m[8] as string;
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number(((m[7] ?? '.').slice(1) + '000').slice(0, 3));
  return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offsetMin) * 60_000 + second * 1000 + ms;
}

function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/** RFC 4291 text: eight hex groups, or fewer around one `::`; an IPv4 tail counts as two groups. */
function isIPv6(text: string): boolean {
  let rest = text;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    if (!isIPv4(text.slice(lastColon + 1))) return false;
    rest = `${text.slice(0, lastColon + 1)}0:0`; // the tail's 32 bits as two groups
  }
  const compressed = rest.split('::');
  if (compressed.length > 2) return false;
  const groups = compressed.flatMap((half) => (half === '' ? [] : half.split(':')));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return compressed.length === 2 ? groups.length <= 7 : groups.length === 8;
}

function isEmail(text: string): boolean {
  const at = text.split('@');
  if (text.length > 254 || at.length !== 2 || /\s/.test(text)) return false;
  const [local, domain] = at as [string, string];
  const labels = domain.split('.');
  return chars(local) >= 1 && chars(local) <= 64 && labels.length >= 2 && labels.every((l) => l.length > 0);
}

/** An own field's value; null reads as absent. */
function field(event: Record<string, unknown>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(event, name) && event[name] !== null ? event[name] : undefined;
}

function textOk(value: unknown, min: number, max: number): value is string {
  return typeof value === 'string' && chars(value) >= min && chars(value) <= max;
}

function eventTimeMs(value: unknown): number | undefined {
  const ms = typeof value === 'number' ? (Number.isSafeInteger(value) ? value : undefined) : typeof value === 'string' ? rfc3339Ms(value) : undefined;
  return ms !== undefined && ms >= TRUTH_RULES.earliestMs ? ms : undefined;
}

function propertiesOk(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length <= TRUTH_RULES.propertiesKeys &&
    entries.every(([k, v]) => textOk(k, 1, TRUTH_RULES.propertyKeyChars) && textOk(v, 0, TRUTH_RULES.propertyValueChars))
  );
}

function jsonBytes(event: object): number {
  try {
    return new TextEncoder().encode(JSON.stringify(event)).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Each field's rule: true when the (present or absent) value keeps it. */
function fieldRules(event: Record<string, unknown>, type: unknown): Array<readonly [string, boolean]> {
  const R = TRUTH_RULES;
  const isAd = (R.adTypes as readonly unknown[]).includes(type);
  const isVideo = (R.videoTypes as readonly unknown[]).includes(type);
  const optional = (name: string, ok: (v: unknown) => boolean): readonly [string, boolean] => {
    const v = field(event, name);
    return [name, v === undefined || ok(v)];
  };
  const required = (name: string, ok: (v: unknown) => boolean): readonly [string, boolean] => {
    const v = field(event, name);
    return [name, v !== undefined && ok(v)];
  };
  const id = (v: unknown): boolean => textOk(v, 1, R.idChars);
  const idFor = (name: string, needed: boolean): readonly [string, boolean] => (needed ? required(name, id) : optional(name, id));
  return [
    required('event_id', (v) => textOk(v, 1, R.eventIdChars)),
    required('event_type', isEventType),
    required('user_id', (v) => textOk(v, 1, R.userIdChars)),
    optional('session_id', id),
    idFor('campaign_id', isAd),
    idFor('ad_id', isAd),
    optional('placement', id),
    idFor('title_id', isVideo),
    optional('position_ms', (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0),
    optional('page_url', (v) => textOk(v, 0, R.urlChars)),
    optional('referrer', (v) => textOk(v, 0, R.urlChars)),
    optional('device_type', isDeviceType),
    optional('country', (v) => typeof v === 'string' && /^[A-Za-z]{2}$/.test(v)),
    optional('user_agent', (v) => textOk(v, 0, R.userAgentChars)),
    optional('ip', (v) => typeof v === 'string' && (isIPv4(v) || isIPv6(v))),
    optional('email', (v) => typeof v === 'string' && isEmail(v)),
    optional('properties', propertiesOk),
  ];
}

/**
 * Judges one event as a client sent it, received at `receivedMs`: the fields that break a rule
 * (`event` for the object as a whole), or what the truth counts of it.
 */
export function judgeEvent(input: unknown, receivedMs: number): Judgement {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { valid: false, fields: ['event'] };
  const event = input as Record<string, unknown>;
  const broken = fieldRules(event, field(event, 'event_type')).flatMap(([name, ok]) => (ok ? [] : [name]));
  const time = eventTimeMs(field(event, 'event_time'));
  if (time === undefined || time - receivedMs > TRUTH_RULES.futureMs) broken.push('event_time');
  if (jsonBytes(event) > TRUTH_RULES.eventBytes) broken.push('event');
  const [eventId, type, userId, device] = ['event_id', 'event_type', 'user_id', 'device_type'].map((name) => field(event, name));
  if (broken.length > 0 || time === undefined || typeof eventId !== 'string' || !isEventType(type) || typeof userId !== 'string') {
    return { valid: false, fields: broken.sort() };
  }
  const text = (name: string): string | null => {
    const value = field(event, name);
    return typeof value === 'string' ? value : null;
  };
  return {
    valid: true,
    event: {
      event_id: eventId,
      event_type: type,
      event_time: time,
      user_id: userId,
      campaign_id: text('campaign_id'),
      title_id: text('title_id'),
      device_type: isDeviceType(device) ? device : null,
      quarantine_reason: receivedMs - time > TRUTH_RULES.latenessMs ? 'event_time: older than the allowed lateness' : null,
    },
  };
}
