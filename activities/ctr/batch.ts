/**
 * Batch step of the CTR consumer: skip what is known applied, decode the rest, send the malformed
 * to the dead-letter topic (durable before the batch is applied), then apply.
 */
import type { KafkaMessage } from 'kafkajs';
import type { CtrRecord } from '../../core/ctr';
import { deadLetterMessage, type ConsumerDeadLetter } from '../../core/deadLetter';
import { applyRecords } from './apply';
import { seek } from './offsets';
import type { CtrRun } from './run';

/** Decodes the messages from `start`; the malformed become null records and dead letters. */
async function decodeFrom(run: CtrRun, partition: number, messages: readonly KafkaMessage[], start: number): Promise<{ records: CtrRecord[]; letters: ConsumerDeadLetter[] }> {
  const records: CtrRecord[] = new Array<CtrRecord>(messages.length - start);
  const letters: ConsumerDeadLetter[] = [];
  for (let i = start; i < messages.length; i++) {
    const message = messages[i] as KafkaMessage;
    const offset = Number(message.offset);
    const decoded = run.decoder.decodeLoaded(message.value) ?? (await run.decoder.decode(message.value));
    if (decoded.ok) {
      records[i - start] = { offset, event: decoded.event };
      continue;
    }
    records[i - start] = { offset, event: null };
    letters.push({
      source: 'ctr_consumer',
      reason: decoded.reason,
      errors: [decoded.error],
      topic: run.settings.topic,
      partition,
      offset: message.offset,
      key_base64: message.key ? message.key.toString('base64') : null,
      value_base64: message.value ? message.value.toString('base64') : null,
    });
  }
  return { records, letters };
}

export async function handleBatch(run: CtrRun, partition: number, messages: readonly KafkaMessage[]): Promise<void> {
  const known = run.applied.get(partition) ?? -1;
  let start = 0;
  while (start < messages.length && Number((messages[start] as KafkaMessage).offset) <= known) start++;
  run.progress.records += messages.length;
  run.progress.batches++;
  if (start === messages.length) {
    seek(run, partition, known + 1); // all applied already: skip ahead instead of reading it all again
    return;
  }
  const { records, letters } = await decodeFrom(run, partition, messages, start);
  if (letters.length > 0) {
    await run.producer.send({ topic: run.settings.deadLetterTopic, acks: -1, messages: letters.map(deadLetterMessage) });
    run.progress.deadLetters += letters.length;
    run.log('ctr consumer: dead letters written', { partition, count: letters.length, reasons: [...new Set(letters.map((l) => l.reason))] });
  }
  await applyRecords(run, partition, records);
}
