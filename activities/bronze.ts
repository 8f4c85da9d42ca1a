/**
 * Kafka → Bronze. A long-running, heartbeating activity consumes the events topic in the consumer
 * group `clicklake-bronze`, buffers each partition, and flushes a buffer as one zstd NDJSON object
 * named by its topic-partition-offset range, then its hour-index markers, then its manifest (the
 * commit point in S3), and only then commits the group offset past the range.
 *
 * After a crash between the manifest and the offset commit, the consumer re-reads from the committed
 * offset; before writing it looks for a manifest that starts at that offset and adopts its range
 * (commits past it without writing), so a range is never written twice under two names.
 */
import { compress as zstdCompress } from '@mongodb-js/zstd';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import type { Type } from 'avsc';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import {
  bronzeObjectKey,
  buildManifest,
  formatBronzeLine,
  hourIndexKey,
  hourIndexPrefix,
  manifestKey,
  manifestPrefixFrom,
  parseManifest,
  parseOffset,
  type BronzeManifest,
  type BronzeRange,
  type BronzeRecord,
} from '../core/bronze';
import type { ClicklakeConfig } from '../core/config';
import { deadLetterMessage, type ConsumerDeadLetter } from '../core/deadLetter';
import { errorMessage } from '../core/errors';
import { unframe } from '../core/wireFormat';
import { eventAvroType } from '../schemas/event';
import type { EventRecord } from '../schemas/eventRecord';
import { hasObjects, requireBytes } from './s3Objects';
import type { SchemaRegistryClient } from './schemaRegistry';

export const BRONZE_GROUP = 'clicklake-bronze';

export interface BronzeDeps {
  readonly config: ClicklakeConfig;
  readonly s3: S3Client;
  readonly kafka: Kafka;
  readonly registry: SchemaRegistryClient;
}

export interface IngestInput {
  /** Flush a partition's buffer at this many records... */
  readonly maxRecordsPerObject: number;
  /** ...or when its oldest record has waited this long. */
  readonly maxAgeMs: number;
  /** Return (and let the workflow continue as new) after this long. */
  readonly runForMs: number;
}

export interface IngestProgress {
  objects: number;
  records: number;
  deadLetters: number;
  adopted: number;
  /** Next offset to read, per partition, as committed. */
  committed: Record<string, number>;
}

interface Buffered {
  readonly messages: KafkaMessage[];
  readonly since: number;
}

type Decoded = { ok: true; record: BronzeRecord } | { ok: false; letter: ConsumerDeadLetter };

/** Whether Bronze holds any event of the hour (its hour index has a marker). */
export function hourHasEvents(s3: S3Client, bucket: string, hour: string): Promise<boolean> {
  return hasObjects(s3, bucket, hourIndexPrefix(hour));
}

/** zstd level of Bronze objects: 3 (zstd's default) compresses about as small as gzip -6, several times faster. */
const ZSTD_LEVEL = 3;

/** The bytes of a Bronze object of these records: their NDJSON lines, zstd-compressed. */
export function encodeBronzeObject(records: readonly BronzeRecord[]): Promise<Buffer> {
  return zstdCompress(Buffer.from(records.map((r) => `${formatBronzeLine(r)}\n`).join(''), 'utf8'), ZSTD_LEVEL);
}

/** A Bronze manifest read back from the lake (parsed, never cast). */
export async function readManifest(s3: S3Client, bucket: string, key: string): Promise<BronzeManifest> {
  return parseManifest(JSON.parse((await requireBytes(s3, bucket, key)).toString('utf8')));
}

/**
 * Writes the records of a range as one Bronze object, then its hour-index markers, then its manifest
 * (the commit point): a crash before the manifest leaves nothing a promotion reads, and a retry
 * rewrites the same keys. Returns the manifest.
 */
export async function putBronzeObject(s3: S3Client, bucket: string, range: BronzeRange, records: readonly BronzeRecord[]): Promise<BronzeManifest> {
  const objectKey = bronzeObjectKey(range);
  const body = await encodeBronzeObject(records);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: body, ContentType: 'application/x-ndjson', ContentEncoding: 'zstd' }));
  const manifest = buildManifest(records, { ...range, bytes: body.length });
  await Promise.all(
    Object.keys(manifest.hourHistogram).map((hour) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: hourIndexKey(hour, range), Body: '' }))),
  );
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKey(objectKey), Body: JSON.stringify(manifest), ContentType: 'application/json' }));
  return manifest;
}

export function createBronzeActivities(deps: BronzeDeps) {
  const { config, s3, kafka, registry } = deps;
  const topic = config.kafka.eventsTopic;
  const bucket = config.s3.bucket;
  const reader = eventAvroType();
  const resolvers = new Map<number, Promise<(body: Buffer) => EventRecord>>();

  /** Decoder of one writer schema id into the current reader schema (Avro schema resolution). */
  function decoderFor(schemaId: number): Promise<(body: Buffer) => EventRecord> {
    let found = resolvers.get(schemaId);
    if (!found) {
      found = registry.writerType(schemaId).then((writer: Type) => {
        const resolver = reader.createResolver(writer);
        return (body: Buffer) => reader.fromBuffer(body, resolver) as EventRecord;
      });
      found.catch(() => resolvers.delete(schemaId));
      resolvers.set(schemaId, found);
    }
    return found;
  }

  async function decode(partition: number, message: KafkaMessage): Promise<Decoded> {
    const letter = (reason: ConsumerDeadLetter['reason'], error: string): Decoded => ({
      ok: false,
      letter: {
        source: 'bronze_ingest',
        reason,
        errors: [error],
        topic,
        partition,
        offset: message.offset,
        key_base64: message.key ? message.key.toString('base64') : null,
        value_base64: message.value ? message.value.toString('base64') : null,
      },
    });
    const framed = unframe(message.value);
    if (!framed.ok) return letter('bad_framing', framed.reason);
    let decodeBody: (body: Buffer) => EventRecord;
    try {
      decodeBody = await decoderFor(framed.schemaId);
    } catch (err) {
      return letter('unknown_schema', `schema id ${framed.schemaId}: ${errorMessage(err)}`);
    }
    try {
      const event = decodeBody(framed.body);
      return {
        ok: true,
        record: {
          topic,
          partition,
          offset: parseOffset(message.offset),
          kafka_timestamp_ms: Number(message.timestamp),
          schema_id: framed.schemaId,
          received_time: event.received_time,
          event,
        },
      };
    } catch (err) {
      return letter('undecodable', `value: ${errorMessage(err)}`);
    }
  }

  async function existingManifestFrom(partition: number, firstOffset: number): Promise<BronzeManifest | undefined> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: manifestPrefixFrom(topic, partition, firstOffset), MaxKeys: 10 }));
    const key = listed.Contents?.[0]?.Key;
    if (key === undefined) return undefined;
    return readManifest(s3, bucket, key);
  }

  /** Writes one range durably (dead letters, then object, hour index, manifest). Returns its manifest. */
  async function writeRange(partition: number, messages: readonly KafkaMessage[], producer: Producer): Promise<{ manifest: BronzeManifest; deadLetters: number }> {
    const decoded = await Promise.all(messages.map((m) => decode(partition, m)));
    const records = decoded.flatMap((d) => (d.ok ? [d.record] : []));
    const letters = decoded.flatMap((d) => (d.ok ? [] : [d.letter]));
    const range = {
      topic,
      partition,
      firstOffset: parseOffset((messages[0] as KafkaMessage).offset),
      lastOffset: parseOffset((messages[messages.length - 1] as KafkaMessage).offset),
    };
    // Dead letters are durable before the manifest commits the range, as the records are.
    if (letters.length > 0) {
      await producer.send({ topic: config.kafka.deadLetterTopic, acks: -1, messages: letters.map(deadLetterMessage) });
    }
    const manifest = await putBronzeObject(s3, bucket, range, records);
    return { manifest, deadLetters: letters.length };
  }

  return {
    /** Consumes until `runForMs` passes or the activity is cancelled; returns what it wrote. */
    async runBronzeIngest(input: IngestInput): Promise<IngestProgress> {
      const ctx = Context.current();
      const progress: IngestProgress = { objects: 0, records: 0, deadLetters: 0, adopted: 0, committed: {} };
      const buffers = new Map<number, Buffered>();
      const consumer: Consumer = kafka.consumer({ groupId: BRONZE_GROUP, sessionTimeout: 30_000, heartbeatInterval: 3000, maxWaitTimeInMs: 500 });
      const producer = kafka.producer({ idempotent: true, retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5000 } });
      // Buffer changes and flushes run one at a time, in arrival order.
      let chain: Promise<unknown> = Promise.resolve();
      const serial = <T>(fn: () => Promise<T>): Promise<T> => {
        const next = chain.then(fn);
        chain = next.catch(() => undefined);
        return next;
      };

      let rebalancing = false;
      const commit = async (partition: number, nextOffset: number): Promise<void> => {
        try {
          await consumer.commitOffsets([{ topic, partition, offset: String(nextOffset) }]);
          progress.committed[String(partition)] = nextOffset;
        } catch (err) {
          // During a rebalance the partition may now belong to another member: its range is durable
          // with a manifest, and the new owner adopts it instead of writing it again.
          if (!rebalancing) throw err;
        }
      };

      const flush = async (partition: number): Promise<void> => {
        let pending = buffers.get(partition)?.messages ?? [];
        buffers.delete(partition);
        while (pending.length > 0) {
          const first = parseOffset((pending[0] as KafkaMessage).offset);
          const adopted = await existingManifestFrom(partition, first);
          if (adopted) {
            // Written by an earlier attempt whose offset commit was lost: keep that range as it is.
            progress.adopted++;
            await commit(partition, adopted.lastOffset + 1);
            pending = pending.filter((m) => parseOffset(m.offset) > adopted.lastOffset);
            continue;
          }
          const { manifest, deadLetters } = await writeRange(partition, pending, producer);
          await commit(partition, manifest.lastOffset + 1);
          progress.objects++;
          progress.records += manifest.rowCount;
          progress.deadLetters += deadLetters;
          pending = [];
        }
        ctx.heartbeat(progress);
      };

      const flushDue = (force: boolean): Promise<void> =>
        serial(async () => {
          const now = Date.now();
          for (const [partition, buffered] of [...buffers]) {
            if (force || buffered.messages.length >= input.maxRecordsPerObject || now - buffered.since >= input.maxAgeMs) await flush(partition);
          }
        });

      await producer.connect();
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        // After a rebalance kafkajs keeps reading kept partitions from its position, not from the
        // committed offset, so nothing buffered may be dropped: write it all out now.
        consumer.on(consumer.events.GROUP_JOIN, () => {
          rebalancing = true;
          void flushDue(true).finally(() => {
            rebalancing = false;
          });
        });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, heartbeat, resolveOffset }) => {
            await serial(async () => {
              const buffered = buffers.get(batch.partition) ?? { messages: [], since: Date.now() };
              // A batch can overlap what is buffered (kafkajs re-fetches from the committed offset after a
              // rebalance): keep each offset once.
              const last = buffered.messages.length > 0 ? parseOffset((buffered.messages[buffered.messages.length - 1] as KafkaMessage).offset) : -1;
              const done = progress.committed[String(batch.partition)] ?? 0;
              for (const m of batch.messages) {
                const offset = parseOffset(m.offset);
                if (offset > last && offset >= done) buffered.messages.push(m);
              }
              if (buffered.messages.length > 0) buffers.set(batch.partition, buffered);
            });
            // Local read position only (autoCommit is off): the group offset moves in flush, once durable.
            const lastOffset = batch.messages[batch.messages.length - 1]?.offset;
            if (lastOffset !== undefined) resolveOffset(lastOffset);
            await flushDue(false);
            await heartbeat();
          },
        });
        const deadline = Date.now() + input.runForMs;
        while (Date.now() < deadline && !ctx.cancellationSignal.aborted) {
          await new Promise((r) => setTimeout(r, Math.min(1000, input.maxAgeMs)));
          await flushDue(false);
          ctx.heartbeat(progress);
        }
        if (!ctx.cancellationSignal.aborted) await flushDue(true);
      } finally {
        await consumer.disconnect().catch(() => undefined);
        await producer.disconnect().catch(() => undefined);
      }
      return progress;
    },

    /** The next offset of every partition of the events topic now (what a promotion must wait for). */
    async captureEndOffsets(): Promise<Record<string, number>> {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return Object.fromEntries(offsets.map((o) => [String(o.partition), parseOffset(o.high)]));
      } finally {
        await admin.disconnect();
      }
    },

    /** Waits until Bronze has committed every partition up to `endOffsets`; heartbeats while waiting. */
    async waitForBronze(input: { endOffsets: Record<string, number> }): Promise<Record<string, number>> {
      const ctx = Context.current();
      const admin = kafka.admin();
      await admin.connect();
      try {
        for (;;) {
          const [committed] = await admin.fetchOffsets({ groupId: BRONZE_GROUP, topics: [topic] });
          const byPartition = Object.fromEntries((committed?.partitions ?? []).map((p) => [String(p.partition), Number(p.offset)]));
          const behind = Object.entries(input.endOffsets).filter(([p, end]) => end > 0 && (byPartition[p] ?? -1) < end);
          if (behind.length === 0) return byPartition;
          ctx.heartbeat({ behind: behind.map(([p, end]) => ({ partition: Number(p), committed: byPartition[p] ?? null, end })) });
          await new Promise((r) => setTimeout(r, 1000));
          if (ctx.cancellationSignal.aborted) throw new Error('cancelled while waiting for Bronze');
        }
      } finally {
        await admin.disconnect();
      }
    },
  };
}

export type BronzeActivities = ReturnType<typeof createBronzeActivities>;
