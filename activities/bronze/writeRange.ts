/**
 * Write step of Bronze ingestion: one buffered range of a partition becomes durable (its dead letters
 * on the dead-letter topic, then the object, its hour index and its manifest in S3).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { KafkaMessage, Producer } from 'kafkajs';
import { parseOffset } from '../../core/bronze';
import { deadLetterMessage } from '../../core/deadLetter';
import type { BronzeDecoder } from './decode';
import { putBronzeObject } from './objects';
import type { WrittenRange } from './types';

export interface RangeWriterDeps {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly bucket: string;
  readonly s3: S3Client;
  readonly decode: BronzeDecoder;
  readonly producer: Pick<Producer, 'send'>;
}

/** Writes one range durably (dead letters, then object, hour index, manifest). Returns its manifest. */
export async function writeRange(deps: RangeWriterDeps, partition: number, messages: readonly KafkaMessage[]): Promise<WrittenRange> {
  const decoded = await Promise.all(messages.map((m) => deps.decode(partition, m)));
  const records = decoded.flatMap((d) => (d.ok ? [d.record] : []));
  const letters = decoded.flatMap((d) => (d.ok ? [] : [d.letter]));
  const range = {
    topic: deps.topic,
    partition,
    firstOffset: parseOffset((messages[0] as KafkaMessage).offset),
    lastOffset: parseOffset((messages[messages.length - 1] as KafkaMessage).offset),
  };
  // Dead letters are durable before the manifest commits the range, as the records are.
  if (letters.length > 0) {
    await deps.producer.send({ topic: deps.deadLetterTopic, acks: -1, messages: letters.map(deadLetterMessage) });
  }
  const manifest = await putBronzeObject(deps.s3, deps.bucket, range, records);
  return { manifest, deadLetters: letters.length };
}
