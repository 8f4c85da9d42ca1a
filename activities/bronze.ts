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
import type { S3Client } from '@aws-sdk/client-s3';
import { Context, log } from '@temporalio/activity';
import type { Kafka } from 'kafkajs';
import { hourIndexPrefix, parseOffset } from '../core/bronze';
import type { ClicklakeConfig } from '../core/config';
import { ERASURE_LIST_MAX_AGE_MS } from '../core/erasure';
import { createBronzeDecoder } from './bronze/decode';
import { ErasureListCache } from './erasure/list';
import { BRONZE_GROUP, runIngest } from './bronze/ingest';
import type { IngestInput, IngestProgress } from './bronze/types';
import { hasObjects } from './s3Objects';
import type { SchemaRegistryClient } from './schemaRegistry';

export { BRONZE_GROUP } from './bronze/ingest';
export { encodeBronzeObject, putBronzeObject, readManifest } from './bronze/objects';
export type { IngestInput, IngestProgress } from './bronze/types';

export interface BronzeDeps {
  readonly config: ClicklakeConfig;
  readonly s3: S3Client;
  readonly kafka: Kafka;
  readonly registry: SchemaRegistryClient;
}

/** Whether Bronze holds any event of the hour (its hour index has a marker). */
export function hourHasEvents(s3: S3Client, bucket: string, hour: string): Promise<boolean> {
  return hasObjects(s3, bucket, hourIndexPrefix(hour));
}

/** The Bronze activities; each step lives in activities/bronze/ (decode, writeRange, session, ingest). */
export function createBronzeActivities(deps: BronzeDeps) {
  const { config, s3, kafka, registry } = deps;
  const topic = config.kafka.eventsTopic;
  const bucket = config.s3.bucket;
  const decode = createBronzeDecoder(topic, registry);
  const erasureList = new ErasureListCache(s3, bucket, ERASURE_LIST_MAX_AGE_MS);
  const erasure = { rule: () => erasureList.current(), hmacKey: config.pii.hmacKey };

  return {
    /** Consumes until `runForMs` passes or the activity is cancelled; returns what it wrote. */
    async runBronzeIngest(input: IngestInput): Promise<IngestProgress> {
      const ctx = Context.current();
      return runIngest(
        { kafka, s3, bucket, topic, deadLetterTopic: config.kafka.deadLetterTopic, decode, erasure },
        input,
        { heartbeat: (progress) => ctx.heartbeat(progress), cancellationSignal: ctx.cancellationSignal, log },
      );
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
