/** Bronze objects and manifests in S3: encode, write (object, hour index, manifest), read back, find. */
import { compress as zstdCompress } from '@mongodb-js/zstd';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  bronzeObjectKey,
  buildManifest,
  formatBronzeLine,
  hourIndexKey,
  manifestHours,
  manifestKey,
  manifestPrefixFrom,
  parseManifest,
  type BronzeManifest,
  type BronzeRange,
  type BronzeRecord,
} from '../../core/bronze';
import { compareText } from '../../core/text';
import { EVENT_FIELDS, type EventRecord } from '../../schemas/eventRecord';
import { requireBytes } from '../s3Objects';

/** zstd level of Bronze objects: 3 (zstd's default) compresses about as small as gzip -6, several times faster. */
const ZSTD_LEVEL = 3;

/** Event fields in schema order, each with its JSON key text. */
const LINE_FIELDS = Object.entries(EVENT_FIELDS).map(([name, spec]) => ({ name: name as keyof EventRecord, key: `${JSON.stringify(name)}:`, map: spec.type === 'map<string>' }));

/** A copy of a string map with its keys sorted, as core/bronze formatBronzeLine writes maps. */
function sortedMap(map: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => compareText(a, b)));
}

/**
 * formatBronzeLine's line (core/bronze.ts: the envelope, then the event's set fields in schema
 * order, map keys sorted), written as text without building the object JSON.stringify would walk:
 * each value goes through JSON.stringify alone, so it comes out as it would inside the object.
 * test/unit/bronzeEncode.test.ts holds the two equal; an envelope that is not plain numbers and a
 * topic string takes formatBronzeLine itself.
 */
function bronzeLine(record: BronzeRecord): string {
  const { topic, partition, offset, kafka_timestamp_ms: timestamp, schema_id: schemaId, received_time: received } = record;
  if (typeof topic !== 'string' || typeof partition !== 'number' || typeof offset !== 'number' || typeof timestamp !== 'number' || typeof schemaId !== 'number' || typeof received !== 'number') {
    return formatBronzeLine(record);
  }
  let event = '';
  for (const field of LINE_FIELDS) {
    const value = record.event[field.name];
    if (value === null || value === undefined) continue;
    const text = JSON.stringify(field.map ? sortedMap(value as Readonly<Record<string, string>>) : value);
    event += event === '' ? field.key + text : `,${field.key}${text}`;
  }
  return `{"topic":${JSON.stringify(topic)},"partition":${JSON.stringify(partition)},"offset":${JSON.stringify(offset)},"kafka_timestamp_ms":${JSON.stringify(timestamp)},"schema_id":${JSON.stringify(schemaId)},"received_time":${JSON.stringify(received)},"event":{${event}}}`;
}

/**
 * The bytes of a Bronze object of these records: their NDJSON lines, zstd-compressed. The lines are
 * written one by one into one buffer (grown when a line might not fit), not joined into one string.
 */
export function encodeBronzeObject(records: readonly BronzeRecord[]): Promise<Buffer> {
  let buffer = Buffer.allocUnsafe(Math.max(4096, records.length * 640));
  let at = 0;
  for (const record of records) {
    const line = bronzeLine(record);
    // A UTF-16 code unit is at most 3 bytes of UTF-8; one more for the newline.
    if (buffer.length - at < line.length * 3 + 1) {
      const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, at + line.length * 3 + 1));
      buffer.copy(grown, 0, 0, at);
      buffer = grown;
    }
    at += buffer.write(line, at, 'utf8');
    buffer[at++] = 0x0a;
  }
  return zstdCompress(buffer.subarray(0, at), ZSTD_LEVEL);
}

/** A Bronze manifest read back from the lake (parsed, never cast). */
export async function readManifest(s3: S3Client, bucket: string, key: string): Promise<BronzeManifest> {
  return parseManifest(JSON.parse((await requireBytes(s3, bucket, key)).toString('utf8')));
}

/**
 * Writes the records of a range as one Bronze object, then its hour-index markers, then its manifest
 * (the commit point): a crash before the manifest leaves nothing a promotion reads, and a retry
 * rewrites the same keys. An erasure's rewrite (`rewrite` ≥ 1) writes a new object key and replaces
 * the manifest in one PUT. Returns the manifest.
 */
export async function putBronzeObject(
  s3: S3Client,
  bucket: string,
  range: BronzeRange,
  records: readonly BronzeRecord[],
  options: { readonly erased?: Readonly<Record<string, number>>; readonly rewrite?: number } = {},
): Promise<BronzeManifest> {
  const objectKey = bronzeObjectKey(range, 'zstd', options.rewrite ?? 0);
  const body = await encodeBronzeObject(records);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: body, ContentType: 'application/x-ndjson', ContentEncoding: 'zstd' }));
  const manifest = buildManifest(records, { ...range, bytes: body.length, ...options });
  // A marker for every hour the range touched, erased records' hours too: the hour's ledger counts them.
  await Promise.all(manifestHours(manifest).map((hour) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: hourIndexKey(hour, range), Body: '' }))));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKey(objectKey), Body: JSON.stringify(manifest), ContentType: 'application/json' }));
  return manifest;
}

/** The manifest of a range an earlier attempt wrote starting at `firstOffset`, if there is one. */
export async function existingManifestFrom(s3: S3Client, bucket: string, topic: string, partition: number, firstOffset: number): Promise<BronzeManifest | undefined> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: manifestPrefixFrom(topic, partition, firstOffset), MaxKeys: 10 }));
  const key = listed.Contents?.[0]?.Key;
  if (key === undefined) return undefined;
  return readManifest(s3, bucket, key);
}
