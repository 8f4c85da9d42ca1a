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

/**
 * A decoder of one message. It answers at once (no promise) once it knows the message's writer
 * schema, and with a promise only while it asks the registry for one: a range of 50,000 messages
 * then costs 50,000 decodes, not 50,000 promises.
 */
export type BronzeDecoder = (partition: number, message: KafkaMessage) => Decoded | Promise<Decoded>;

type BodyDecoder = (body: Buffer) => EventRecord;

/** avsc's Type.equals with its `strict` option (its typings leave the option out). */
function strictlyEqual(a: Type, b: Type): boolean {
  return (a.equals as (other: Type, options: { strict: boolean }) => boolean).call(a, b, { strict: true });
}

function deadLetter(topic: string, partition: number, message: KafkaMessage, reason: ConsumerDeadLetter['reason'], error: string): Decoded {
  return {
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
  };
}

function decodeWith(topic: string, partition: number, message: KafkaMessage, schemaId: number, body: Buffer, decodeBody: BodyDecoder): Decoded {
  try {
    const event = decodeBody(body);
    return {
      ok: true,
      record: {
        topic,
        partition,
        offset: parseOffset(message.offset),
        kafka_timestamp_ms: Number(message.timestamp),
        schema_id: schemaId,
        received_time: event.received_time,
        event,
      },
    };
  } catch (err) {
    return deadLetter(topic, partition, message, 'undecodable', `value: ${errorMessage(err)}`);
  }
}

/**
 * A decoder of the topic's messages into the current reader schema, one cached decoder per writer
 * schema id: the reader itself when the writer schema is the same schema (strictly equal: canonical form,
 * defaults and logical types, so
 * the same bytes mean the same record), else Avro schema resolution from the writer to the reader.
 */
export function createBronzeDecoder(topic: string, registry: Pick<SchemaRegistryClient, 'writerType'>): BronzeDecoder {
  const reader = eventAvroType();
  const resolvers = new Map<number, Promise<BodyDecoder>>();
  const known = new Map<number, BodyDecoder>();

  /** Decoder of one writer schema id into the current reader schema. */
  function decoderFor(schemaId: number): Promise<BodyDecoder> {
    let found = resolvers.get(schemaId);
    if (!found) {
      found = registry.writerType(schemaId).then((writer: Type) => {
        let decodeBody: BodyDecoder;
        if (strictlyEqual(writer, reader)) decodeBody = (body) => reader.fromBuffer(body) as EventRecord;
        else {
          const resolver = reader.createResolver(writer);
          decodeBody = (body) => reader.fromBuffer(body, resolver) as EventRecord;
        }
        known.set(schemaId, decodeBody);
        return decodeBody;
      });
      // A failed lookup is not cached (the next message asks again); its error reaches the caller of decode.
      found.catch(() => resolvers.delete(schemaId));
      resolvers.set(schemaId, found);
    }
    return found;
  }

  return (partition, message) => {
    const framed = unframe(message.value);
    if (!framed.ok) return deadLetter(topic, partition, message, 'bad_framing', framed.reason);
    const ready = known.get(framed.schemaId);
    if (ready !== undefined) return decodeWith(topic, partition, message, framed.schemaId, framed.body, ready);
    return decoderFor(framed.schemaId).then(
      (decodeBody) => decodeWith(topic, partition, message, framed.schemaId, framed.body, decodeBody),
      (err: unknown) => deadLetter(topic, partition, message, 'unknown_schema', `schema id ${framed.schemaId}: ${errorMessage(err)}`),
    );
  };
}
