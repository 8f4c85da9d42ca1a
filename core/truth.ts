/**
 * Ground truth: the Gold tables of CONTRACT §3 computed directly from accepted events, in memory.
 * `generate --truth` writes it, `verify` and the integration tests compare the lake with it, so this
 * is the executable statement of what Gold must contain.
 *
 * Counted events: the first received copy of each event_id (input order is receive order), and of
 * those, the ones not quarantined. The two steps commute for copies of one event, the only duplicates
 * the contract knows: a later copy has the same event_time and is at least as late on arrival.
 * Hours and days are the UTC hour and day of event_time. Rows are sorted by dt, hr, then the id.
 * What it is given is already judged: `generate --truth` judges what it sent with core/truthRules.ts,
 * rules of its own, never with the collector's validation it is meant to check.
 */
import { compareText } from './text';
import { hourOf } from './time';
import type { DeviceType, EventRecord } from '../schemas/eventRecord';

export interface CtrHourlyRow {
  readonly campaign_id: string;
  readonly impressions: number;
  readonly clicks: number;
  readonly ctr: number | null;
  readonly dt: string;
  readonly hr: string;
}

export interface CampaignDailyRow {
  readonly campaign_id: string;
  readonly impressions: number;
  readonly clicks: number;
  readonly ctr: number | null;
  readonly unique_users: number;
  readonly dt: string;
}

export interface DauDailyRow {
  readonly device_type: DeviceType | 'all';
  readonly dau: number;
  readonly dt: string;
}

export interface TitlePlaysDailyRow {
  readonly title_id: string;
  readonly plays: number;
  readonly unique_viewers: number;
  readonly dt: string;
}

export interface GoldTables {
  readonly ctr_hourly: CtrHourlyRow[];
  readonly campaign_daily: CampaignDailyRow[];
  readonly dau_daily: DauDailyRow[];
  readonly title_plays_daily: TitlePlaysDailyRow[];
}

export interface TruthStats {
  /** Events given. */
  readonly events: number;
  /** Later copies of an event_id already seen. */
  readonly duplicates: number;
  /** First copies that arrived later than the allowed lateness. */
  readonly quarantined: number;
  /** Events the Gold tables count. */
  readonly counted: number;
}

/** What the truth reads of an event (an EventRecord, or core/truthRules' JudgedEvent). */
export type CountableEvent = Pick<EventRecord, 'event_id' | 'event_type' | 'event_time' | 'user_id' | 'campaign_id' | 'title_id' | 'device_type' | 'quarantine_reason'>;

export interface Truth {
  readonly tables: GoldTables;
  readonly stats: TruthStats;
}

/** ctr = clicks / impressions, null without impressions (as Presto's division by NULLIF(impressions, 0)). */
export function ctrOf(clicks: number, impressions: number): number | null {
  return impressions === 0 ? null : clicks / impressions;
}

/** Deduplicates by event_id (first received wins), then drops quarantined events. */
export function countedEvents<E extends CountableEvent>(accepted: readonly E[]): { counted: E[]; stats: TruthStats } {
  const seen = new Set<string>();
  const counted: E[] = [];
  let duplicates = 0;
  let quarantined = 0;
  for (const event of accepted) {
    if (seen.has(event.event_id)) {
      duplicates++;
      continue;
    }
    seen.add(event.event_id);
    if (event.quarantine_reason !== null) quarantined++;
    else counted.push(event);
  }
  return { counted, stats: { events: accepted.length, duplicates, quarantined, counted: counted.length } };
}

/** Counts and distinct users of one group. */
interface Tally {
  impressions: number;
  clicks: number;
  plays: number;
  readonly users: Set<string>;
}

/** Groups keyed by a tuple of strings; JSON text of the tuple is an unambiguous map key. */
class Groups<K extends readonly string[]> {
  private readonly map = new Map<string, { key: K; tally: Tally }>();

  at(key: K): Tally {
    const id = JSON.stringify(key);
    let entry = this.map.get(id);
    if (entry === undefined) {
      entry = { key, tally: { impressions: 0, clicks: 0, plays: 0, users: new Set() } };
      this.map.set(id, entry);
    }
    return entry.tally;
  }

  /** Entries sorted by their key tuple, element by element. */
  sorted(): Array<{ key: K; tally: Tally }> {
    return [...this.map.values()].sort((a, b) => compareTuples(a.key, b.key));
  }
}

function compareTuples(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const order = compareText(a[i] ?? '', b[i] ?? '');
    if (order !== 0) return order;
  }
  return 0;
}

/** The four Gold tables of already counted events (see countedEvents). */
export function computeGoldTables(counted: readonly CountableEvent[]): GoldTables {
  const hourly = new Groups<[dt: string, hr: string, campaign: string]>();
  const daily = new Groups<[dt: string, campaign: string]>();
  const dau = new Groups<[dt: string, device: DeviceType | 'all']>();
  const titles = new Groups<[dt: string, title: string]>();

  for (const event of counted) {
    const { dt, hr } = hourOf(event.event_time);
    dau.at([dt, event.device_type ?? 'other']).users.add(event.user_id);
    dau.at([dt, 'all']).users.add(event.user_id);

    const isImpression = event.event_type === 'ad_impression';
    if ((isImpression || event.event_type === 'ad_click') && event.campaign_id !== null) {
      for (const tally of [hourly.at([dt, hr, event.campaign_id]), daily.at([dt, event.campaign_id])]) {
        if (isImpression) tally.impressions++;
        else tally.clicks++;
        tally.users.add(event.user_id);
      }
    }
    if (event.event_type === 'video_play' && event.title_id !== null) {
      const tally = titles.at([dt, event.title_id]);
      tally.plays++;
      tally.users.add(event.user_id);
    }
  }

  return {
    ctr_hourly: hourly.sorted().map(({ key: [dt, hr, campaign_id], tally: { impressions, clicks } }) => ({
      campaign_id,
      impressions,
      clicks,
      ctr: ctrOf(clicks, impressions),
      dt,
      hr,
    })),
    campaign_daily: daily.sorted().map(({ key: [dt, campaign_id], tally: { impressions, clicks, users } }) => ({
      campaign_id,
      impressions,
      clicks,
      ctr: ctrOf(clicks, impressions),
      unique_users: users.size,
      dt,
    })),
    dau_daily: dau.sorted().map(({ key: [dt, device_type], tally: { users } }) => ({ device_type, dau: users.size, dt })),
    title_plays_daily: titles.sorted().map(({ key: [dt, title_id], tally: { plays, users } }) => ({
      title_id,
      plays,
      unique_viewers: users.size,
      dt,
    })),
  };
}

/** Ground truth of accepted events in receive order. */
export function computeTruth(accepted: readonly CountableEvent[]): Truth {
  const { counted, stats } = countedEvents(accepted);
  return { tables: computeGoldTables(counted), stats };
}
