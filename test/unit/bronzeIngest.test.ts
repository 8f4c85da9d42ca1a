import type { S3Client } from '@aws-sdk/client-s3';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { BronzeDecoder } from '../../activities/bronze/decode';
import { runIngest } from '../../activities/bronze/ingest';
import type { StepLog } from '../../activities/bronze/types';
import { watchUnhandledRejections } from '../support/unhandledRejections';

/**
 * A Kafka stand-in: the consumer hands one batch to eachBatch, then (as a rebalance would) fires
 * GROUP_JOIN, whose forced flush runs in the background of the event.
 */
function kafkaWithOneBatchThenRebalance(): Kafka {
  const listeners = new Map<string, () => void>();
  const consumer = {
    events: { GROUP_JOIN: 'consumer.group_join' },
    connect: async () => undefined,
    disconnect: async () => undefined,
    subscribe: async () => undefined,
    on: (event: string, listener: () => void) => listeners.set(event, listener),
    commitOffsets: async () => undefined,
    run: async ({ eachBatch }: { eachBatch: (payload: unknown) => Promise<void> }) => {
      const messages = [0, 1, 2].map((offset) => ({ offset: String(offset), key: null, value: Buffer.from('x'), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage);
      await eachBatch({ batch: { partition: 4, messages }, heartbeat: async () => undefined, resolveOffset: () => undefined });
      setTimeout(() => listeners.get('consumer.group_join')?.(), 10);
    },
  };
  const producer = { connect: async () => undefined, disconnect: async () => undefined, send: async () => [] };
  return { consumer: () => consumer, producer: () => producer } as unknown as Kafka;
}

describe('Bronze ingest run', () => {
  it('fails with the S3 error of the flush a rebalance started, instead of an unhandled rejection', async () => {
    const unhandled = watchUnhandledRejections();
    try {
      const s3Down = new Error('PutObject: connect ECONNREFUSED 127.0.0.1:9000');
      const s3 = {
        send: async (command: { constructor: { name: string } }) => {
          if (command.constructor.name === 'ListObjectsV2Command') return { Contents: [] };
          throw s3Down;
        },
      } as unknown as S3Client;
      const decode: BronzeDecoder = async (partition, message) => ({
        ok: false,
        letter: { source: 'bronze_ingest', reason: 'bad_framing', errors: ['x'], topic: 't', partition, offset: message.offset, key_base64: null, value_base64: null },
      });
      const logs: string[] = [];
      const log: StepLog = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
      const outcome = await runIngest(
        { kafka: kafkaWithOneBatchThenRebalance(), s3, bucket: 'b', topic: 't', deadLetterTopic: 'dl', decode },
        { maxRecordsPerObject: 1000, maxAgeMs: 60_000, runForMs: 30_000 },
        { heartbeat: () => undefined, cancellationSignal: new AbortController().signal, log },
      ).then(
        () => 'returned',
        (err: unknown) => err,
      );
      expect(outcome).toBe(s3Down);
      expect(unhandled.seen).toEqual([]);
      expect(logs).toEqual(['bronze ingest: start', 'bronze ingest: a step failed; the activity fails with its error', 'bronze ingest: stop']);
    } finally {
      unhandled.stop();
    }
  });
});
