/**
 * Kafka Produce request v11 body (after the request header), written into one Buffer sized up front:
 * the record batches (format v2, uncompressed, idempotent producer fields) of every partition and the
 * request around them. Byte for byte what @platformatic/kafka's produce-v11 createRequest writes for
 * the same messages (test/unit/kafkaProduceRequest.test.ts compares the two), without its per-record
 * Writer, per-varint Buffer and the two copies of each batch.
 *
 * Wire format: https://kafka.apache.org/documentation/#recordbatch and the Produce request schema.
 */

export interface ProduceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer | null | undefined;
  readonly value: Buffer;
  readonly headers?: ReadonlyMap<Buffer, Buffer>;
}

export interface ProduceBatchOptions {
  readonly acks: number;
  readonly timeoutMs: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** Timestamp of every record (the batch's first and max timestamp; each record's delta is 0). */
  readonly timestampMs: bigint;
  /** First sequence number of the batch for `topic:partition` (idempotent producer); 0 when absent. */
  readonly firstSequence: (topic: string, partition: number) => number;
  /** CRC-32C of a byte range (the batch from its attributes to its end). */
  readonly crc32c: (bytes: Buffer) => number;
}

/** Bytes of the batch header from baseOffset to the record count, records excluded. */
const BATCH_HEADER_BYTES = 61;
/** Offset of the attributes field: the CRC covers from here to the batch's end. */
const CRC_START = 21;
const MAGIC = 2;

function zigzag(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

function uvarintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n >>>= 7;
    size++;
  }
  return size;
}

function varintSize(n: number): number {
  return uvarintSize(zigzag(n));
}

function writeUvarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  return writeUvarint(buf, pos, zigzag(n));
}

function bytesSize(b: Buffer | null | undefined): number {
  return b == null ? 1 : varintSize(b.length) + b.length;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null | undefined): number {
  if (b == null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

/** Size of one record's body (attributes to headers), which its varint length prefix counts. */
function recordBodySize(r: ProduceRecord, offsetDelta: number): number {
  let size = 1 + 1 + varintSize(offsetDelta) + bytesSize(r.key) + bytesSize(r.value);
  const headers = r.headers;
  size += varintSize(headers === undefined ? 0 : headers.size);
  if (headers !== undefined) for (const [k, v] of headers) size += bytesSize(k) + bytesSize(v);
  return size;
}

function writeRecord(buf: Buffer, pos: number, r: ProduceRecord, offsetDelta: number, bodySize: number): number {
  pos = writeVarint(buf, pos, bodySize);
  buf[pos++] = 0; // attributes
  buf[pos++] = 0; // timestamp delta: every record carries the batch's timestamp
  pos = writeVarint(buf, pos, offsetDelta);
  pos = writeBytes(buf, pos, r.key);
  pos = writeBytes(buf, pos, r.value);
  const headers = r.headers;
  pos = writeVarint(buf, pos, headers === undefined ? 0 : headers.size);
  if (headers !== undefined) {
    for (const [k, v] of headers) {
      pos = writeBytes(buf, pos, k);
      pos = writeBytes(buf, pos, v);
    }
  }
  return pos;
}

interface PartitionPlan {
  readonly partition: number;
  readonly records: ProduceRecord[];
  bodySizes: number[];
  batchBytes: number;
}

/**
 * Messages grouped by topic in first-seen order, then by partition in ascending order, each
 * partition's messages in their order: the layout the client writes (its grouping goes through an
 * object's keys, which orders integer keys).
 */
function plan(records: readonly ProduceRecord[]): Map<string, PartitionPlan[]> {
  const byTopic = new Map<string, Map<number, PartitionPlan>>();
  for (const r of records) {
    let partitions = byTopic.get(r.topic);
    if (partitions === undefined) byTopic.set(r.topic, (partitions = new Map()));
    let p = partitions.get(r.partition);
    if (p === undefined) partitions.set(r.partition, (p = { partition: r.partition, records: [], bodySizes: [], batchBytes: 0 }));
    p.records.push(r);
  }
  const topics = new Map<string, PartitionPlan[]>();
  for (const [topic, partitions] of byTopic) {
    const sorted = [...partitions.values()].sort((a, b) => a.partition - b.partition);
    topics.set(topic, sorted);
    for (const p of sorted) {
      let bytes = BATCH_HEADER_BYTES;
      p.bodySizes = p.records.map((r, i) => {
        const body = recordBodySize(r, i);
        bytes += varintSize(body) + body;
        return body;
      });
      p.batchBytes = bytes;
    }
  }
  return topics;
}

function writeBatch(buf: Buffer, start: number, topic: string, p: PartitionPlan, o: ProduceBatchOptions): number {
  const n = p.records.length;
  buf.writeBigInt64BE(0n, start); // base offset
  buf.writeInt32BE(p.batchBytes - 12, start + 8); // batch length: bytes after this field
  buf.writeInt32BE(0, start + 12); // partition leader epoch
  buf[start + 16] = MAGIC;
  // CRC at start + 17, written last
  buf.writeInt16BE(0, start + 21); // attributes: no compression, not transactional
  buf.writeInt32BE(n - 1, start + 23); // last offset delta
  buf.writeBigInt64BE(o.timestampMs, start + 27); // first timestamp
  buf.writeBigInt64BE(o.timestampMs, start + 35); // max timestamp
  buf.writeBigInt64BE(o.producerId, start + 43);
  buf.writeInt16BE(o.producerEpoch, start + 51);
  buf.writeInt32BE(o.firstSequence(topic, p.partition), start + 53);
  buf.writeInt32BE(n, start + 57);
  let pos = start + BATCH_HEADER_BYTES;
  for (let i = 0; i < n; i++) pos = writeRecord(buf, pos, p.records[i] as ProduceRecord, i, p.bodySizes[i] as number);
  buf.writeUInt32BE(o.crc32c(buf.subarray(start + CRC_START, pos)), start + 17);
  return pos;
}

/** The Produce v11 request body for these messages: transactional_id null, acks, timeout, topic data. */
export function produceRequestV11(records: readonly ProduceRecord[], o: ProduceBatchOptions): Buffer {
  const topics = plan(records);
  let size = 1 + 2 + 4 + uvarintSize(topics.size + 1) + 1; // null transactional id, acks, timeout, topics, tags
  const names = new Map<string, Buffer>();
  for (const [topic, partitions] of topics) {
    const name = Buffer.from(topic, 'utf8');
    names.set(topic, name);
    size += uvarintSize(name.length + 1) + name.length + uvarintSize(partitions.length + 1) + 1;
    for (const p of partitions) size += 4 + uvarintSize(p.batchBytes + 1) + p.batchBytes + 1;
  }
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  buf[pos++] = 0; // transactional_id: null (compact nullable string)
  buf.writeInt16BE(o.acks, pos);
  buf.writeInt32BE(o.timeoutMs, pos + 2);
  pos = writeUvarint(buf, pos + 6, topics.size + 1);
  for (const [topic, partitions] of topics) {
    const name = names.get(topic) as Buffer;
    pos = writeUvarint(buf, pos, name.length + 1);
    name.copy(buf, pos);
    pos = writeUvarint(buf, pos + name.length, partitions.length + 1);
    for (const p of partitions) {
      buf.writeInt32BE(p.partition, pos);
      pos = writeUvarint(buf, pos + 4, p.batchBytes + 1);
      pos = writeBatch(buf, pos, topic, p, o);
      buf[pos++] = 0; // partition's tagged fields
    }
    buf[pos++] = 0; // topic's tagged fields
  }
  buf[pos++] = 0; // request's tagged fields
  if (pos !== size) throw new Error(`produce request: wrote ${pos} bytes, sized ${size}`);
  return buf;
}
