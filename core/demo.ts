/** What `clicklake demo` decides about its traffic: which hours to promote and which campaigns to show. */
import { hourKey } from './time';
import type { CtrHourlyRow } from './truth';

export interface CampaignTotal {
  readonly campaign_id: string;
  readonly impressions: number;
  readonly clicks: number;
  readonly ctr: number | null;
}

/** Campaign totals over every hour of `rows`, busiest (most impressions) first, ties by id; the first `n`. */
export function topCampaigns(rows: readonly CtrHourlyRow[], n = 5): CampaignTotal[] {
  const totals = new Map<string, { impressions: number; clicks: number }>();
  for (const row of rows) {
    const t = totals.get(row.campaign_id) ?? { impressions: 0, clicks: 0 };
    t.impressions += row.impressions;
    t.clicks += row.clicks;
    totals.set(row.campaign_id, t);
  }
  return [...totals]
    .sort((a, b) => b[1].impressions - a[1].impressions || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([campaign_id, t]) => ({ campaign_id, ...t, ctr: t.impressions === 0 ? null : t.clicks / t.impressions }));
}

/** The hours (sorted) holding accepted events that were not quarantined: those the demo promotes. */
export function hoursToPromote(accepted: ReadonlyArray<{ readonly event_time: number; readonly quarantine_reason: string | null }>): string[] {
  return [...new Set(accepted.filter((e) => e.quarantine_reason === null).map((e) => hourKey(e.event_time)))].sort();
}

/** The days of `hours` (`YYYY-MM-DDTHH`), in order. */
export function daysOf(hours: readonly string[]): string[] {
  return [...new Set(hours.map((h) => h.slice(0, 10)))];
}
