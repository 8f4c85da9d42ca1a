/**
 * Real-time CTR: what the always-on consumer (activities/ctr.ts) counts, where it keeps the counts in
 * Redis, the arguments of its atomic apply script (core/ctrScript.ts), and the read side of
 * GET /v1/ctr/realtime (CONTRACT §2). Pure: every instant is an argument, never "now".
 *
 * What is counted, as in Gold (core/truth.ts): `ad_impression` and `ad_click` events that name a
 * campaign and are not quarantined, each event_id once, in the UTC minute of its event_time.
 *
 * Redis keyspace (`<p>` is the configured prefix, default `ctr`; one Redis, no cluster):
 * - `<p>:m:<yyyymmddhhmm>` a hash per event-time minute, fields `i:<campaign_id>` (impressions) and
 *   `c:<campaign_id>` (clicks); it expires `retention` after the minute ends. One hash per minute
 *   rather than one per (campaign, minute): a campaign's window is N HMGETs, an hour of every
 *   campaign (the drift check with Gold) is 60 HGETALLs, and no index of campaigns is needed.
 * - `<p>:offset:<topic>:<partition>` the last offset applied from that partition (no expiry). Not
 *   keyed by consumer group: the offsets belong to the counts they produced, so a renamed group
 *   resumes where the counts are instead of counting the topic again.
 * - `<p>:seen:<event_id>` a dedup mark, set with NX and an expiry of the dedup horizon.
 *
 * Dedup horizon and memory: a mark lives `dedupSeconds` (default 10 min), so Redis holds about
 * (counted ad events per second) x horizon marks of ~150 bytes each (measured: used_memory over 200,000
 * marks with 36-character ids; key, dictionary and expiry entries): at 1,000 ad events/s and 10 min,
 * 600,000 marks, ~90 MB; the bound scales linearly with the rate and the horizon. Only ad events get
 * marks. Duplicates of an event_id share the user_id key, so they land in the same
 * partition, in order; a copy re-sent after the horizon is counted again (Gold still counts it
 * once; the hourly drift check shows such a difference).
 */
import { BadInputError } from './errors';
import type { ClicklakeConfig } from './config';
import { compareText } from './text';
import { HOUR_MS, MINUTE_MS, parseHourKey } from './time';
import { ctrOf } from './truth';
import type { EventRecord } from '../schemas/eventRecord';

/** The fields of an event the CTR consumer reads (it decodes nothing else). */
export type CtrEventFields = Pick<EventRecord, 'event_id' | 'event_type' | 'event_time' | 'campaign_id' | 'quarantine_reason'>;

export const CTR_EVENT_FIELDS: readonly (keyof CtrEventFields)[] = ['event_id', 'event_type', 'event_time', 'campaign_id', 'quarantine_reason'];

/** The consumer's settings, from the config. */
export interface CtrSettings {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly group: string;
  readonly keyPrefix: string;
  readonly retentionMs: number;
  readonly dedupSeconds: number;
}

export function ctrSettings(config: Pick<ClicklakeConfig, 'kafka' | 'ctr'>): CtrSettings {
  return {
    topic: config.kafka.eventsTopic,
    deadLetterTopic: config.kafka.deadLetterTopic,
    group: config.ctr.group,
    keyPrefix: config.ctr.keyPrefix,
    retentionMs: config.ctr.retentionHours * HOUR_MS,
    dedupSeconds: config.ctr.dedupMinutes * 60,
  };
}

export const DEFAULT_CTR_KEY_PREFIX = 'ctr';

// ---------------------------------------------------------------------------------------------
// Minutes

/** Minutes since the epoch of an instant (its UTC minute). */
export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

function minuteIso(minute: number): string {
  const ms = minute * MINUTE_MS;
  if (!Number.isFinite(ms)) throw new RangeError(`not a minute: ${minute}`);
  return new Date(ms).toISOString();
}

/** `yyyymmddhhmm` of a minute, the suffix of its bucket key. */
export function minuteStamp(minute: number): string {
  const iso = minuteIso(minute);
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

/** `YYYY-MM-DDTHH:MM:00Z`, the `minute` of a bucket in the API. */
export function minuteLabel(minute: number): string {
  return `${minuteIso(minute).slice(0, 16)}:00Z`;
}

/** Unix seconds at which a minute's bucket expires: `retentionMs` after the minute ends. */
export function bucketExpiresAtSec(minute: number, retentionMs: number): number {
  return Math.ceil(((minute + 1) * MINUTE_MS + retentionMs) / 1000);
}

// ---------------------------------------------------------------------------------------------
// Keys

export function bucketKey(prefix: string, minute: number): string {
  return `${prefix}:m:${minuteStamp(minute)}`;
}

export function offsetKey(prefix: string, topic: string, partition: number): string {
  return `${prefix}:offset:${topic}:${partition}`;
}

export function seenKey(prefix: string, eventId: string): string {
  return `${prefix}:seen:${eventId}`;
}

export type CtrCounter = 'impressions' | 'clicks';

/** Hash field of a campaign's counter in a minute bucket. */
export function counterField(counter: CtrCounter, campaignId: string): string {
  return `${counter === 'impressions' ? 'i' : 'c'}:${campaignId}`;
}

// ---------------------------------------------------------------------------------------------
// What an event adds

export interface CtrContribution {
  readonly campaignId: string;
  readonly minute: number;
  readonly counter: CtrCounter;
}

/** What an event adds to the counts, or undefined when CTR does not count it. */
export function ctrContribution(event: CtrEventFields): CtrContribution | undefined {
  if (event.campaign_id === null || event.quarantine_reason !== null) return undefined;
  if (event.event_type === 'ad_impression') return { campaignId: event.campaign_id, minute: minuteOf(event.event_time), counter: 'impressions' };
  if (event.event_type === 'ad_click') return { campaignId: event.campaign_id, minute: minuteOf(event.event_time), counter: 'clicks' };
  return undefined;
}

export interface CtrDelta {
  readonly campaign_id: string;
  readonly minute: string;
  readonly impressions: number;
  readonly clicks: number;
}

/**
 * The counts a set of events adds, each event_id once (first copy wins): the in-memory statement of
 * what the consumer must leave in Redis. Sorted by minute, then campaign.
 */
export function aggregateCtr(events: Iterable<CtrEventFields>): CtrDelta[] {
  const seen = new Set<string>();
  const groups = new Map<string, { campaign_id: string; minute: number; impressions: number; clicks: number }>();
  for (const event of events) {
    const add = ctrContribution(event);
    if (add === undefined || seen.has(event.event_id)) continue;
    seen.add(event.event_id);
    const id = `${add.minute}\n${add.campaignId}`;
    let group = groups.get(id);
    if (group === undefined) {
      group = { campaign_id: add.campaignId, minute: add.minute, impressions: 0, clicks: 0 };
      groups.set(id, group);
    }
    group[add.counter]++;
  }
  return [...groups.values()]
    .sort((a, b) => a.minute - b.minute || compareText(a.campaign_id, b.campaign_id))
    .map((g) => ({ campaign_id: g.campaign_id, minute: minuteLabel(g.minute), impressions: g.impressions, clicks: g.clicks }));
}

// ---------------------------------------------------------------------------------------------
// The apply plan of one partition batch

/** A record of a partition batch: its offset and its event, or null when it counts nothing. */
export interface CtrRecord {
  readonly offset: number;
  readonly event: CtrEventFields | null;
}

/**
 * What one run of the apply script does, computed in TS so the script only loops: the offset range
 * it covers (every record of the range, counted or not), the minute buckets it touches, the
 * counters (bucket, hash field) and, per counted event, its dedup key and counter.
 */
export interface CtrApplyPlan {
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly buckets: ReadonlyArray<{ readonly key: string; readonly expiresAtSec: number }>;
  /** Index into `buckets`, and hash field. */
  readonly counters: ReadonlyArray<{ readonly bucket: number; readonly field: string }>;
  readonly seenKeys: readonly string[];
  /** Index into `counters` of each entry of `seenKeys`. */
  readonly counterOf: readonly number[];
  /** Countable events left out because their bucket is already past retention. */
  readonly expired: number;
}

export interface CtrPlanOptions {
  readonly prefix: string;
  readonly nowMs: number;
  readonly retentionMs: number;
  /** Leave out records at or below this offset (already applied). */
  readonly afterOffset?: number;
}

/** The plan of the records after `afterOffset`, or undefined when none is left. Records are in offset order. */
export function planCtrApply(records: readonly CtrRecord[], options: CtrPlanOptions): CtrApplyPlan | undefined {
  const after = options.afterOffset ?? -1;
  let start = 0;
  while (start < records.length && (records[start] as CtrRecord).offset <= after) start++;
  if (start === records.length) return undefined;

  // Minutes whose bucket expires by now are not counted: the bucket would vanish at once.
  const oldestMinute = minuteOf(options.nowMs - options.retentionMs);
  const buckets: Array<{ key: string; expiresAtSec: number }> = [];
  const counters: Array<{ bucket: number; field: string }> = [];
  // minute -> campaign -> [impressions counter, clicks counter] (-1 until used)
  const index = new Map<number, { bucket: number; campaigns: Map<string, [number, number]> }>();
  const seenKeys: string[] = [];
  const counterOf: number[] = [];
  let expired = 0;

  for (let i = start; i < records.length; i++) {
    const event = (records[i] as CtrRecord).event;
    if (event === null) continue;
    const add = ctrContribution(event);
    if (add === undefined) continue;
    if (add.minute < oldestMinute) {
      expired++;
      continue;
    }
    let minute = index.get(add.minute);
    if (minute === undefined) {
      minute = { bucket: buckets.length, campaigns: new Map() };
      buckets.push({ key: bucketKey(options.prefix, add.minute), expiresAtSec: bucketExpiresAtSec(add.minute, options.retentionMs) });
      index.set(add.minute, minute);
    }
    let pair = minute.campaigns.get(add.campaignId);
    if (pair === undefined) {
      pair = [-1, -1];
      minute.campaigns.set(add.campaignId, pair);
    }
    const slot = add.counter === 'impressions' ? 0 : 1;
    let counter = pair[slot];
    if (counter === -1) {
      counter = counters.length;
      counters.push({ bucket: minute.bucket, field: counterField(add.counter, add.campaignId) });
      pair[slot] = counter;
    }
    seenKeys.push(seenKey(options.prefix, event.event_id));
    counterOf.push(counter);
  }
  return {
    firstOffset: (records[start] as CtrRecord).offset,
    lastOffset: (records[records.length - 1] as CtrRecord).offset,
    buckets,
    counters,
    seenKeys,
    counterOf,
    expired,
  };
}

export interface CtrScriptCall {
  readonly keys: readonly [offsetKey: string];
  readonly args: string[];
}

/**
 * KEYS and ARGV of the apply script (core/ctrScript.ts documents the layout). `floor`: the earliest
 * offset the partition still has; a batch starting there is no gap even if the stored offset is older.
 */
export function ctrScriptCall(plan: CtrApplyPlan, options: { offsetKey: string; dedupSeconds: number; floor: number }): CtrScriptCall {
  const args: string[] = [
    String(plan.firstOffset),
    String(plan.lastOffset),
    String(options.floor),
    String(options.dedupSeconds),
    String(plan.buckets.length),
    String(plan.counters.length),
  ];
  for (const b of plan.buckets) args.push(b.key, String(b.expiresAtSec));
  for (const c of plan.counters) args.push(String(c.bucket + 1), c.field);
  for (let i = 0; i < plan.seenKeys.length; i++) args.push(plan.seenKeys[i] as string, String((plan.counterOf[i] as number) + 1));
  return { keys: [options.offsetKey], args };
}

/** What the apply script did. */
export type CtrApplyOutcome =
  | { readonly kind: 'applied'; readonly counted: number; readonly duplicates: number }
  /** The stored offset is at or past the batch's first offset: re-plan the records after it. */
  | { readonly kind: 'overlap'; readonly stored: number }
  /** Records between the stored offset and the batch are missing: read again from stored + 1. */
  | { readonly kind: 'gap'; readonly stored: number };

export function parseApplyReply(reply: unknown): CtrApplyOutcome {
  if (Array.isArray(reply) && reply.length === 3 && reply.every((v) => typeof v === 'number')) {
    const [status, a, b] = reply as [number, number, number];
    if (status === 1) return { kind: 'applied', counted: a, duplicates: b };
    if (status === 0) return { kind: 'overlap', stored: a };
    if (status === 2) return { kind: 'gap', stored: a };
  }
  throw new Error(`ctr apply script: unexpected reply ${JSON.stringify(reply)}`);
}

// ---------------------------------------------------------------------------------------------
// Read side

export interface CtrBucket {
  readonly minute: string;
  readonly impressions: number;
  readonly clicks: number;
  readonly ctr: number | null;
}

/** The body of GET /v1/ctr/realtime (CONTRACT §2). */
export interface RealtimeCtr {
  readonly campaign_id: string;
  readonly as_of: string;
  readonly buckets: CtrBucket[];
}

export const DEFAULT_REALTIME_MINUTES = 60;
/** Longest window one read may ask for: the default retention. */
export const MAX_REALTIME_MINUTES = 48 * 60;

/**
 * The minutes of a read window, ascending: the last `minutes` whole or current minutes up to and
 * including the minute of `nowMs`. Throws BadInputError on a window outside 1..MAX_REALTIME_MINUTES.
 */
export function realtimeMinutes(nowMs: number, minutes: number): number[] {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_REALTIME_MINUTES) {
    throw new BadInputError(`minutes: must be a whole number from 1 to ${MAX_REALTIME_MINUTES}, got ${minutes}`);
  }
  const last = minuteOf(nowMs);
  return Array.from({ length: minutes }, (_, i) => last - minutes + 1 + i);
}

function count(value: string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/**
 * The API body from the counters read for each minute of the window ([impressions, clicks] as Redis
 * returns them, null when absent). Zero-filled: every minute of the window is there, ascending, so a
 * dashboard draws a continuous series; a minute without impressions has ctr null.
 */
export function realtimeCtrBody(
  campaignId: string,
  nowMs: number,
  minutes: readonly number[],
  counts: ReadonlyArray<readonly [string | null | undefined, string | null | undefined]>,
): RealtimeCtr {
  return {
    campaign_id: campaignId,
    as_of: new Date(nowMs).toISOString(),
    buckets: minutes.map((minute, i) => {
      const [imp, clk] = counts[i] ?? [null, null];
      const impressions = count(imp);
      const clicks = count(clk);
      return { minute: minuteLabel(minute), impressions, clicks, ctr: ctrOf(clicks, impressions) };
    }),
  };
}

/** The 60 minutes of an hour key `YYYY-MM-DDTHH`. */
export function minutesOfHour(hourKey: string): number[] {
  const first = minuteOf(parseHourKey(hourKey).startMs);
  return Array.from({ length: HOUR_MS / MINUTE_MS }, (_, i) => first + i);
}

export interface CampaignCounts {
  readonly campaign_id: string;
  readonly impressions: number;
  readonly clicks: number;
}

/** Per-campaign sums of minute buckets (hash fields as HGETALL returns them), sorted by campaign. */
export function sumBuckets(buckets: ReadonlyArray<Readonly<Record<string, string>>>): CampaignCounts[] {
  const totals = new Map<string, { impressions: number; clicks: number }>();
  for (const bucket of buckets) {
    for (const [field, value] of Object.entries(bucket)) {
      const kind = field.slice(0, 2);
      if (kind !== 'i:' && kind !== 'c:') continue;
      const campaign = field.slice(2);
      let total = totals.get(campaign);
      if (total === undefined) {
        total = { impressions: 0, clicks: 0 };
        totals.set(campaign, total);
      }
      if (kind === 'i:') total.impressions += count(value);
      else total.clicks += count(value);
    }
  }
  return [...totals.entries()].sort(([a], [b]) => compareText(a, b)).map(([campaign_id, t]) => ({ campaign_id, ...t }));
}
