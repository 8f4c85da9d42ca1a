/**
 * Writes accepted events (Avro, Confluent framing) and dead letters to Kafka in one produce call,
 * with acks from all in-sync replicas and the idempotent producer, and resolves only once Kafka has
 * acknowledged every message: the collector's 200 waits on this.
 */
import type { Type } from 'avsc';
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { deadLetterMessage, type DeadLetter } from '../core/deadLetter';
import { messageKey, type HotKeyPolicy } from '../core/partitioning';
import { frame } from '../core/wireFormat';
import type { EventRecord } from '../schemas/eventRecord';

export interface EventSinkOptions {
  readonly eventsTopic: string;
  readonly deadLetterTopic: string;
  readonly schemaId: number;
  readonly avroType: Type;
  readonly hotKeys?: HotKeyPolicy;
}

export function createIdempotentProducer(kafka: Kafka): Producer {
  // Idempotent: broker-side sequence numbers drop a retried batch it already has, so the producer's own
  // retries never duplicate. Retries are unbounded (kafkajs's default for idempotence); the collector
  // bounds how long a client waits instead, and its in-flight budget bounds the memory this holds.
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5000 },
  });
}

export class EventSink {
  constructor(
    private readonly producer: Producer,
    private readonly options: EventSinkOptions,
  ) {}

  encode(event: EventRecord): Message {
    return {
      key: messageKey(event, this.options.hotKeys),
      value: frame(this.options.schemaId, this.options.avroType.toBuffer(event)),
      timestamp: String(event.received_time),
    };
  }

  /** Resolves when Kafka has acknowledged every message (acks=all). */
  async publish(events: readonly EventRecord[], deadLetters: readonly DeadLetter[]): Promise<void> {
    const topicMessages = [];
    if (events.length > 0) topicMessages.push({ topic: this.options.eventsTopic, messages: events.map((e) => this.encode(e)) });
    if (deadLetters.length > 0) topicMessages.push({ topic: this.options.deadLetterTopic, messages: deadLetters.map(deadLetterMessage) });
    if (topicMessages.length === 0) return;
    await this.producer.sendBatch({ topicMessages, acks: -1, compression: CompressionTypes.None });
  }
}
