/**
 * The metrics router of the serving API (CONTRACT §2b `GET /v1/metrics/ctr`): which source answers
 * each bucket, and the buckets assembled from what the sources gave. Pure; workers/api/metrics.ts
 * gathers the facts (published hours from the audit ledger, Gold rows, Redis minutes, Silver).
 *
 * Each event hour is answered by exactly one source, so a range that stitches Gold and real-time
 * at an hour boundary counts every event once: a published hour from Gold (`ctr_hourly`, or Silver
 * at minute grain, the only table finer than an hour), an hour not promoted yet from the real-time
 * minutes in Redis (`provisional`). A day is one row of `campaign_daily` when that day's Gold was
 * published after every one of its hours (the same rule as `status`), else the sum of its hours.
 *
 * An hour is published for the router only when it was published after it ended: an early manual
 * run misses the rest of the hour, so until a later run the open hour stays with Redis.
 *
 * State of a bucket: `provisional` for real-time counts, and for a published hour whose numbers
 * may still move (within `finalAfterHours` of its end, as `status` says for days); `restated` for
 * one whose partition has been published more than once (`restated_at` says when last); `final`
 * otherwise.
 */
import { BadInputError } from './errors';
import { DAY_MS, HOUR_MS, MINUTE_MS, dayOf, hourKey, parseDay, parseHourKey } from './time';

export type Granularity = 'minute' | 'hour' | 'day';
export const GRANULARITIES: readonly Granularity[] = ['minute', 'hour', 'day'];
export type BucketSource = 'gold' | 'realtime' | 'silver' | 'cache';
export type BucketState = 'final' | 'provisional' | 'restated';

/** At most this many buckets in one answer (a month of hours, two days of minutes, years of days). */
export const MAX_BUCKETS: Readonly<Record<Granularity, number>> = { minute: 2 * 24 * 60, hour: 31 * 24, day: 3 * 366 };

/**
 * A published hour: the version readers see (the metastore), and as the audit ledger says how many
 * times it was published and when last (null when the ledger has no row of it).
 */
export interface PublishedHour {
  readonly version: string;
  readonly publishedRuns: number;
  readonly lastPublishedMs: number | null;
}

/** A published day of the daily Gold table answering day buckets. */
export interface PublishedDay {
  readonly version: string;
  readonly publishedAtMs: number;
}

export interface HourPlan {
  readonly hour: string;
  readonly source: 'gold' | 'realtime';
  readonly version: string | null;
  readonly state: BucketState;
  readonly restated_at?: string;
}

export interface MetricsRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** `YYYY-MM-DDTHH` or RFC 3339 (with Z or an offset) to epoch ms; the field is named in the error. */
export function parseInstant(value: unknown, field: string): number {
  if (typeof value !== 'string' || value === '') throw new BadInputError(`${field}: required (RFC 3339 or YYYY-MM-DDTHH)`);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}$/.test(value)) return parseHourKey(value).startMs;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return parseDay(value);
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
  const ms = rfc3339.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new BadInputError(`${field}: must be RFC 3339 (2026-11-22T05:00:00Z) or YYYY-MM-DDTHH, got ${JSON.stringify(value)}`);
  return ms;
}

export function parseGranularity(value: unknown, fallback: Granularity = 'hour'): Granularity {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !(GRANULARITIES as readonly string[]).includes(value)) throw new BadInputError(`granularity: must be one of ${GRANULARITIES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as Granularity;
}

function stepOf(granularity: Granularity): number {
  return granularity === 'minute' ? MINUTE_MS : granularity === 'hour' ? HOUR_MS : DAY_MS;
}

/** The range, its ends aligned down to the grain (`to` exclusive), checked and bounded. */
export function checkRange(fromMs: number, toMs: number, granularity: Granularity): MetricsRange {
  const step = stepOf(granularity);
  const from = Math.floor(fromMs / step) * step;
  const to = Math.ceil(toMs / step) * step;
  if (to <= from) throw new BadInputError('to: must be after from');
  const buckets = (to - from) / step;
  if (buckets > MAX_BUCKETS[granularity]) throw new BadInputError(`to: at most ${MAX_BUCKETS[granularity]} ${granularity} buckets in one request, asked for ${buckets}`);
  return { fromMs: from, toMs: to };
}

/** Every event hour the range touches. */
export function hoursOf(range: MetricsRange): string[] {
  const out: string[] = [];
  for (let t = Math.floor(range.fromMs / HOUR_MS) * HOUR_MS; t < range.toMs; t += HOUR_MS) out.push(hourKey(t));
  return out;
}

/** Where each hour is answered from, and in what state. */
export function planHours(hours: readonly string[], published: ReadonlyMap<string, PublishedHour>, nowMs: number, finalAfterHours: number): HourPlan[] {
  return hours.map((hour) => {
    const p = published.get(hour);
    const endMs = parseHourKey(hour).startMs + HOUR_MS;
    // Published before the hour was over (a manual early run): Gold misses the rest of the hour.
    if (p === undefined || endMs > nowMs || (p.lastPublishedMs !== null && p.lastPublishedMs < endMs)) return { hour, source: 'realtime', version: null, state: 'provisional' };
    if (p.publishedRuns > 1 && p.lastPublishedMs !== null) return { hour, source: 'gold', version: p.version, state: 'restated', restated_at: new Date(p.lastPublishedMs).toISOString() };
    const settled = nowMs >= endMs + finalAfterHours * HOUR_MS;
    return { hour, source: 'gold', version: p.version, state: settled ? 'final' : 'provisional' };
  });
}

export interface Counts {
  readonly impressions: number;
  readonly clicks: number;
}

export interface CtrBucket {
  readonly start: string;
  readonly impressions: number;
  readonly clicks: number;
  readonly ctr: number | null;
  readonly source: BucketSource;
  readonly version: string | null;
  readonly state: BucketState;
  readonly restated_at?: string;
  /** A day summed from its hours: how many hours each source answered. */
  readonly parts?: Partial<Record<'gold' | 'realtime', number>>;
}

/** What the sources gave, keyed by bucket start (epoch ms): absent means no events. */
export interface CtrSourceCounts {
  /** Gold ctr_hourly by hour start (published hours). */
  readonly goldHours: ReadonlyMap<number, Counts>;
  /** Redis minutes by minute start (hours not published). */
  readonly realtimeMinutes: ReadonlyMap<number, Counts>;
  /** Silver by minute start (published hours, minute grain only). */
  readonly silverMinutes: ReadonlyMap<number, Counts>;
  /** campaign_daily by day start, for the days in `daysFromGold`. */
  readonly goldDays: ReadonlyMap<number, Counts>;
}

export function ctrOf(c: Counts): number | null {
  return c.impressions === 0 ? null : c.clicks / c.impressions;
}

const ZERO: Counts = { impressions: 0, clicks: 0 };

function add(a: Counts, b: Counts): Counts {
  return { impressions: a.impressions + b.impressions, clicks: a.clicks + b.clicks };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * The days answered by one `campaign_daily` row: the day lies whole in the range, every hour of it
 * is published, and the day's Gold was published after every one of them.
 */
export function daysFromGold(range: MetricsRange, plans: readonly HourPlan[], published: ReadonlyMap<string, PublishedHour>, days: ReadonlyMap<string, PublishedDay>): Set<string> {
  const out = new Set<string>();
  for (let t = range.fromMs; t + DAY_MS <= range.toMs; t += DAY_MS) {
    const dt = dayOf(t);
    const day = days.get(dt);
    if (day === undefined) continue;
    const hours = plans.filter((p) => parseHourKey(p.hour).dt === dt);
    if (hours.length !== 24 || hours.some((h) => h.source !== 'gold')) continue;
    if (hours.every((h) => (published.get(h.hour)?.lastPublishedMs ?? Infinity) <= day.publishedAtMs)) out.add(dt);
  }
  return out;
}

/** Minutes of a range at minute grain, from Silver or Redis by the plan of their hour. */
function minuteBuckets(range: MetricsRange, plans: ReadonlyMap<string, HourPlan>, counts: CtrSourceCounts): CtrBucket[] {
  const out: CtrBucket[] = [];
  for (let t = range.fromMs; t < range.toMs; t += MINUTE_MS) {
    const plan = plans.get(hourKey(t)) as HourPlan;
    const c = (plan.source === 'gold' ? counts.silverMinutes : counts.realtimeMinutes).get(t) ?? ZERO;
    out.push({ start: iso(t), ...c, ctr: ctrOf(c), source: plan.source === 'gold' ? 'silver' : 'realtime', version: plan.version, state: plan.state, ...(plan.restated_at ? { restated_at: plan.restated_at } : {}) });
  }
  return out;
}

/** One hour from its source. */
function hourCounts(plan: HourPlan, startMs: number, counts: CtrSourceCounts): Counts {
  if (plan.source === 'gold') return counts.goldHours.get(startMs) ?? ZERO;
  let c = ZERO;
  for (let m = startMs; m < startMs + HOUR_MS; m += MINUTE_MS) c = add(c, counts.realtimeMinutes.get(m) ?? ZERO);
  return c;
}

const STATE_RANK: Readonly<Record<BucketState, number>> = { final: 0, restated: 1, provisional: 2 };

/** The buckets of the answer, each from its one source. */
export function assembleCtr(range: MetricsRange, granularity: Granularity, plans: readonly HourPlan[], counts: CtrSourceCounts, goldDays: ReadonlyMap<string, PublishedDay> = new Map(), dayFromGold: ReadonlySet<string> = new Set()): CtrBucket[] {
  const byHour = new Map(plans.map((p) => [p.hour, p]));
  if (granularity === 'minute') return minuteBuckets(range, byHour, counts);
  const hourBucket = (t: number): CtrBucket => {
    const plan = byHour.get(hourKey(t)) as HourPlan;
    const c = hourCounts(plan, t, counts);
    return { start: iso(t), ...c, ctr: ctrOf(c), source: plan.source, version: plan.version, state: plan.state, ...(plan.restated_at ? { restated_at: plan.restated_at } : {}) };
  };
  if (granularity === 'hour') {
    const out: CtrBucket[] = [];
    for (let t = range.fromMs; t < range.toMs; t += HOUR_MS) out.push(hourBucket(t));
    return out;
  }
  const out: CtrBucket[] = [];
  for (let t = range.fromMs; t < range.toMs; t += DAY_MS) {
    const dt = dayOf(t);
    const hours = plans.filter((p) => parseHourKey(p.hour).dt === dt);
    if (dayFromGold.has(dt)) {
      const c = counts.goldDays.get(t) ?? ZERO;
      const worst = hours.reduce<BucketState>((s, h) => (STATE_RANK[h.state] > STATE_RANK[s] ? h.state : s), 'final');
      out.push({ start: iso(t), ...c, ctr: ctrOf(c), source: 'gold', version: goldDays.get(dt)?.version ?? null, state: worst });
      continue;
    }
    let c = ZERO;
    const parts: Partial<Record<'gold' | 'realtime', number>> = {};
    let state: BucketState = 'final';
    for (const h of hours) {
      c = add(c, hourCounts(h, parseHourKey(h.hour).startMs, counts));
      parts[h.source] = (parts[h.source] ?? 0) + 1;
      if (STATE_RANK[h.state] > STATE_RANK[state]) state = h.state;
    }
    const source: BucketSource = parts.realtime ? 'realtime' : 'gold';
    out.push({ start: iso(t), ...c, ctr: ctrOf(c), source, version: null, state, parts });
  }
  return out;
}

/** Why the buckets came from where they did, in one sentence for `route.reason`. */
export function ctrRouteReason(granularity: Granularity, plans: readonly HourPlan[], dayFromGold: ReadonlySet<string>): string {
  const gold = plans.filter((p) => p.source === 'gold').length;
  const live = plans.length - gold;
  const parts: string[] = [];
  if (gold > 0) parts.push(`${gold} published hour(s) from ${granularity === 'minute' ? 'lake.silver.events (no summary holds minutes)' : 'lake.gold.ctr_hourly'}`);
  if (live > 0) parts.push(`${live} hour(s) not promoted yet from the real-time minutes in Redis (provisional)`);
  if (granularity === 'day') {
    parts.push(dayFromGold.size > 0 ? `${dayFromGold.size} whole published day(s) from lake.gold.campaign_daily` : 'no day is whole and published after its hours: days summed from hours');
  }
  return `${parts.join('; ')}; each hour is read from one source only`;
}

// ---------------------------------------------------------------------------------------------
// Day-grain metrics of distinct users (DAU, title plays): a day is one Gold row or nothing, since
// distinct counts do not add up over hours; a day without a current summary is read from Silver.

export interface DayPlan {
  readonly dt: string;
  readonly source: 'gold' | 'silver';
  readonly version: string | null;
  readonly state: BucketState;
}

/** The days from `fromMs` to `toMs` (day-aligned by checkRange), each from its summary when current. */
export function planDays(range: MetricsRange, days: ReadonlyMap<string, PublishedDay>, lastHourPublishMs: ReadonlyMap<string, number>, nowMs: number, finalAfterHours: number): DayPlan[] {
  const out: DayPlan[] = [];
  for (let t = range.fromMs; t < range.toMs; t += DAY_MS) {
    const dt = dayOf(t);
    const day = days.get(dt);
    const ended = nowMs >= t + DAY_MS;
    // Current: the day is over and its summary was switched after the last of its hours was.
    if (day !== undefined && ended && day.publishedAtMs >= (lastHourPublishMs.get(dt) ?? 0)) {
      out.push({ dt, source: 'gold', version: day.version, state: nowMs >= t + DAY_MS + finalAfterHours * HOUR_MS ? 'final' : 'provisional' });
    } else out.push({ dt, source: 'silver', version: null, state: 'provisional' });
  }
  return out;
}

export function dayRouteReason(table: string, plans: readonly DayPlan[], masked: boolean): string {
  const gold = plans.filter((p) => p.source === 'gold').length;
  const silver = plans.length - gold;
  const parts: string[] = [];
  if (gold > 0) parts.push(`${gold} day(s) from ${table}`);
  if (silver > 0) {
    parts.push(
      masked
        ? `${silver} day(s) without a current summary: their distinct users need user_key, which this role does not read (values null)`
        : `${silver} day(s) without a current summary (not over, or an hour published after it) from lake.silver.events over the hours published so far (provisional)`,
    );
  }
  return parts.join('; ');
}
