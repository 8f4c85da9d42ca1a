import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { messageKey, murmur2, partitionFor, toPositive, type HotKeyPolicy } from '../../core/partitioning';
import { createRng } from '../../core/random';
import { utf8Bytes } from '../../core/text';

function metadata(partitions: number): PartitionMetadata[] {
  return Array.from({ length: partitions }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 0, replicas: [0], isr: [0] }));
}

/** kafkajs's own default partitioner (the Java client's murmur2 partitioner) for a partition count. */
function kafkajsPartitioner(partitions: number): (key: string) => number {
  const partition = Partitioners.DefaultPartitioner();
  const partitionMetadata = metadata(partitions);
  return (key) => partition({ topic: 't', partitionMetadata, message: { key, value: null } });
}

/** Keys of every length from 0 to 40 (all four murmur2 tails), ASCII, accented, CJK and emoji. */
function sampleKeys(count: number): string[] {
  const rng = createRng(20261122);
  const alphabet = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_#.:@', 'é', 'ß', '用', '户', '😀', '\u0000'];
  const keys = ['', 'a', 'ab', 'abc', 'abcd', 'u0000001', 'user-42#3'];
  while (keys.length < count) keys.push(Array.from({ length: rng.int(0, 40) }, () => rng.pick(alphabet)).join(''));
  return keys;
}

describe('partitionFor agrees with kafkajs DefaultPartitioner', () => {
  const keys = sampleKeys(3000);

  // 65536 and 65521 together fix toPositive(murmur2) exactly (their product exceeds 2^31, CRT),
  // so agreeing on both means agreeing on the whole positive hash; the others are real topic sizes.
  // kafkajs scans its partition list on every call, so the large counts get fewer keys.
  it.each([
    [1, 3000],
    [2, 3000],
    [3, 3000],
    [12, 3000],
    [64, 3000],
    [100, 3000],
    [65521, 400],
    [65536, 400],
  ])('%d partitions, %d keys', (partitions, count) => {
    const theirs = kafkajsPartitioner(partitions);
    const disagreements = keys.slice(0, count).filter((key) => partitionFor(key, partitions) !== theirs(key));
    expect(disagreements).toEqual([]);
  });
});

describe('murmur2', () => {
  // Known values of Kafka's Utils.murmur2 (the Java client's own tests and the kafkajs suite).
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('%j', (key, hash) => {
    expect(murmur2(utf8Bytes(key))).toBe(hash);
  });

  it('clears the sign bit like Kafka, including for -2^31', () => {
    expect([toPositive(-1), toPositive(-2147483648), toPositive(5)]).toEqual([2147483647, 0, 5]);
  });
});

describe('partitionFor', () => {
  it('refuses a partition count that is not a positive integer', () => {
    expect(() => partitionFor('k', 0)).toThrow('partitions must be a positive integer, got 0');
    expect(() => partitionFor('k', 1.5)).toThrow('partitions must be a positive integer, got 1.5');
  });
});

describe('messageKey', () => {
  const policy: HotKeyPolicy = { hotUserIds: new Set(['bot-1']), saltBuckets: 4 };

  it('is the user_id for every user not declared hot', () => {
    expect(messageKey({ user_id: 'u1', event_id: 'e1' })).toBe('u1');
    expect(messageKey({ user_id: 'u1', event_id: 'e1' }, policy)).toBe('u1');
  });

  it('salts a hot user by event_id: the same event always gets the same key', () => {
    const keys = Array.from({ length: 200 }, (_, i) => messageKey({ user_id: 'bot-1', event_id: `e${i}` }, policy));
    expect(new Set(keys)).toEqual(new Set(['bot-1#0', 'bot-1#1', 'bot-1#2', 'bot-1#3']));
    expect(messageKey({ user_id: 'bot-1', event_id: 'e7' }, policy)).toBe(keys[7]);
  });

  it('spreads a hot user over several partitions', () => {
    const partitions = new Set(Array.from({ length: 200 }, (_, i) => partitionFor(messageKey({ user_id: 'bot-1', event_id: `e${i}` }, policy), 12)));
    expect(partitions.size).toBeGreaterThan(1);
  });

  it('refuses a bad bucket count', () => {
    expect(() => messageKey({ user_id: 'bot-1', event_id: 'e' }, { ...policy, saltBuckets: 0 })).toThrow('saltBuckets must be a positive integer, got 0');
  });
});
