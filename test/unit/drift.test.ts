import { ctrDrift } from '../../core/drift';

describe('ctrDrift', () => {
  it('is zero when real-time and Gold agree, whatever the order', () => {
    expect(
      ctrDrift(
        '2026-11-22T05',
        [
          { campaign_id: 'b', impressions: 5, clicks: 1 },
          { campaign_id: 'a', impressions: 10, clicks: 0 },
        ],
        [
          { campaign_id: 'a', impressions: 10, clicks: 0 },
          { campaign_id: 'b', impressions: 5, clicks: 1 },
        ],
      ),
    ).toEqual({ hour: '2026-11-22T05', campaigns: 2, impressions: 0, clicks: 0, differing: [] });
  });

  it('sums absolute differences and names the campaigns, including ones only one side has', () => {
    expect(
      ctrDrift('2026-11-22T05', [{ campaign_id: 'a', impressions: 12, clicks: 1 }, { campaign_id: 'r', impressions: 1, clicks: 0 }], [
        { campaign_id: 'a', impressions: 10, clicks: 2 },
        { campaign_id: 'g', impressions: 0, clicks: 3 },
      ]),
    ).toEqual({
      hour: '2026-11-22T05',
      campaigns: 3,
      impressions: 3,
      clicks: 4,
      differing: [
        { campaign_id: 'a', realtime: [12, 1], gold: [10, 2] },
        { campaign_id: 'g', realtime: [0, 0], gold: [0, 3] },
        { campaign_id: 'r', realtime: [1, 0], gold: [0, 0] },
      ],
    });
  });
});
