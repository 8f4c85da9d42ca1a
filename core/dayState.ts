/**
 * The state of each dataset of `clicklake status --json` (CONTRACT §4 `datasets`): per hour
 * `silver.events` and `gold.ctr_hourly` (published together), per day the three daily Gold tables.
 * Pure: workers/status.ts gathers the facts (core/freshness.ts's hour state, the hour's staleness
 * from activities/staleness.ts, when each partition was published), this decides.
 *
 * Precedence RUNNING > FAILED > STALE > READY; LATE as core/freshness.ts decides it (past its grace,
 * never promoted). An hour is STALE when Bronze holds events its published version did not count.
 * A day is STALE when one of its hours is, or was published after the day's Gold was; READY when its
 * Gold was published after every published hour; `final` once `finalAfterHours` passed since the
 * day's end (a later change is still applied and recorded: final says when numbers are expected to
 * stop moving, not that they cannot).
 */
import type { HourFreshness, HourState } from './freshness';
import { DAY_MS, HOUR_MS, parseDay, parseHourKey } from './time';

export type DatasetState = HourState | 'STALE';
export type HourlyDataset = 'silver.events' | 'gold.ctr_hourly';
export type DailyDataset = 'gold.campaign_daily' | 'gold.dau_daily' | 'gold.title_plays_daily';
export const HOURLY_DATASETS: readonly HourlyDataset[] = ['silver.events', 'gold.ctr_hourly'];
export const DAILY_DATASETS: readonly DailyDataset[] = ['gold.campaign_daily', 'gold.dau_daily', 'gold.title_plays_daily'];

export interface DatasetStatus {
  readonly dataset: HourlyDataset | DailyDataset;
  readonly dt: string;
  /** Hourly datasets only. */
  readonly hr?: string;
  readonly state: DatasetState;
  readonly version: string | null;
  /** Bronze events the published version did not count (for a day: its hours'), else 0. */
  readonly waiting_events: number;
  readonly error: string | null;
  /** Daily datasets only: past the finality horizon. */
  readonly final?: boolean;
}

/** What activities/staleness.ts hourStaleness says of the hour's published version. */
export type HourStaleness =
  | { readonly state: 'unpublished' | 'fresh'; readonly version: string | null }
  | { readonly state: 'stale'; readonly waiting_events: number; readonly version: string | null };

/** The state of an hour's datasets: its freshness state, STALE over READY when Bronze holds events it missed. */
export function hourDatasets(fresh: HourFreshness, staleness: HourStaleness | null): DatasetStatus[] {
  const stale = fresh.state === 'READY' && staleness?.state === 'stale';
  const { dt, hr } = parseHourKey(fresh.hour);
  return HOURLY_DATASETS.map((dataset) => ({
    dataset,
    dt,
    hr,
    state: stale ? 'STALE' : fresh.state,
    version: staleness?.version ?? fresh.version,
    waiting_events: staleness?.state === 'stale' ? staleness.waiting_events : 0,
    error: fresh.error,
  }));
}

/** What is known about one day. */
export interface DayFacts {
  readonly dt: string;
  /** The published version of each daily table and when it was switched to it (epoch ms); absent when never published. */
  readonly gold: Readonly<Partial<Record<DailyDataset, { readonly version: string; readonly publishedAtMs: number }>>>;
  /** The day's hours that are listed, with their state and when their latest run published (epoch ms). */
  readonly hours: ReadonlyArray<{ readonly state: DatasetState; readonly publishedAtMs: number | null; readonly waiting_events: number }>;
  /** A promote-day run of the day is running now. */
  readonly running: boolean;
  /** Why the latest promote-day run failed, when it failed after the Gold it published. */
  readonly failed: string | null;
}

/** The daily datasets of a day, or none when nothing of the day is published or due. */
export function dayDatasets(facts: DayFacts, nowMs: number, finalAfterHours: number): DatasetStatus[] {
  const final = nowMs >= parseDay(facts.dt) + DAY_MS + finalAfterHours * HOUR_MS;
  const published = facts.hours.filter((h) => h.publishedAtMs !== null);
  const hourStale = facts.hours.some((h) => h.state === 'STALE');
  const waiting = facts.hours.reduce((sum, h) => sum + h.waiting_events, 0);
  return DAILY_DATASETS.flatMap((dataset) => {
    const gold = facts.gold[dataset];
    if (gold === undefined && published.length === 0 && !facts.running && facts.failed === null) return [];
    const behind = gold === undefined || published.some((h) => (h.publishedAtMs as number) > gold.publishedAtMs);
    let state: DatasetState;
    if (facts.running) state = 'RUNNING';
    else if (facts.failed !== null) state = 'FAILED';
    else if (gold === undefined) state = 'LATE';
    else state = hourStale || behind ? 'STALE' : 'READY';
    return [{ dataset, dt: facts.dt, state, version: gold?.version ?? null, waiting_events: waiting, error: state === 'FAILED' ? facts.failed : null, final }];
  });
}
