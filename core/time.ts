/**
 * UTC hour and day math for partitions (`dt` = YYYY-MM-DD, `hr` = 00..23, hour key YYYY-MM-DDTHH) and
 * RFC 3339 parsing. Pure: every instant is an argument in epoch milliseconds, never "now".
 */
import { BadInputError } from './errors';

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** A Lake partition: the UTC day and hour of an instant. */
export interface HourPartition {
  readonly dt: string;
  readonly hr: string;
}

/** An hour parsed from its key, with the instant it starts. */
export interface Hour extends HourPartition {
  readonly key: string;
  readonly startMs: number;
}

function iso(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a time in epoch milliseconds: ${ms}`);
  return new Date(ms).toISOString();
}

/** UTC day `YYYY-MM-DD` of an instant. */
export function dayOf(ms: number): string {
  return iso(ms).slice(0, 10);
}

export function hourOf(ms: number): HourPartition {
  const text = iso(ms);
  return { dt: text.slice(0, 10), hr: text.slice(11, 13) };
}

/** Hour key `YYYY-MM-DDTHH`: the id of an hour in workflow ids, search attributes and CLI options. */
export function hourKey(ms: number): string {
  return iso(ms).slice(0, 13);
}

export function hourKeyOf(partition: HourPartition): string {
  return `${partition.dt}T${partition.hr}`;
}

export function hourStartMs(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

export function dayStartMs(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * Epoch ms of a UTC calendar time, or undefined when a component is out of range (Feb 30, hour 24).
 * setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
 */
function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number | undefined {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const exact =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return exact ? date.getTime() : undefined;
}

const HOUR_KEY = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DDTHH` (UTC); throws BadInputError on anything else, including Feb 30 or hour 24. */
export function parseHourKey(key: string): Hour {
  const m = HOUR_KEY.exec(key);
  const startMs = m ? utcMs(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])) : undefined;
  if (startMs === undefined) throw new BadInputError(`hour: expected YYYY-MM-DDTHH (UTC), got "${key}"`);
  return { key, ...hourOf(startMs), startMs };
}

/** Parses a day `YYYY-MM-DD` (UTC) into the instant it starts; throws BadInputError otherwise. */
export function parseDay(dt: string): number {
  const m = DAY.exec(dt);
  const startMs = m ? utcMs(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
  if (startMs === undefined) throw new BadInputError(`day: expected YYYY-MM-DD, got "${dt}"`);
  return startMs;
}

/** Every hour key from `from` to `to`, both included, in order. */
export function hourRange(from: string, to: string): string[] {
  const first = parseHourKey(from).startMs;
  const last = parseHourKey(to).startMs;
  if (last < first) throw new BadInputError(`hour range: ${to} is before ${from}`);
  const keys: string[] = [];
  for (let ms = first; ms <= last; ms += HOUR_MS) keys.push(hourKey(ms));
  return keys;
}

/** The 24 hour keys of a day. */
export function hoursOfDay(dt: string): string[] {
  const start = parseDay(dt);
  return Array.from({ length: 24 }, (_, h) => hourKey(start + h * HOUR_MS));
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * RFC 3339 date-time (section 5.6): `2026-11-22T05:41:00Z`, `2026-11-22t07:41:00.123+02:00`. The time
 * zone is required; seconds are required; a fraction is truncated to milliseconds; leap second 60 and
 * the space separator are refused. Returns epoch ms, or undefined when the text is not such a time.
 */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zulu, sign, offsetHours, offsetMinutes] = m;
  const ms = Number((fraction ?? '').padEnd(3, '0').slice(0, 3));
  const local = utcMs(Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(second), ms);
  if (local === undefined) return undefined;
  if (zulu !== undefined) return local;
  const oh = Number(offsetHours);
  const om = Number(offsetMinutes);
  if (oh > 23 || om > 59) return undefined;
  const offsetMs = (oh * HOUR_MS + om * MINUTE_MS) * (sign === '-' ? -1 : 1);
  return local - offsetMs;
}

/** RFC 3339 text of an instant with millisecond precision, in UTC (`Z`) or at a fixed offset. */
export function formatRfc3339(ms: number, offsetMinutes = 0): string {
  if (offsetMinutes === 0) return iso(ms);
  const local = iso(ms + offsetMinutes * MINUTE_MS).slice(0, 23);
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${offsetMinutes < 0 ? '-' : '+'}${hh}:${mm}`;
}
