import { planShards, type ManifestOfHour } from '../../core/shardPlan';

const m = (partition: number, records: number, first = 0, topic = 'clicklake.events'): ManifestOfHour => ({ key: `${topic}/p${partition}/o${first}`, topic, partition, records });

describe('planShards', () => {
  it('keeps a small hour in one shard holding every manifest', () => {
    const manifests = [m(0, 10), m(1, 20), m(1, 5, 100), m(2, 0)];
    expect(planShards(manifests, 1000)).toEqual({
      records: 35,
      shards: [{ index: 0, partitions: ['clicklake.events:0', 'clicklake.events:1', 'clicklake.events:2'], manifests: manifests.map((x) => x.key).sort(), records: 35 }],
    });
  });

  it('plans an empty hour as one empty shard', () => {
    expect(planShards([], 10)).toEqual({ records: 0, shards: [{ index: 0, partitions: [], manifests: [], records: 0 }] });
  });

  it('splits by partitions, largest first onto the least loaded shard, never splitting a partition', () => {
    const manifests = [m(0, 60), m(1, 50), m(2, 40), m(3, 30), m(3, 10, 7), m(4, 20)];
    expect(planShards(manifests, 100)).toEqual({
      records: 210,
      shards: [
        { index: 0, partitions: ['clicklake.events:0'], manifests: ['clicklake.events/p0/o0'], records: 60 },
        { index: 1, partitions: ['clicklake.events:1', 'clicklake.events:4'], manifests: ['clicklake.events/p1/o0', 'clicklake.events/p4/o0'], records: 70 },
        { index: 2, partitions: ['clicklake.events:2', 'clicklake.events:3'], manifests: ['clicklake.events/p2/o0', 'clicklake.events/p3/o0', 'clicklake.events/p3/o7'], records: 80 },
      ],
    });
  });

  it('does not depend on the order the manifests were listed in', () => {
    const manifests = [m(0, 7), m(1, 7), m(2, 3), m(3, 9), m(4, 1), m(5, 7), m(0, 2, 50)];
    const plan = planShards(manifests, 10);
    expect(planShards([...manifests].reverse(), 10)).toEqual(plan);
    expect(plan.shards.length).toBe(4);
    expect(plan.shards.flatMap((s) => s.manifests).sort()).toEqual(manifests.map((x) => x.key).sort());
  });

  it('makes no more shards than partitions; a partition over the bound is a shard alone', () => {
    expect(planShards([m(0, 1000), m(1, 1)], 10).shards.map((s) => s.records)).toEqual([1000, 1]);
    expect(planShards([m(0, 1000)], 10).shards.length).toBe(1);
  });

  it('tells topics apart', () => {
    expect(planShards([m(0, 5, 0, 'a'), m(0, 5, 0, 'b')], 5).shards.map((s) => s.partitions)).toEqual([['a:0'], ['b:0']]);
  });

  it('refuses a bad bound or count', () => {
    expect(() => planShards([], 0)).toThrow(/maxRecordsPerShard/);
    expect(() => planShards([m(0, -1)], 10)).toThrow(/records must be/);
  });
});
