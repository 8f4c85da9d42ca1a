/**
 * The tables of the lake (CONTRACT §3) in one place: schema, name, columns with their Trino types,
 * partition columns and S3 location, and the SQL and metastore paths built from them. Pure: names,
 * JSON and SQL text only.
 *
 * Type decisions, for Trino's Hive connector reading Parquet that DuckDB writes:
 * - ids, names and enums are `varchar`; counts are `bigint`; `ctr` is `double` (NULL without impressions).
 * - times (`event_time`, `received_time`, `finished_at`) are `bigint` epoch milliseconds, as every
 *   row type of the code holds them. Exact and time-zone free: a Parquet TIMESTAMP read into a Hive
 *   `timestamp` column is shifted by the reader's `hive.parquet.time-zone` (the JVM zone by default),
 *   a bigint never is. Readers convert with `from_unixtime(event_time / 1e3)`.
 * - `properties` is `map(varchar, varchar)` (a Parquet MAP), so `properties['experiment']` works and
 *   the map is what the event schema says it is; NULL when the event had none.
 * - partition columns `dt` (YYYY-MM-DD) and `hr` (00-23) are `varchar` and live in the path, never in
 *   the Parquet files; hourly tables have both, daily tables `dt` only.
 */
import type { Ledger } from './ledger';
import { BadInputError } from './errors';
import { METASTORE_PREFIX, quoteIdentifier, quoteLiteral, zonePrefix, type LakeSchema } from './lake';
import type { ErasureRow } from './erasure';
import type { CampaignDimRow } from './generator';
import type { RestatementRow } from './restatements';
import type { SilverRow } from './silver';
import { parseDay, parseHourKey } from './time';
import type { CampaignDailyRow, CtrHourlyRow, DauDailyRow, TitlePlaysDailyRow } from './truth';

export type TrinoType = 'varchar' | 'bigint' | 'double' | 'boolean' | 'map(varchar, varchar)';
export type PartitionColumn = 'dt' | 'hr';

export interface ColumnDef {
  readonly name: string;
  readonly type: TrinoType;
}

/** Type-only key: a TableDef carries its row type without holding a row. */
declare const rowType: unique symbol;

/** A lake table whose rows are `Row` (partition columns included). */
export interface TableDef<Row extends object = object> {
  readonly [rowType]?: Row;
  readonly schema: LakeSchema;
  readonly table: string;
  /** Every column in table order: the data columns, then the partition columns (Trino wants them last). */
  readonly columns: readonly ColumnDef[];
  readonly partitionedBy: readonly PartitionColumn[];
  /** Key prefix of the table in the bucket, ending in `/`; partitions are below it. */
  readonly prefix: string;
}

/** A row as stored in a Parquet file: without the partition columns, which are in the path. */
export type DataRow<Row extends object> = Omit<Row, PartitionColumn>;

/** The values of a table's partition columns: `hr` exactly for hourly tables. */
export interface PartitionValues {
  readonly dt: string;
  readonly hr?: string;
}

type ColumnTypes<Row extends object> = { readonly [K in Extract<keyof Row, string>]-?: TrinoType };

/**
 * A table of its column types, in table order. The mapped type makes a column added to or removed
 * from the row type a compile error here; partition columns must come last.
 */
function defineTable<Row extends object>(schema: LakeSchema, table: string, types: ColumnTypes<Row>, partitionedBy: readonly PartitionColumn[]): TableDef<Row> {
  quoteIdentifier(table);
  const columns = (Object.keys(types) as Array<keyof ColumnTypes<Row>>).map((name) => ({ name, type: types[name] }));
  const trailing = columns.slice(columns.length - partitionedBy.length).map((column) => column.name);
  if (trailing.join() !== partitionedBy.join()) throw new Error(`${schema}.${table}: partition columns ${partitionedBy.join(', ')} must be the last columns`);
  return { schema, table, columns, partitionedBy, prefix: `${zonePrefix(schema)}${table}/` };
}

const HOURLY = ['dt', 'hr'] as const;
const DAILY = ['dt'] as const;

export const SILVER_EVENTS: TableDef<SilverRow> = defineTable<SilverRow>(
  'silver',
  'events',
  {
    event_id: 'varchar',
    event_type: 'varchar',
    event_time: 'bigint',
    received_time: 'bigint',
    user_key: 'varchar',
    session_id: 'varchar',
    campaign_id: 'varchar',
    ad_id: 'varchar',
    placement: 'varchar',
    title_id: 'varchar',
    position_ms: 'bigint',
    device_type: 'varchar',
    country: 'varchar',
    page_url: 'varchar',
    properties: 'map(varchar, varchar)',
    dt: 'varchar',
    hr: 'varchar',
  },
  HOURLY,
);

export const GOLD_CTR_HOURLY: TableDef<CtrHourlyRow> = defineTable<CtrHourlyRow>(
  'gold',
  'ctr_hourly',
  { campaign_id: 'varchar', impressions: 'bigint', clicks: 'bigint', ctr: 'double', dt: 'varchar', hr: 'varchar' },
  HOURLY,
);

export const GOLD_CAMPAIGN_DAILY: TableDef<CampaignDailyRow> = defineTable<CampaignDailyRow>(
  'gold',
  'campaign_daily',
  { campaign_id: 'varchar', impressions: 'bigint', clicks: 'bigint', ctr: 'double', unique_users: 'bigint', dt: 'varchar' },
  DAILY,
);

export const GOLD_DAU_DAILY: TableDef<DauDailyRow> = defineTable<DauDailyRow>('gold', 'dau_daily', { device_type: 'varchar', dau: 'bigint', dt: 'varchar' }, DAILY);

export const GOLD_TITLE_PLAYS_DAILY: TableDef<TitlePlaysDailyRow> = defineTable<TitlePlaysDailyRow>(
  'gold',
  'title_plays_daily',
  { title_id: 'varchar', plays: 'bigint', unique_viewers: 'bigint', dt: 'varchar' },
  DAILY,
);

/**
 * One row of `lake.silver.quarantine`: a valid, deduplicated event of the hour that arrived past the
 * allowed lateness (or was quarantined by the collector on arrival), kept out of Silver and Gold
 * (counted as `late` in the ledger) but queryable with its reason. PII-safe like Silver: `user_key`.
 */
export interface QuarantineRow {
  readonly event_id: string;
  readonly event_type: string;
  readonly event_time: number;
  readonly received_time: number;
  readonly user_key: string;
  readonly campaign_id: string | null;
  readonly title_id: string | null;
  readonly device_type: string | null;
  readonly country: string | null;
  /** The collector's quarantine reason, or `late: received more than <lateness> after event_time`. */
  readonly reason: string;
  readonly dt: string;
  readonly hr: string;
}

export const SILVER_QUARANTINE: TableDef<QuarantineRow> = defineTable<QuarantineRow>(
  'silver',
  'quarantine',
  {
    event_id: 'varchar',
    event_type: 'varchar',
    event_time: 'bigint',
    received_time: 'bigint',
    user_key: 'varchar',
    campaign_id: 'varchar',
    title_id: 'varchar',
    device_type: 'varchar',
    country: 'varchar',
    reason: 'varchar',
    dt: 'varchar',
    hr: 'varchar',
  },
  HOURLY,
);

export type HourRunLayer = 'silver' | 'gold';
/** `published`: the run switched the partition to its version; `failed`: it published nothing. */
export type HourRunStatus = 'published' | 'failed';
/** Why a run ran (CONTRACT §3 `reason`). */
export type RunReason = 'scheduled' | 'manual' | 'reconcile' | 'backfill' | 'erasure';
export const RUN_REASONS: readonly RunReason[] = ['scheduled', 'manual', 'reconcile', 'backfill', 'erasure'];

/** One row of `lake.audit.hour_runs`: the ledger of one promotion run of an hour and layer. */
export interface HourRunRow extends Ledger {
  readonly layer: HourRunLayer;
  readonly workflow_id: string;
  readonly run_id: string;
  /** Epoch ms. */
  readonly finished_at: number;
  /** The run version the run wrote (core/versions.ts runVersion). */
  readonly version: string;
  readonly status: HourRunStatus;
  /** Events of erased users dropped (the erasure issue); 0 until erasure exists. */
  readonly erased: number;
  /** The code that produced the run: `<package version>+<git commit>` of the worker. */
  readonly code_version: string;
  readonly reason: RunReason;
  /** Why a failed run failed (the error's name and message, no personal data); null when published. */
  readonly error: string | null;
  /** The run's quality figures (core/quality.ts); null on a failed run that got no figures. */
  readonly reject_rate: number | null;
  readonly duplicate_rate: number | null;
  readonly volume_ratio: number | null;
  readonly null_rate_campaign: number | null;
  readonly null_rate_device_type: number | null;
  readonly null_rate_country: number | null;
  /** `ok`, `warn`, `accepted` (a blocking level published on request); null when failed before judging. */
  readonly quality: string | null;
  /** Every figure past a bound, `; `-separated; null when none. */
  readonly quality_reasons: string | null;
  readonly dt: string;
  readonly hr: string;
}

/**
 * CONTRACT §3's columns, then those added at the end of the data columns as they arrived: `version`,
 * `status`, `erased`, `code_version`, `reason` (CONTRACT's order), `error`, and the quality figures.
 */
export const AUDIT_HOUR_RUNS: TableDef<HourRunRow> = defineTable<HourRunRow>(
  'audit',
  'hour_runs',
  {
    layer: 'varchar',
    rows_in: 'bigint',
    rows_out: 'bigint',
    duplicates: 'bigint',
    rejected: 'bigint',
    late: 'bigint',
    workflow_id: 'varchar',
    run_id: 'varchar',
    finished_at: 'bigint',
    version: 'varchar',
    status: 'varchar',
    erased: 'bigint',
    code_version: 'varchar',
    reason: 'varchar',
    error: 'varchar',
    reject_rate: 'double',
    duplicate_rate: 'double',
    volume_ratio: 'double',
    null_rate_campaign: 'double',
    null_rate_device_type: 'double',
    null_rate_country: 'double',
    quality: 'varchar',
    quality_reasons: 'varchar',
    dt: 'varchar',
    hr: 'varchar',
  },
  HOURLY,
);

/**
 * `lake.audit.restatements` (CONTRACT §3): one row per Gold row whose values changed between two
 * published versions of its partition (core/restatements.ts), hr `''` for daily tables. Not
 * partitioned (a Hive partition cannot hold `''`): `dt` and `hr` are data columns, CONTRACT's order
 * kept, and each publish that restates appends one small file directly under the table's prefix.
 */
export const AUDIT_RESTATEMENTS: TableDef<RestatementRow> = defineTable<RestatementRow>(
  'audit',
  'restatements',
  {
    table_name: 'varchar',
    row_key: 'varchar',
    old_version: 'varchar',
    new_version: 'varchar',
    old_values: 'varchar',
    new_values: 'varchar',
    reason: 'varchar',
    workflow_id: 'varchar',
    finished_at: 'bigint',
    dt: 'varchar',
    hr: 'varchar',
  },
  [],
);

/**
 * `lake.audit.erasures` (CONTRACT §3): one row per erasure request (core/erasure.ts ErasureRow), never
 * the raw user_id; then `suppress`, `workflow_id` and `error`. Not partitioned: one small file per
 * request directly under the table's prefix, replaced as its status moves on (pending, done, verified
 * or failed).
 */
export const AUDIT_ERASURES: TableDef<ErasureRow> = defineTable<ErasureRow>(
  'audit',
  'erasures',
  {
    request_id: 'varchar',
    user_key: 'varchar',
    requested_at: 'bigint',
    completed_at: 'bigint',
    verified_at: 'bigint',
    status: 'varchar',
    bronze_objects_rewritten: 'bigint',
    bronze_records_removed: 'bigint',
    silver_rows_removed: 'bigint',
    hours_restated: 'bigint',
    days_restated: 'bigint',
    kafka_expiry: 'bigint',
    details: 'varchar',
    suppress: 'boolean',
    workflow_id: 'varchar',
    error: 'varchar',
  },
  [],
);

/**
 * `lake.gold.dim_campaign(campaign_id, advertiser_id, name)` (CONTRACT §3): the campaigns' advertiser,
 * for per-advertiser access (the campaign_manager row filter of core/trinoRules.ts). Not partitioned:
 * each traffic run writes the campaigns of its id scope as one object directly under the table's
 * prefix (dimCampaignKey), so runs of other scopes never overwrite it and a rerun replaces it.
 */
export const GOLD_DIM_CAMPAIGN: TableDef<CampaignDimRow> = defineTable<CampaignDimRow>(
  'gold',
  'dim_campaign',
  { campaign_id: 'varchar', advertiser_id: 'varchar', name: 'varchar' },
  [],
);

/**
 * The object of the campaigns of one id scope in lake.gold.dim_campaign: `campaigns.<scope>.parquet`,
 * or `campaigns.parquet` for unscoped traffic (a scope has no `.`, so the two never meet; no leading
 * `_` or `.`, which Hive would hide).
 */
export function dimCampaignKey(idScope: string | undefined): string {
  if (idScope !== undefined && !/^[a-z0-9-]{1,24}$/.test(idScope)) throw new BadInputError(`idScope: must be 1-24 of a-z 0-9 -, got ${JSON.stringify(idScope)}`);
  return `${GOLD_DIM_CAMPAIGN.prefix}campaigns${idScope === undefined ? '' : `.${idScope}`}.parquet`;
}

/** Every table of the lake, in the order bootstrap creates them. */
export const LAKE_TABLES: ReadonlyArray<
  | TableDef<SilverRow>
  | TableDef<CtrHourlyRow>
  | TableDef<CampaignDailyRow>
  | TableDef<DauDailyRow>
  | TableDef<TitlePlaysDailyRow>
  | TableDef<HourRunRow>
  | TableDef<RestatementRow>
  | TableDef<QuarantineRow>
  | TableDef<ErasureRow>
  | TableDef<CampaignDimRow>
> = [
  SILVER_EVENTS,
  SILVER_QUARANTINE,
  GOLD_CTR_HOURLY,
  GOLD_CAMPAIGN_DAILY,
  GOLD_DAU_DAILY,
  GOLD_TITLE_PLAYS_DAILY,
  GOLD_DIM_CAMPAIGN,
  AUDIT_HOUR_RUNS,
  AUDIT_RESTATEMENTS,
  AUDIT_ERASURES,
];

/** The columns stored in Parquet files, in table order. */
export function dataColumns(def: TableDef): ColumnDef[] {
  return def.columns.filter((column) => !(def.partitionedBy as readonly string[]).includes(column.name));
}

export function qualifiedName(def: TableDef, catalog = 'lake'): string {
  return [catalog, def.schema, def.table].map(quoteIdentifier).join('.');
}

export function tableLocation(def: TableDef, bucket: string): string {
  return `s3://${bucket}/${def.prefix}`;
}

/** Idempotent DDL of an external, partitioned Parquet table over the table's prefix. */
export function createTableSql(def: TableDef, bucket: string, catalog = 'lake'): string {
  const columns = def.columns.map((column) => `${quoteIdentifier(column.name)} ${column.type}`).join(', ');
  const partitions = def.partitionedBy.map(quoteLiteral).join(', ');
  return (
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(def, catalog)} (${columns}) ` +
    `WITH (format = 'PARQUET', partitioned_by = ARRAY[${partitions}], external_location = ${quoteLiteral(tableLocation(def, bucket))})`
  );
}

/**
 * The statements that bring a table created by an earlier release up to `def`: one `ADD COLUMN` per
 * data column it lacks, in table order (columns only ever arrive at the end, CONTRACT §3). A column
 * the table has that `def` does not know, or a column of another type, is a BadInputError: the lake
 * is newer than this code, or was changed by hand, and guessing would lose data.
 */
export function addMissingColumnsSql(def: TableDef, existing: ReadonlyArray<{ readonly name: string; readonly type: string }>, catalog = 'lake'): string[] {
  const have = new Map(existing.map((column) => [column.name, column.type]));
  const known = new Set(def.columns.map((column) => column.name));
  const unknown = existing.filter((column) => !known.has(column.name)).map((column) => column.name);
  if (unknown.length > 0) throw new BadInputError(`${def.schema}.${def.table}: has columns this release does not know (${unknown.join(', ')})`);
  const retyped = def.columns.filter((column) => have.has(column.name) && have.get(column.name) !== column.type);
  if (retyped.length > 0) {
    throw new BadInputError(`${def.schema}.${def.table}: ${retyped.map((c) => `${c.name} is ${String(have.get(c.name))}, expected ${c.type}`).join('; ')}`);
  }
  return dataColumns(def)
    .filter((column) => !have.has(column.name))
    .map((column) => `ALTER TABLE ${qualifiedName(def, catalog)} ADD COLUMN ${quoteIdentifier(column.name)} ${column.type}`);
}

export function dropTableSql(def: TableDef, catalog = 'lake'): string {
  return `DROP TABLE IF EXISTS ${qualifiedName(def, catalog)}`;
}

/** The partition values of the table in partition-column order; BadInputError when they do not fit it. */
export function partitionValueList(def: TableDef, values: PartitionValues): string[] {
  const name = `${def.schema}.${def.table}`;
  const hourly = def.partitionedBy.includes('hr');
  if (hourly && values.hr === undefined) throw new BadInputError(`${name}: partition needs hr`);
  if (!hourly && values.hr !== undefined) throw new BadInputError(`${name}: a daily table has no hr partition`);
  if (values.hr === undefined) parseDay(values.dt);
  else parseHourKey(`${values.dt}T${values.hr}`);
  return def.partitionedBy.map((column) => (column === 'dt' ? values.dt : (values.hr as string)));
}

/** `dt=YYYY-MM-DD/hr=HH/` (or `dt=.../` for daily tables): Hive's partition path; the values need no escaping. */
export function partitionPath(def: TableDef, values: PartitionValues): string {
  const list = partitionValueList(def, values);
  return def.partitionedBy.map((column, i) => `${column}=${list[i]}/`).join('');
}

/**
 * Key prefix of a partition, or of one run version of it (`.../v=<version>/`, as core/versions.ts
 * lays them out); the version is not checked here.
 */
export function partitionPrefix(def: TableDef, values: PartitionValues, version?: string): string {
  return `${def.prefix}${partitionPath(def, values)}${version === undefined ? '' : `v=${version}/`}`;
}

export function partitionLocation(def: TableDef, bucket: string, values: PartitionValues, version?: string): string {
  return `s3://${bucket}/${partitionPrefix(def, values, version)}`;
}

/**
 * `_metastore/<schema>/<table>/dt=.../hr=.../.trinoSchema`: the file metastore's object of one
 * partition. Its `externalLocation` is where Presto reads the partition; rewriting this one object
 * (a single PUT) switches readers from one version to the next.
 */
export function partitionMetadataKey(def: TableDef, values: PartitionValues): string {
  return `${METASTORE_PREFIX}${def.schema}/${def.table}/${partitionPath(def, values)}.trinoSchema`;
}

/** Hive metastore type names, as the file metastore stores them. */
const HIVE_TYPES: Readonly<Record<TrinoType, string>> = {
  varchar: 'string',
  bigint: 'bigint',
  double: 'double',
  boolean: 'boolean',
  'map(varchar, varchar)': 'map<string,string>',
};

/** The partition object as Trino 476's file metastore writes it (register_partition), pointing at `location`. */
export interface PartitionMetadata {
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string; readonly properties: Readonly<Record<string, string>> }>;
  readonly parameters: Readonly<Record<string, string>>;
  readonly storageFormat: 'PARQUET';
  readonly serdeParameters: Readonly<Record<string, string>>;
  readonly externalLocation: string;
  readonly columnStatistics: Readonly<Record<string, never>>;
}

export function partitionMetadata(def: TableDef, location: string): PartitionMetadata {
  if (!/^s3:\/\/[^/]+\/.+\/$/.test(location)) throw new BadInputError(`partition location: expected s3://bucket/prefix/, got "${location}"`);
  return {
    columns: dataColumns(def).map((column) => ({ name: column.name, type: HIVE_TYPES[column.type], properties: {} })),
    parameters: {},
    storageFormat: 'PARQUET',
    serdeParameters: {},
    externalLocation: location,
    columnStatistics: {},
  };
}

/** The body of the partition object (see partitionMetadataKey). */
export function partitionMetadataJson(def: TableDef, location: string): string {
  return `${JSON.stringify(partitionMetadata(def, location), null, 2)}\n`;
}

/** Registers a partition at a location through Presto (the catalog enables register_partition). */
export function registerPartitionSql(def: TableDef, values: PartitionValues, location: string, catalog = 'lake'): string {
  const columns = def.partitionedBy.map(quoteLiteral).join(', ');
  const list = partitionValueList(def, values).map(quoteLiteral).join(', ');
  return (
    `CALL ${quoteIdentifier(catalog)}.system.register_partition(${quoteLiteral(def.schema)}, ${quoteLiteral(def.table)}, ` +
    `ARRAY[${columns}], ARRAY[${list}], ${quoteLiteral(location)})`
  );
}
