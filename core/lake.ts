/**
 * The lake's fixed layout: zones of the bucket and the Presto schemas over them (CONTRACT §3).
 * Pure: names and SQL text only.
 */
export const LAKE_SCHEMAS = ['bronze', 'silver', 'gold', 'audit'] as const;
export type LakeSchema = (typeof LAKE_SCHEMAS)[number];

/** Key prefix of a zone in the bucket; every table of the schema lives below it. */
export function zonePrefix(zone: LakeSchema): string {
  return `${zone}/`;
}

export function zoneLocation(bucket: string, zone: LakeSchema): string {
  return `s3://${bucket}/${zonePrefix(zone)}`;
}

/**
 * Key prefix of the Trino file metastore in the bucket (`hive.metastore.catalog.dir` of the catalog):
 * one `.trinoSchema` JSON object per schema, table and partition.
 */
export const METASTORE_PREFIX = '_metastore/';

/** Marker object that makes a zone visible in S3 browsers before it holds data; `_` hides it from Hive. */
export function zoneMarkerKey(zone: LakeSchema): string {
  return `${zonePrefix(zone)}_zone.json`;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`invalid SQL identifier "${name}": lower-case letters, digits and _ only`);
  return `"${name}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function createSchemaSql(catalog: string, bucket: string, zone: LakeSchema): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(catalog)}.${quoteIdentifier(zone)} WITH (location = ${quoteLiteral(zoneLocation(bucket, zone))})`;
}
