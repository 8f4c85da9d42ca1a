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
import { requireBytes } from '../s3Objects';

/** zstd level of Bronze objects: 3 (zstd's default) compresses about as small as gzip -6, several times faster. */
const ZSTD_LEVEL = 3;

/** The bytes of a Bronze object of these records: their NDJSON lines, zstd-compressed. */
export function encodeBronzeObject(records: readonly BronzeRecord[]): Promise<Buffer> {
  return zstdCompress(Buffer.from(records.map((r) => `${formatBronzeLine(r)}\n`).join(''), 'utf8'), ZSTD_LEVEL);
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
