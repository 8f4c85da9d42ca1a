import { daysOf, hoursToPromote, topCampaigns } from '../../core/demo';

const row = (campaign_id: string, impressions: number, clicks: number, hr: string) => ({ campaign_id, impressions, clicks, ctr: null, dt: '2026-11-22', hr });

describe('topCampaigns', () => {
  it('adds each campaign over its hours and keeps the busiest, ties by id', () => {
    const rows = [row('c2', 3, 1, '05'), row('c9', 1, 0, '05'), row('c1', 2, 0, '05'), row('c2', 1, 1, '06'), row('c3', 4, 0, '06'), row('c0', 0, 2, '06'), row('c1', 2, 1, '07')];
    expect(topCampaigns(rows, 3)).toEqual([
      { campaign_id: 'c1', impressions: 4, clicks: 1, ctr: 0.25 },
      { campaign_id: 'c2', impressions: 4, clicks: 2, ctr: 0.5 },
      { campaign_id: 'c3', impressions: 4, clicks: 0, ctr: 0 },
    ]);
    expect(topCampaigns(rows).map((c) => [c.campaign_id, c.ctr])).toEqual([['c1', 0.25], ['c2', 0.5], ['c3', 0], ['c9', 0], ['c0', null]]);
  });
});

describe('hours and days to promote', () => {
  it('takes the sorted hours of events not quarantined, and their days', () => {
    const at = (iso: string, quarantine_reason: string | null = null) => ({ event_time: Date.parse(iso), quarantine_reason });
    const hours = hoursToPromote([at('2026-11-23T00:10:00Z'), at('2026-11-22T23:59:59.999Z'), at('2026-11-22T05:00:00Z', 'too_late'), at('2026-11-23T00:50:00Z')]);
    expect(hours).toEqual(['2026-11-22T23', '2026-11-23T00']);
    expect(daysOf(['2026-11-22T05', '2026-11-22T23', '2026-11-23T00'])).toEqual(['2026-11-22', '2026-11-23']);
  });
});
