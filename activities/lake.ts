/**
 * Lake metadata: where a partition is published and the one-step switch to a new version.
 *
 * Trino's file metastore keeps each partition as one object in the bucket
 * (`_metastore/<schema>/<table>/dt=.../hr=.../.trinoSchema`) whose `externalLocation` is where
 * queries read it. The first publish registers the partition through Presto; every later publish
 * rewrites that one object with the new version's location: a single S3 PUT, so a query sees the old
 * version or the new one, never half of either.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { partitionMetadataJson, partitionMetadataKey, registerPartitionSql, type PartitionValues, type TableDef } from '../core/lakeTables';
import type { Presto } from './clients';
import { getText } from './s3Objects';

/** The location readers see for a partition now, or undefined when it was never published. */
export async function publishedLocation<Row extends object>(s3: S3Client, bucket: string, def: TableDef<Row>, values: PartitionValues): Promise<string | undefined> {
  const text = await getText(s3, bucket, partitionMetadataKey(def, values));
  if (text === undefined) return undefined;
  const location = (JSON.parse(text) as { externalLocation?: unknown }).externalLocation;
  return typeof location === 'string' ? location : undefined;
}

/** Points the partition at `location` in one step (see the module comment). */
export async function publishPartition<Row extends object>(
  s3: S3Client,
  presto: Presto,
  bucket: string,
  def: TableDef<Row>,
  values: PartitionValues,
  location: string,
): Promise<'registered' | 'switched'> {
  const key = partitionMetadataKey(def, values);
  if ((await getText(s3, bucket, key)) === undefined) {
    await presto.query(registerPartitionSql(def, values, location));
    return 'registered';
  }
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: partitionMetadataJson(def, location), ContentType: 'application/json' }));
  return 'switched';
}

/** The key of a location `s3://bucket/prefix/` (the prefix), for reading what it holds. */
export function keyOfLocation(location: string, bucket: string): string {
  const head = `s3://${bucket}/`;
  if (!location.startsWith(head)) throw new Error(`location ${location} is not in bucket ${bucket}`);
  return location.slice(head.length);
}
