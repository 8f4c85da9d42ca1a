/** Reading exact offset ranges of a topic, so tests compare what a run wrote with a ground truth. */
import type { Kafka } from 'kafkajs';
import type { SchemaRegistryClient } from '../../activities/schemaRegistry';
import { unframe } from '../../core/wireFormat';
import type { EventRecord } from '../../schemas/eventRecord';
import { uniqueName } from './stack';

export type Offsets = Map<number, bigint>;

/** The next offset of every partition (high watermarks). */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Offsets> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

export interface RangeMessage {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Every message in [from, to) of every partition, in partition then offset order. */
export async function readRange(kafka: Kafka, topic: string, from: Offsets, to: Offsets, timeoutMs = 60_000): Promise<RangeMessage[]> {
  const pending = new Set([...to].filter(([p, end]) => end > (from.get(p) ?? 0n)).map(([p]) => p));
  const out: RangeMessage[] = [];
  if (pending.size === 0) return out;
  const consumer = kafka.consumer({ groupId: uniqueName('test-reader'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`readRange ${topic}: partitions ${[...pending].join(',')} not read within ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const offset = BigInt(message.offset);
          const end = to.get(partition) ?? 0n;
          if (offset >= (from.get(partition) ?? 0n) && offset < end) {
            const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
            out.push({ partition, offset, key: message.key, value: message.value, headers });
          }
          if (offset + 1n >= end && pending.delete(partition) && pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
      for (const [partition, offset] of from) consumer.seek({ topic, partition, offset: String(offset) });
    });
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
}

/** The events of [from, to) of an events topic, decoded with their writer schemas; unframed records left out. */
export async function readEvents(kafka: Kafka, registry: SchemaRegistryClient, topic: string, from: Offsets, to: Offsets): Promise<EventRecord[]> {
  const events: EventRecord[] = [];
  for (const m of await readRange(kafka, topic, from, to)) {
    const framed = unframe(m.value);
    if (framed.ok) events.push((await registry.writerType(framed.schemaId)).fromBuffer(framed.body) as EventRecord);
  }
  return events;
}

/** How many copies of each event_id starting with `prefix` the topic holds past `from`. */
export async function eventIdCopies(kafka: Kafka, registry: SchemaRegistryClient, topic: string, from: Offsets, prefix: string): Promise<Map<string, number>> {
  const copies = new Map<string, number>();
  for (const event of await readEvents(kafka, registry, topic, from, await endOffsets(kafka, topic))) {
    if (event.event_id.startsWith(prefix)) copies.set(event.event_id, (copies.get(event.event_id) ?? 0) + 1);
  }
  return copies;
}
