/**
 * Kafka message keys and the partition they land on.
 *
 * The key of an event is its user_id: every event of a user goes to one partition, so consumers see a
 * user's events in the order they were accepted (sessionization, the real-time CTR consumer).
 * `partitionFor` is Kafka's default partitioner (murmur2 of the key's UTF-8 bytes, sign bit cleared,
 * modulo the partition count), the same function as the Java client and kafkajs's DefaultPartitioner,
 * so tools, tests and capacity planning agree with where the producer really writes.
 *
 * Hot keys: one user (a load-test account, a bot, a shared kiosk id) can outgrow one partition. Users
 * declared hot get a salted key `user_id#n`, with n = murmur2(event_id) mod saltBuckets: their events
 * spread over up to saltBuckets partitions, and per-user order weakens to per (user, salt). The salt
 * derives from the event_id, not a counter, so a retried or duplicated event lands where the first copy
 * did. The key is only a routing value: consumers read user_id from the event, never from the key, so
 * a real user_id that happens to look like `a#1` merely shares a partition with salted `a`.
 */
import { utf8Bytes } from './text';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (Utils.murmur2): a signed 32-bit hash of the bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const blocks = length - (length % 4);
  for (let i = 0; i < blocks; i += 4) {
    let k = (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length % 4;
  if (rest === 3) h ^= (data[blocks + 2] as number) << 16;
  if (rest >= 2) h ^= (data[blocks + 1] as number) << 8;
  if (rest >= 1) {
    h ^= data[blocks] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's toPositive: clears the sign bit (not Math.abs, which overflows on -2^31). */
export function toPositive(hash: number): number {
  return hash & 0x7fffffff;
}

export function partitionFor(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  return toPositive(murmur2(utf8Bytes(key))) % partitions;
}

/** Users whose events are spread over several keys. */
export interface HotKeyPolicy {
  readonly hotUserIds: ReadonlySet<string>;
  /** How many salted keys a hot user gets; at most the partition count is useful. */
  readonly saltBuckets: number;
}

export const SALT_SEPARATOR = '#';

/** The Kafka key of an event: user_id, or `user_id#n` for a user the policy declares hot. */
export function messageKey(event: { readonly user_id: string; readonly event_id: string }, policy?: HotKeyPolicy): string {
  if (policy === undefined || !policy.hotUserIds.has(event.user_id)) return event.user_id;
  if (!Number.isInteger(policy.saltBuckets) || policy.saltBuckets < 1) {
    throw new RangeError(`saltBuckets must be a positive integer, got ${policy.saltBuckets}`);
  }
  const salt = toPositive(murmur2(utf8Bytes(event.event_id))) % policy.saltBuckets;
  return `${event.user_id}${SALT_SEPARATOR}${salt}`;
}
