/**
 * Write step of Bronze ingestion: one buffered range of a partition becomes durable (its dead letters
 * on the dead-letter topic, then the object, its hour index and its manifest in S3). Records of
 * erased users (core/erasure.ts) never reach the object: the manifest counts them by hour instead.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { KafkaMessage, Producer } from 'kafkajs';
import { parseOffset } from '../../core/bronze';
import { deadLetterMessage } from '../../core/deadLetter';
import { isErased, type ErasureRule } from '../../core/erasure';
import { userKey } from '../../core/silver';
import { hourKey } from '../../core/time';
import type { BronzeRecord } from '../../core/bronze';
import type { BronzeDecoder, Decoded } from './decode';
import { putBronzeObject } from './objects';
import type { WrittenRange } from './types';

export interface RangeWriterDeps {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly bucket: string;
  readonly s3: S3Client;
  readonly decode: BronzeDecoder;
  readonly producer: Pick<Producer, 'send'>;
  /**
   * The erasure list now (activities/erasure/list.ts ErasureListCache) and the PII key: records it
   * erases are left out of the object and counted in its manifest. Absent: nothing is erased.
   */
  readonly erasure?: { readonly rule: () => Promise<ErasureRule>; readonly hmacKey: string };
}

/** Most user_keys remembered between ranges (users send many events; an HMAC costs about a microsecond). */
const USER_KEY_CACHE = 100_000;
const userKeys = new Map<string, string>();

function cachedUserKey(hmacKey: string, userId: string): string {
  let key = userKeys.get(userId);
  if (key === undefined) {
    if (userKeys.size >= USER_KEY_CACHE) userKeys.clear();
    key = userKey(hmacKey, userId);
    userKeys.set(userId, key);
  }
  return key;
}

/**
 * The records the erasure list keeps, and by hour how many it erased. An empty list (the usual case)
 * costs nothing: no HMAC is computed.
 */
export function withoutErased(records: readonly BronzeRecord[], rule: ErasureRule, hmacKey: string): { kept: BronzeRecord[]; erased: Record<string, number> } {
  if (rule.size === 0) return { kept: [...records], erased: {} };
  const kept: BronzeRecord[] = [];
  const erased: Record<string, number> = {};
  for (const record of records) {
    const { user_id: userId, event_time: eventTime } = record.event;
    if (typeof userId === 'string' && isErased(rule, cachedUserKey(hmacKey, userId), eventTime)) {
      const hour = hourKey(eventTime);
      erased[hour] = (erased[hour] ?? 0) + 1;
    } else kept.push(record);
  }
  return { kept, erased };
}

/** Writes one range durably (dead letters, then object, hour index, manifest). Returns its manifest. */
export async function writeRange(deps: RangeWriterDeps, partition: number, messages: readonly KafkaMessage[]): Promise<WrittenRange> {
  // Decoded at once once the writer schema is known; only the first messages of a new schema id wait on the registry.
  const answers = messages.map((m) => deps.decode(partition, m));
  const decoded = answers.some((a) => a instanceof Promise) ? await Promise.all(answers) : (answers as Decoded[]);
  const decodedRecords = decoded.flatMap((d) => (d.ok ? [d.record] : []));
  // The list is read after the decode, just before the commit: a request written before this moment is applied.
  const { kept: records, erased } = deps.erasure === undefined ? { kept: decodedRecords, erased: {} } : withoutErased(decodedRecords, await deps.erasure.rule(), deps.erasure.hmacKey);
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
  const manifest = await putBronzeObject(deps.s3, deps.bucket, range, records, { erased });
  return { manifest, deadLetters: letters.length };
}
