/**
 * clicklake's own encoding of Kafka Produce requests (core/kafkaProduceRequest.ts) inside
 * @platformatic/kafka's producer: the client keeps everything else (metadata, connections, the
 * idempotent producer id and per-partition sequences, retries, response parsing); only the request
 * body is written by us, into one buffer. Measured in bench/collector against the client's own
 * encoder (BENCHMARKS.md): the client allocated a Writer and a DynamicBuffer per record and a Buffer
 * per varint, and copied each batch twice.
 *
 * The client looks APIs up through a private method (symbol `plt.kafka.base.getApi`); this wraps it
 * on one producer instance and answers Produce v11 with the same API key, version and response parser
 * the client would use. When the symbol is missing (another client version), or the broker does not
 * take v11, or a send uses compression, transactions or explicit timestamps, the client's own encoder
 * runs: a slower path, never a different request. test/unit/kafkaProduceRequest.test.ts checks the
 * hook is found on the installed client, so an upgrade that moves it fails a test instead of going
 * quietly slower.
 */
import { createAPI, crc32c, produceV11, Writer, type Producer } from '@platformatic/kafka';
import { produceRequestV11, type ProduceRecord } from '../core/kafkaProduceRequest';

const GET_API = 'plt.kafka.base.getApi';

type ApiCallback = (error: Error | null, api?: { version: number }) => void;
type GetApi = (name: string, callback: ApiCallback) => void;

interface ProduceOptions {
  readonly compression?: string;
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly sequences?: { getWithDefault(key: string, fallback: number): number };
  readonly transactionalId?: string;
}

interface ClientMessage extends ProduceRecord {
  readonly timestamp?: bigint;
}

function createRequest(acks: number, timeout: number, messages: ClientMessage[], options: ProduceOptions = {}): unknown {
  const plain =
    (options.compression === undefined || options.compression === 'none') &&
    options.transactionalId === undefined &&
    messages.every((m) => m.timestamp === undefined);
  if (!plain) return produceV11.createRequest(acks, timeout, messages as never, options as never);
  const sequences = options.sequences;
  const body = produceRequestV11(messages, {
    acks,
    timeoutMs: timeout,
    producerId: options.producerId ?? -1n,
    producerEpoch: options.producerEpoch ?? 0,
    timestampMs: BigInt(Date.now()),
    firstSequence: sequences === undefined ? () => 0 : (topic, partition) => sequences.getWithDefault(`${topic}:${partition}`, 0),
    crc32c: (bytes) => crc32c(bytes),
  });
  const writer = Writer.create().append(body);
  if (acks === 0) writer.context.noResponse = true;
  return writer;
}

const OWN_PRODUCE_V11 = createAPI(0, 11, createRequest as never, produceV11.parseResponse);

function findSymbol(object: object, description: string): symbol | undefined {
  for (let proto: object | null = object; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    const found = Object.getOwnPropertySymbols(proto).find((s) => s.description === description);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Whether the installed client exposes the API lookup this hook wraps. */
export function produceHookAvailable(producer: object): boolean {
  return findSymbol(producer, GET_API) !== undefined;
}

/**
 * Has this producer encode its Produce requests with core/kafkaProduceRequest. Returns false (and
 * changes nothing) when the client's API lookup is not where this version of the hook expects it.
 */
export function useOwnProduceEncoder(producer: Producer<Buffer, Buffer, Buffer, Buffer>): boolean {
  const symbol = findSymbol(producer, GET_API);
  if (symbol === undefined) return false;
  const target = producer as unknown as Record<symbol, GetApi>;
  const original = target[symbol];
  if (typeof original !== 'function') return false;
  const lookup = original.bind(producer);
  target[symbol] = (name, callback) => {
    if (name !== 'Produce') return lookup(name, callback);
    lookup(name, (error, api) => {
      if (error !== null || api?.version !== 11) return callback(error, api);
      callback(null, OWN_PRODUCE_V11);
    });
  };
  return true;
}
