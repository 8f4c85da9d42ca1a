/**
 * The shards of a promotion hour (docs/sharding.md): sets of Kafka topic-partitions, sized from the
 * record counts the hour's Bronze manifests commit, so several workers can each build a part of the
 * hour. A partition is never split (its Bronze objects go to one shard), so within a shard the
 * promotion is exactly the unsharded one; what crosses shards (an event_id on two partitions, a user
 * on two partitions) is settled by the global pass (core/shardMerge.ts).
 *
 * An hour of at most `maxRecordsPerShard` records is one shard holding every object: the promotion
 * then runs the unsharded path, unchanged.
 */
import { compareText } from './text';

/** What the planner needs of a Bronze manifest: where its object is and how many records of the hour it holds. */
export interface ManifestOfHour {
  /** The manifest's key (what the shard downloads). */
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  /** Records of the hour the manifest commits (its hour histogram's count), erased ones included. */
  readonly records: number;
}

export interface Shard {
  /** 0-based, dense. */
  readonly index: number;
  /** `topic:partition`, sorted. */
  readonly partitions: readonly string[];
  /** Manifest keys, sorted. */
  readonly manifests: readonly string[];
  readonly records: number;
}

export interface ShardPlan {
  readonly shards: readonly Shard[];
  readonly records: number;
}

/** Default records per shard: about 5 minutes of one DuckDB core at ~200,000 records/s (BENCHMARKS.md). */
export const DEFAULT_MAX_RECORDS_PER_SHARD = 50_000_000;
/** No more shards than this: each is an activity and the global pass reads one sidecar per shard. */
export const MAX_SHARDS = 256;

const partitionName = (m: { topic: string; partition: number }): string => `${m.topic}:${m.partition}`;

/**
 * Shards of at most about `maxRecordsPerShard` records: as many as the hour needs (one when it fits),
 * partitions placed largest first onto the least loaded shard (ties: lowest index), so the plan is a
 * function of the counts alone, whatever order the manifests were listed in. A partition larger than
 * the bound is a shard on its own.
 */
export function planShards(manifests: readonly ManifestOfHour[], maxRecordsPerShard: number = DEFAULT_MAX_RECORDS_PER_SHARD): ShardPlan {
  if (!Number.isSafeInteger(maxRecordsPerShard) || maxRecordsPerShard < 1) throw new RangeError(`maxRecordsPerShard must be a positive whole number, got ${maxRecordsPerShard}`);
  const byPartition = new Map<string, { name: string; records: number; manifests: string[] }>();
  let records = 0;
  for (const m of manifests) {
    if (!Number.isSafeInteger(m.records) || m.records < 0) throw new RangeError(`manifest ${m.key}: records must be a whole number >= 0, got ${m.records}`);
    const name = partitionName(m);
    const entry = byPartition.get(name) ?? { name, records: 0, manifests: [] };
    entry.records += m.records;
    entry.manifests.push(m.key);
    byPartition.set(name, entry);
    records += m.records;
  }
  const count = Math.max(1, Math.min(MAX_SHARDS, byPartition.size, Math.ceil(records / maxRecordsPerShard)));
  const bins = Array.from({ length: count }, () => ({ partitions: [] as string[], manifests: [] as string[], records: 0 }));
  const partitions = [...byPartition.values()].sort((a, b) => b.records - a.records || compareText(a.name, b.name));
  for (const p of partitions) {
    let target = bins[0] as (typeof bins)[number];
    for (const bin of bins) if (bin.records < target.records) target = bin;
    target.partitions.push(p.name);
    target.manifests.push(...p.manifests);
    target.records += p.records;
  }
  return {
    records,
    shards: bins.map((bin, index) => ({ index, partitions: [...bin.partitions].sort(compareText), manifests: [...bin.manifests].sort(compareText), records: bin.records })),
  };
}
