/**
 * Run by test/unit/kafkaProduceRequest.test.ts as a plain Node process (jest cannot load the
 * ES-module Kafka client): clicklake's Produce v11 encoder against @platformatic/kafka's own
 * createRequest for the same messages, byte for byte (the client is the independent reference).
 * Prints one JSON document: { cases, mismatches: [...], hookFound, hookInstalled, wrappedOthers }.
 * `node dist/test/support/produceEncoderCheck.js break` corrupts our output first (the test checks
 * the comparison can fail).
 */
import { crc32c, NumericMap, produceV11, Producer } from '@platformatic/kafka';
import { produceRequestV11, type ProduceRecord } from '../../core/kafkaProduceRequest';
import { produceHookAvailable, useOwnProduceEncoder } from '../../activities/kafkaProduce';
import { createRng, type Rng } from '../../core/random';

const TS = 1_764_000_000_123n;

function reference(records: ProduceRecord[], sequences: NumericMap, producerId: bigint, producerEpoch: number): Buffer {
  const messages = records.map((r) => ({ ...r, headers: r.headers ?? new Map(), timestamp: TS }));
  return produceV11.createRequest(-1, 30_000, messages as never, { producerId, producerEpoch, sequences } as never).buffer;
}

function ours(records: ProduceRecord[], sequences: NumericMap, producerId: bigint, producerEpoch: number): Buffer {
  return produceRequestV11(records, {
    acks: -1,
    timeoutMs: 30_000,
    producerId,
    producerEpoch,
    timestampMs: TS,
    firstSequence: (t, p) => sequences.getWithDefault(`${t}:${p}`, 0),
    crc32c: (b) => crc32c(b),
  });
}

function randomBytes(rng: Rng, max: number): Buffer {
  const n = rng.int(0, max);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(0, 255);
  return b;
}

function randomRecords(seed: number, count: number): ProduceRecord[] {
  const rng = createRng(seed);
  const topics = ['clicklake.events', 'clicklake.dead-letters', 't'];
  return Array.from({ length: count }, () => {
    const headers = rng.next() < 0.2 ? new Map([[Buffer.from('reason'), randomBytes(rng, 40)], [randomBytes(rng, 8), Buffer.alloc(0)]]) : undefined;
    return {
      topic: topics[rng.int(0, topics.length - 1)] as string,
      partition: rng.int(0, 11),
      key: rng.next() < 0.1 ? undefined : randomBytes(rng, 40),
      // Values past 127 and 16,383 bytes take 2- and 3-byte varint lengths.
      value: randomBytes(rng, rng.next() < 0.05 ? 40_000 : 600),
      ...(headers === undefined ? {} : { headers }),
    };
  });
}

async function main(): Promise<void> {
  const corrupt = process.argv[2] === 'break';
  const mismatches: string[] = [];
  let cases = 0;
  const check = (name: string, records: ProduceRecord[], seq: NumericMap, id: bigint, epoch: number): void => {
    cases++;
    const a = ours(records, seq, id, epoch);
    if (corrupt && a.length > 30) a.writeUInt8(a.readUInt8(a.length - 3) ^ 1, a.length - 3);
    const b = reference(records, seq, id, epoch);
    if (!a.equals(b)) mismatches.push(`${name}: ${a.length} bytes against the client's ${b.length}`);
  };
  check('one message', [{ topic: 'clicklake.events', partition: 3, key: Buffer.from('u1'), value: Buffer.from('v') }], new NumericMap(), 7n, 0);
  check('no producer id', randomRecords(99, 10), new NumericMap(), -1n, 0);
  for (let seed = 1; seed <= 40; seed++) {
    const seq = new NumericMap([['clicklake.events:3', 1234], ['t:0', 2_000_000_000]]);
    check(`random ${seed}`, randomRecords(seed, 1 + ((seed * 37) % 700)), seq, BigInt(seed) * 1_000_003n, seed % 5);
  }
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'check', bootstrapBrokers: ['127.0.0.1:1'] });
  const hookFound = produceHookAvailable(producer);
  const hookInstalled = useOwnProduceEncoder(producer);
  await producer.close();
  process.stdout.write(JSON.stringify({ cases, mismatches, hookFound, hookInstalled }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
