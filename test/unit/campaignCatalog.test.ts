import { campaignCatalog, createTrafficModel } from '../../core/generator';

const NOW = Date.UTC(2026, 10, 22, 5, 41);

describe('campaign catalog (lake.gold.dim_campaign rows of a run)', () => {
  it('deals campaigns out three per advertiser, in id order, under the scope', () => {
    expect(campaignCatalog({ campaigns: 7, idScope: 't-9z' })).toEqual([
      { campaign_id: 't-9zc00001', advertiser_id: 't-9za0001', name: 'Northwind launch 00001' },
      { campaign_id: 't-9zc00002', advertiser_id: 't-9za0001', name: 'Northwind summer sale 00002' },
      { campaign_id: 't-9zc00003', advertiser_id: 't-9za0001', name: 'Northwind brand awareness 00003' },
      { campaign_id: 't-9zc00004', advertiser_id: 't-9za0002', name: 'Contoso retargeting 00004' },
      { campaign_id: 't-9zc00005', advertiser_id: 't-9za0002', name: 'Contoso holiday 00005' },
      { campaign_id: 't-9zc00006', advertiser_id: 't-9za0002', name: 'Contoso app install 00006' },
      { campaign_id: 't-9zc00007', advertiser_id: 't-9za0003', name: 'Fabrikam launch 00007' },
    ]);
    expect(campaignCatalog({ campaigns: 1 })).toEqual([{ campaign_id: 'c00001', advertiser_id: 'a0001', name: 'Northwind launch 00001' }]);
  });

  it('names exactly the campaigns the traffic uses, whatever the seed', () => {
    const catalog = new Set(campaignCatalog({ campaigns: 5, idScope: 'x' }).map((c) => c.campaign_id));
    for (const seed of [1, 2]) {
      const { events } = createTrafficModel({ seed, campaigns: 5, users: 50, titles: 5, idScope: 'x' }).nextBatch(2000, NOW);
      const used = new Set(events.map((e) => e.campaign_id).filter((c): c is string => typeof c === 'string'));
      expect([...used].every((c) => catalog.has(c))).toBe(true);
      expect(used.size).toBe(5);
    }
  });

  it('refuses a bad count or scope, naming the field', () => {
    expect(() => campaignCatalog({ campaigns: 0 })).toThrow('campaigns: must be a whole number from 1 to 100000, got 0');
    expect(() => campaignCatalog({ campaigns: 3, idScope: 'A B' })).toThrow('idScope: must be 1-24 of a-z 0-9 -');
  });
});
