import { crossShardLosers, mergeGoldHourly, mergeShardEndStates, multiShardUsers, type IdSighting } from '../../core/shardMerge';

const at = (shard: number, event_id: string, received_time: number, partition: number, offset = 0, topic = 't'): IdSighting => ({ shard, event_id, received_time, partition, offset, topic });

describe('crossShardLosers', () => {
  it('drops an id in every shard but the one holding its first received copy', () => {
    const lost = crossShardLosers([at(0, 'a', 10, 0), at(1, 'a', 9, 3), at(2, 'a', 11, 5), at(0, 'b', 1, 0), at(2, 'c', 1, 5)]);
    expect(lost).toEqual(
      new Map([
        [0, ['a']],
        [1, []],
        [2, ['a']],
      ]),
    );
  });

  it('breaks equal receive times by partition, then offset (core/silver.ts compareReceiveOrder)', () => {
    expect(crossShardLosers([at(0, 'a', 5, 7), at(1, 'a', 5, 2)])).toEqual(new Map([[0, ['a']], [1, []]]));
    expect(crossShardLosers([at(1, 'a', 5, 2, 9), at(0, 'a', 5, 2, 3, 'u')])).toEqual(new Map([[0, []], [1, ['a']]]));
  });

  it('does not depend on the order of the sightings', () => {
    const sightings = [at(0, 'x', 3, 0), at(1, 'x', 2, 1), at(1, 'y', 8, 1), at(2, 'y', 8, 0), at(2, 'z', 1, 0)];
    expect(crossShardLosers([...sightings].reverse())).toEqual(crossShardLosers(sightings));
  });
});

describe('multiShardUsers', () => {
  it('lists users seen in two or more shards, once, sorted', () => {
    expect(multiShardUsers([{ shard: 0, user_key: 'u2' }, { shard: 1, user_key: 'u2' }, { shard: 1, user_key: 'u1' }, { shard: 1, user_key: 'u1' }, { shard: 2, user_key: 'u0' }, { shard: 0, user_key: 'u0' }])).toEqual(['u0', 'u2']);
  });
});

describe('mergeShardEndStates', () => {
  const c = (lastEventMs: number, sessionId = `s${lastEventMs}`, sessionStartMs = 0) => ({ lastEventMs, sessionId, sessionStartMs });

  it('lays each shard’s changed cursors over the prior state', () => {
    const prior = new Map([['a', c(1)], ['b', c(2)], ['gone', c(3)]]);
    const merged = mergeShardEndStates(prior, [new Map([...prior, ['a', c(10)], ['new0', c(11)]]), new Map([...prior, ['b', c(20)], ['m', c(30)]]), new Map([...prior, ['m', c(30)]])]);
    expect([...merged].sort()).toEqual([['a', c(10)], ['b', c(20)], ['gone', c(3)], ['m', c(30)], ['new0', c(11)]].sort());
  });

  it('fails when two shards carry different cursors of one user', () => {
    expect(() => mergeShardEndStates(new Map(), [new Map([['u', c(1)]]), new Map([['u', c(2)]])])).toThrow(/disagree/);
  });
});

describe('mergeGoldHourly', () => {
  it('sums impressions and clicks per campaign and recomputes ctr', () => {
    const row = (campaign_id: string, impressions: number, clicks: number) => ({ campaign_id, impressions, clicks, ctr: null, dt: '2026-11-20', hr: '04' });
    expect(mergeGoldHourly([row('b', 4, 1), row('a', 0, 2), row('b', 6, 1)])).toEqual([
      { campaign_id: 'a', impressions: 0, clicks: 2, ctr: null, dt: '2026-11-20', hr: '04' },
      { campaign_id: 'b', impressions: 10, clicks: 2, ctr: 0.2, dt: '2026-11-20', hr: '04' },
    ]);
  });
});
