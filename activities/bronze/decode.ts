/**
 * Decoding step of Bronze ingestion: a Kafka message becomes a Bronze record, or a dead letter that
 * says why not (bad framing, a schema id the registry does not know, an undecodable body).
 */
import type { Type } from 'avsc';
import type { KafkaMessage } from 'kafkajs';
import { parseOffset, type BronzeRecord } from '../../core/bronze';
import type { ConsumerDeadLetter } from '../../core/deadLetter';
import { errorMessage } from '../../core/errors';
import { unframe } from '../../core/wireFormat';
import { eventAvroType } from '../../schemas/event';
import type { EventRecord } from '../../schemas/eventRecord';
import type { SchemaRegistryClient } from '../schemaRegistry';

export type Decoded = { ok: true; record: BronzeRecord } | { ok: false; letter: ConsumerDeadLetter };

export type BronzeDecoder = (partition: number, message: KafkaMessage) => Promise<Decoded>;

/** A decoder of the topic's messages into the current reader schema, one cached resolver per writer schema id. */
export function createBronzeDecoder(topic: string, registry: Pick<SchemaRegistryClient, 'writerType'>): BronzeDecoder {
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
      // A failed lookup is not cached (the next message asks again); its error reaches the caller of decode.
      found.catch(() => resolvers.delete(schemaId));
      resolvers.set(schemaId, found);
    }
    return found;
  }

  return async (partition, message) => {
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
  };
}
