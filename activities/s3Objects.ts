/** Reading objects of the lake bucket: missing objects are `undefined`, not errors, where callers can use that. */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function getText(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  return (await getBytes(s3, bucket, key))?.toString('utf8');
}

/** The object's bytes; a missing object is an error naming it. */
export async function requireBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const bytes = await getBytes(s3, bucket, key);
  if (bytes === undefined) throw new Error(`s3://${bucket}/${key} is missing`);
  return bytes;
}

/** Whether any object has this prefix (one LIST of at most one key). */
export async function hasObjects(s3: S3Client, bucket: string, prefix: string): Promise<boolean> {
  return ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }))).KeyCount ?? 0) > 0;
}
