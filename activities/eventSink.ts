/**
 * Writes accepted events (Avro, Confluent framing) and dead letters to Kafka and resolves each
 * caller only once Kafka has acknowledged every one of its messages (acks=all): the collector's 200
 * waits on this.
 *
 * Client: @platformatic/kafka, measured side by side with kafkajs in bench/collector (BENCHMARKS.md):
 * 2.8x less CPU per produced event. Its idempotent producer refuses concurrent produce calls (the
 * broker answers OUT_OF_ORDER_SEQUENCE_NUMBER), so this sink runs one produce call at a time and
 * gathers everything the concurrent requests handed it meanwhile into that call (micro-batching,
 * like librdkafka's linger). One call in flight also keeps per-partition order across retries.
 */
import type { Type } from 'avsc';
import { ProduceAcks, Producer } from '@platformatic/kafka';
import type { KafkaConfig } from '../core/config';
import { deadLetterMessage, type DeadLetter } from '../core/deadLetter';
import type { WireEvent } from '../core/eventWire';
import { messageKey, murmur2, toPositive, type HotKeyPolicy } from '../core/partitioning';
import { HEADER_BYTES, MAGIC_BYTE } from '../core/wireFormat';
import { useOwnProduceEncoder } from './kafkaProduce';
import type { EventRecord } from '../schemas/eventRecord';

export interface EventSinkOptions {
  readonly eventsTopic: string;
  readonly deadLetterTopic: string;
  /** Partition counts, so keys map to partitions exactly as core/partitioning (Kafka's murmur2) says. */
  readonly partitions: Readonly<Record<string, number>>;
  readonly schemaId: number;
  readonly avroType: Type;
  readonly hotKeys?: HotKeyPolicy;
  /** Most messages one produce call carries. */
  readonly maxBatchMessages?: number;
  /** Told of errors no caller waits for (closing a producer that failed); default: none kept. */
  readonly onBackgroundError?: (what: string, err: unknown) => void;
}

export interface OutgoingMessage {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer | undefined;
  readonly value: Buffer;
  readonly headers?: Map<Buffer, Buffer>;
}

interface Pending {
  readonly messages: OutgoingMessage[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export type KafkaProducer = Producer<Buffer, Buffer, Buffer, Buffer>;

/**
 * An idempotent acks=all producer. Its Produce requests are written by clicklake's encoder
 * (activities/kafkaProduce.ts, measured in bench/collector) unless `produceEncoder` is `client`, or
 * the installed client does not expose the hook; `onFallback` is told of the latter.
 */
export function createProducer(config: KafkaConfig, clientId: string, onFallback?: (why: string) => void): KafkaProducer {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
    clientId,
    bootstrapBrokers: [...config.brokers],
    idempotent: true,
    acks: ProduceAcks.ALL,
    retries: 5,
    retryDelay: 300,
    autocreateTopics: false,
  });
  if (config.produceEncoder === 'own' && !useOwnProduceEncoder(producer)) {
    onFallback?.('this @platformatic/kafka has no API lookup to hook: Produce requests use the client encoder');
  }
  return producer;
}

/** Partition counts of topics, from the cluster's metadata. */
export async function partitionCounts(producer: KafkaProducer, topics: readonly string[]): Promise<Record<string, number>> {
  const metadata = await producer.metadata({ topics: [...topics] });
  return Object.fromEntries(topics.map((t) => [t, metadata.topics.get(t)?.partitionsCount ?? 0]));
}

export class EventSink {
  private queue: Pending[] = [];
  private pumping = false;
  /** One reusable scratch buffer for Avro encoding: each value is copied out once, header included. */
  private scratch = Buffer.allocUnsafe(64 * 1024);

  private producer: KafkaProducer;

  /**
   * `newProducer` is called again after a failed produce call: a fresh idempotent producer gets a new
   * producer id, so sequence numbers burnt by the failed call cannot wedge every later call.
   */
  constructor(
    private readonly newProducer: () => KafkaProducer,
    private readonly options: EventSinkOptions,
  ) {
    this.producer = newProducer();
    for (const topic of [options.eventsTopic, options.deadLetterTopic]) {
      if (!((options.partitions[topic] ?? 0) > 0)) throw new Error(`topic ${topic} has no partitions (does it exist?)`);
    }
  }

  /** Confluent framing (magic byte, schema id) and the Avro body, in one allocation. */
  private frameEvent(event: EventRecord): Buffer {
    for (;;) {
      this.scratch[0] = MAGIC_BYTE;
      this.scratch.writeInt32BE(this.options.schemaId, 1);
      const end = this.options.avroType.encode(event, this.scratch, HEADER_BYTES);
      if (end > 0) return Buffer.from(this.scratch.subarray(0, end));
      this.scratch = Buffer.allocUnsafe(this.scratch.length * 2); // avsc returns a negative size when it did not fit
    }
  }

  /** The registry id of the event schema, which framed values carry. */
  get schemaId(): number {
    return this.options.schemaId;
  }

  /** Kafka's default partitioner (core/partitioning partitionFor) on the key's UTF-8 bytes, encoded once. */
  private partitionOf(topic: string, key: Buffer | undefined): number {
    const count = this.options.partitions[topic] as number;
    // Keyless dead letters (no event_id) spread by nothing in particular: partition 0 is as good as any.
    return key === undefined ? 0 : toPositive(murmur2(key)) % count;
  }

  encode(event: EventRecord): OutgoingMessage {
    const key = Buffer.from(messageKey(event, this.options.hotKeys));
    return { topic: this.options.eventsTopic, partition: this.partitionOf(this.options.eventsTopic, key), key, value: this.frameEvent(event) };
  }

  /** An event core/eventWire already framed: keyed by its user_id bytes in the body (salted for a hot user). */
  encodeWire(body: Buffer, event: WireEvent): OutgoingMessage {
    const key =
      this.options.hotKeys === undefined
        ? body.subarray(event.keyStart, event.keyEnd)
        : Buffer.from(
            messageKey({ user_id: body.toString('utf8', event.keyStart, event.keyEnd), event_id: body.toString('utf8', event.idStart, event.idEnd) }, this.options.hotKeys),
          );
    const value = Buffer.isBuffer(event.value) ? event.value : Buffer.from(event.value.buffer, event.value.byteOffset, event.value.byteLength);
    return { topic: this.options.eventsTopic, partition: this.partitionOf(this.options.eventsTopic, key), key, value };
  }

  encodeDeadLetter(letter: DeadLetter): OutgoingMessage {
    const m = deadLetterMessage(letter);
    const topic = this.options.deadLetterTopic;
    const key = m.key === null ? undefined : Buffer.from(m.key);
    return {
      topic,
      partition: this.partitionOf(topic, key),
      key,
      value: Buffer.from(m.value),
      headers: new Map(Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
    };
  }

  /** Resolves when Kafka has acknowledged every message of this call (acks=all). */
  publish(events: readonly EventRecord[], deadLetters: readonly DeadLetter[]): Promise<void> {
    return this.publishMessages([...events.map((e) => this.encode(e)), ...deadLetters.map((d) => this.encodeDeadLetter(d))]);
  }

  /** Messages from encode, encodeWire and encodeDeadLetter; resolves when Kafka has acknowledged them all (acks=all). */
  publishMessages(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      if (!this.pumping) void this.pump();
    });
  }

  private lastProduceOk = true;

  /** False after a produce call failed, until one succeeds again (for /healthz). */
  get healthy(): boolean {
    return this.lastProduceOk;
  }

  async close(): Promise<void> {
    while (this.pumping) await new Promise((r) => setTimeout(r, 50));
    await this.producer.close();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    const max = this.options.maxBatchMessages ?? 20_000;
    try {
      while (this.queue.length > 0) {
        const batch: Pending[] = [];
        let count = 0;
        while (this.queue.length > 0 && (batch.length === 0 || count + (this.queue[0] as Pending).messages.length <= max)) {
          const next = this.queue.shift() as Pending;
          batch.push(next);
          count += next.messages.length;
        }
        try {
          await this.producer.send({ messages: batch.flatMap((p) => p.messages) });
          this.lastProduceOk = true;
          for (const p of batch) p.resolve();
        } catch (err) {
          this.lastProduceOk = false;
          for (const p of batch) p.reject(err);
          const failed = this.producer;
          this.producer = this.newProducer();
          // The batch's callers already have the produce error; a failure to close the old producer is reported aside.
          await failed.close().catch((closeErr: unknown) => this.options.onBackgroundError?.('close failed producer', closeErr));
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}
