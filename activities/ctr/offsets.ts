/** Offset steps of the CTR consumer: seeking, reading the stored offsets, resuming on assignment, Kafka's floors. */
import { offsetKey } from '../../core/ctr';
import { errorMessage } from '../../core/errors';
import type { CtrRun } from './run';

/** Moves the consumer's read position; a refused seek (partition no longer assigned) is logged. */
export function seek(run: CtrRun, partition: number, offset: number): void {
  try {
    run.consumer.seek({ topic: run.settings.topic, partition, offset: String(offset) });
  } catch (err) {
    run.log('ctr consumer: seek failed', { partition, offset, error: errorMessage(err) });
  }
}

/** Reads the stored offsets of these partitions; returns those that moved past what was known. */
export async function readStored(run: CtrRun, partitions: readonly number[]): Promise<number[]> {
  if (partitions.length === 0) return [];
  const { topic, keyPrefix } = run.settings;
  const stored = await run.redis.mget(partitions.map((p) => offsetKey(keyPrefix, topic, p)));
  const moved: number[] = [];
  partitions.forEach((partition, i) => {
    const value = stored[i];
    if (value === null || value === undefined) return;
    const offset = Number(value);
    if (offset > (run.applied.get(partition) ?? -1)) {
      run.applied.set(partition, offset);
      moved.push(partition);
    }
  });
  return moved;
}

/**
 * On start and after every rebalance: each assigned partition resumes after its applied offset
 * (earliest when none). The seek is synchronous, inside kafkajs's GROUP_JOIN, so the first fetch
 * already uses it; a fresh read of Redis then moves partitions another member advanced meanwhile.
 * That read runs in the background with its own handler: it is only a shortcut (the script refuses
 * what was applied, and the consumer skips ahead), so its failure is logged, never thrown.
 */
export function onAssigned(run: CtrRun, partitions: readonly number[]): void {
  for (const partition of partitions) {
    const offset = run.applied.get(partition);
    if (offset !== undefined) seek(run, partition, offset + 1);
  }
  readStored(run, partitions)
    .then((moved) => {
      for (const partition of moved) seek(run, partition, (run.applied.get(partition) as number) + 1);
      run.log('ctr consumer: assigned', { partitions: [...partitions], applied: Object.fromEntries(partitions.map((p) => [p, run.applied.get(p) ?? null])) });
    })
    .catch((err: unknown) => {
      run.log('ctr consumer: could not read the stored offsets', { partitions: [...partitions], error: errorMessage(err) });
    });
}

export async function refreshFloors(run: CtrRun): Promise<void> {
  for (const o of await run.admin.fetchTopicOffsets(run.settings.topic)) run.floors.set(o.partition, Number(o.low));
}
