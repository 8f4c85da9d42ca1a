/**
 * Drift between the real-time counts (Redis minute buckets summed over an hour) and hourly Gold.
 * Expected 0: both count each accepted, on-time ad event once. A difference means duplicates that
 * arrived after the real-time dedup horizon, buckets that expired, or a fault worth a look.
 */
import type { CampaignCounts } from './ctr';
import type { CtrHourlyRow } from './truth';

export interface CtrDrift {
  readonly hour: string;
  readonly campaigns: number;
  /** Sum over campaigns of |realtime - gold|. */
  readonly impressions: number;
  readonly clicks: number;
  /** Up to 20 campaigns that differ, for a person to look at. */
  readonly differing: ReadonlyArray<{ campaign_id: string; realtime: [number, number]; gold: [number, number] }>;
}

export function ctrDrift(hour: string, realtime: readonly CampaignCounts[], gold: ReadonlyArray<Pick<CtrHourlyRow, 'campaign_id' | 'impressions' | 'clicks'>>): CtrDrift {
  const byCampaign = new Map<string, { realtime: [number, number]; gold: [number, number] }>();
  const entry = (id: string) => {
    let e = byCampaign.get(id);
    if (!e) byCampaign.set(id, (e = { realtime: [0, 0], gold: [0, 0] }));
    return e;
  };
  for (const r of realtime) entry(r.campaign_id).realtime = [r.impressions, r.clicks];
  for (const g of gold) entry(g.campaign_id).gold = [g.impressions, g.clicks];
  let impressions = 0;
  let clicks = 0;
  const differing: Array<{ campaign_id: string; realtime: [number, number]; gold: [number, number] }> = [];
  for (const [campaign_id, e] of [...byCampaign].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const di = Math.abs(e.realtime[0] - e.gold[0]);
    const dc = Math.abs(e.realtime[1] - e.gold[1]);
    impressions += di;
    clicks += dc;
    if ((di > 0 || dc > 0) && differing.length < 20) differing.push({ campaign_id, ...e });
  }
  return { hour, campaigns: byCampaign.size, impressions, clicks, differing };
}
