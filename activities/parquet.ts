/**
 * Parquet files of lake tables, written with embedded DuckDB (@duckdb/node-api) and uploaded with one
 * S3 PutObject (DuckDB's httpfs extension cannot be downloaded here, and a local file is what a
 * retry rewrites anyway).
 *
 * How (measured in bench/promote, BENCHMARKS.md): rows go into an in-memory DuckDB table through the
 * Appender, one native call per value, then `COPY (SELECT ...) TO file (FORMAT PARQUET, COMPRESSION
 * ZSTD)`. JS numbers are appended as DOUBLE and cast to BIGINT in the COPY (exact: only safe integers
 * are accepted), which saves a BigInt allocation per value; maps are appended as JSON text and cast
 * to MAP(VARCHAR, VARCHAR). That beat NDJSON + read_json and appending BIGINT and MAP values directly.
 *
 * Parquet column types follow the table definition (core/lakeTables.ts): varchar is BYTE_ARRAY
 * (STRING), bigint INT64, double DOUBLE, boolean BOOLEAN, map(varchar, varchar) a MAP of STRING to STRING. Partition
 * columns are not written: they are in the path.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BadInputError } from '../core/errors';
import { quoteIdentifier, quoteLiteral } from '../core/lake';
import { dataColumns, type DataRow, type PartitionValues, type TableDef, type TrinoType } from '../core/lakeTables';
import { withTempDir } from './tempDir';

export interface ParquetOptions {
  /**
   * DuckDB threads of the engine that writes; default: DuckDB's (one per core). One engine is kept
   * per thread count for the life of the process.
   */
  readonly threads?: number;
  /** When given, every row's partition columns must hold these values (BadInputError otherwise). */
  readonly partition?: PartitionValues;
}

export interface ParquetFile {
  readonly rows: number;
  readonly bytes: number;
}

const engines = new Map<number, Promise<DuckDBInstance>>();

function engine(threads: number | undefined): Promise<DuckDBInstance> {
  const key = threads ?? 0;
  let instance = engines.get(key);
  if (instance === undefined) {
    if (threads !== undefined && (!Number.isSafeInteger(threads) || threads < 1)) throw new BadInputError(`parquet threads: must be a whole number ≥ 1, got ${threads}`);
    // Spill files go to the system's temporary folder, not `.tmp` under the working directory
    // (DuckDB's default for an in-memory database), which is the checkout for the worker. One folder
    // per process and instance: DuckDB names its spill files alike, and two engines spilling into one
    // folder at once fail (an I/O error, a crash seen with two worker processes).
    const options: Record<string, string> = { temp_directory: path.join(os.tmpdir(), `clicklake-duckdb-${process.pid}-${key}`) };
    if (threads !== undefined) options.threads = String(threads);
    instance = DuckDBInstance.create(':memory:', options);
    engines.set(key, instance);
  }
  return instance;
}

/** A connection of the process's engine for `threads` (default: DuckDB's), closed after `use`. */
export async function withConnection<T>(threads: number | undefined, use: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const connection = await (await engine(threads)).connect();
  try {
    return await use(connection);
  } finally {
    connection.closeSync();
  }
}

/** The DuckDB type each Trino column type is stored as in the lake's Parquet files. */
export const DUCKDB_TYPES: Readonly<Record<TrinoType, string>> = {
  varchar: 'VARCHAR',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  'map(varchar, varchar)': 'MAP(VARCHAR, VARCHAR)',
};

/**
 * The SELECT list of a table's data columns from SQL expressions, each cast to its stored type, so a
 * file written by COPY has the types writeParquet gives (DuckDB's count_if is HUGEINT, which Parquet
 * would store as DOUBLE and Trino refuse for a bigint column).
 */
export function storedColumnsSql(def: TableDef, expressions: Readonly<Record<string, string>> | ((column: string) => string)): string {
  const expressionOf = (column: string): string => {
    const expression = typeof expressions === 'function' ? expressions(column) : expressions[column];
    if (expression === undefined) throw new Error(`${def.schema}.${def.table}: no expression for column ${column}`);
    return expression;
  };
  return dataColumns(def)
    .map((column) => `CAST(${expressionOf(column.name)} AS ${DUCKDB_TYPES[column.type]}) AS ${quoteIdentifier(column.name)}`)
    .join(', ');
}

/** DuckDB type a column is appended as, and the expression that turns it into the stored type. */
const STAGING: Readonly<Record<TrinoType, { readonly type: string; readonly stored: (column: string) => string }>> = {
  varchar: { type: 'VARCHAR', stored: (c) => c },
  bigint: { type: 'DOUBLE', stored: (c) => `CAST(${c} AS BIGINT)` },
  double: { type: 'DOUBLE', stored: (c) => c },
  boolean: { type: 'BOOLEAN', stored: (c) => c },
  'map(varchar, varchar)': { type: 'VARCHAR', stored: (c) => `CAST(CAST(${c} AS JSON) AS MAP(VARCHAR, VARCHAR))` },
};

type Append = (appender: DuckDBAppender, value: unknown) => void;

function appendFor(type: TrinoType, column: string): Append {
  switch (type) {
    case 'varchar':
      return (appender, value) => (value === null ? appender.appendNull() : appender.appendVarchar(value as string));
    case 'double':
      return (appender, value) => (value === null ? appender.appendNull() : appender.appendDouble(value as number));
    case 'boolean':
      return (appender, value) => (value === null ? appender.appendNull() : appender.appendBoolean(value as boolean));
    case 'bigint':
      return (appender, value) => {
        if (value === null) appender.appendNull();
        else if (Number.isSafeInteger(value)) appender.appendDouble(value as number);
        else throw new BadInputError(`parquet: ${column} must be a safe integer, got ${String(value)}`);
      };
    case 'map(varchar, varchar)':
      return (appender, value) => (value === null ? appender.appendNull() : appender.appendVarchar(JSON.stringify(value)));
  }
}

/** Names of the in-memory staging tables; unique within the process, so concurrent writes never meet. */
let stagingCount = 0;

function checkPartition(def: TableDef, rows: readonly object[], partition: PartitionValues): void {
  for (const column of def.partitionedBy) {
    const expected = partition[column];
    const stray = rows.findIndex((row) => (row as Record<string, unknown>)[column] !== expected);
    if (stray >= 0) throw new BadInputError(`parquet ${def.schema}.${def.table}: rows[${stray}].${column} is not ${String(expected)}`);
  }
}

/**
 * Writes the rows' data columns (not the partition columns) to a local Parquet file, replacing it.
 * Rows may carry their partition columns; they are ignored unless `options.partition` asks to check them.
 */
export async function writeParquet<Row extends object>(
  def: TableDef<Row>,
  rows: ReadonlyArray<DataRow<Row>>,
  file: string,
  options: ParquetOptions = {},
): Promise<ParquetFile> {
  if (options.partition !== undefined) checkPartition(def, rows, options.partition);
  const columns = dataColumns(def);
  const appends = columns.map((column) => appendFor(column.type, column.name));
  const names = columns.map((column) => column.name);
  const staging = `staging_${++stagingCount}`;
  await withConnection(options.threads, async (connection) => {
    await connection.run(`CREATE TABLE ${staging} (${columns.map((column) => `"${column.name}" ${STAGING[column.type].type}`).join(', ')})`);
    try {
      const appender = await connection.createAppender(staging);
      try {
        for (const row of rows) {
          const values = row as Record<string, unknown>;
          for (let i = 0; i < appends.length; i++) (appends[i] as Append)(appender, values[names[i] as string]);
          appender.endRow();
        }
      } finally {
        appender.closeSync();
      }
      const select = columns.map((column) => `${STAGING[column.type].stored(`"${column.name}"`)} AS "${column.name}"`).join(', ');
      await connection.run(`COPY (SELECT ${select} FROM ${staging}) TO ${quoteLiteral(file)} (FORMAT PARQUET, COMPRESSION ZSTD)`);
    } finally {
      await connection.run(`DROP TABLE IF EXISTS ${staging}`);
    }
  });
  return { rows: rows.length, bytes: fs.statSync(file).size };
}

/** The Parquet bytes of the rows (see writeParquet), through a private temporary file. */
export async function parquetBytes<Row extends object>(def: TableDef<Row>, rows: ReadonlyArray<DataRow<Row>>, options: ParquetOptions = {}): Promise<Buffer> {
  return withTempDir('clicklake-parquet-', async (dir) => {
    const file = path.join(dir, 'part.parquet');
    await writeParquet(def, rows, file, options);
    return fs.readFileSync(file);
  });
}

/** One PutObject of a local file: a retry replaces the object. */
export async function uploadFile(s3: S3Client, bucket: string, key: string, file: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(file) }));
}

/** Writes the rows as one Parquet object at `key` (writeParquet, then one PutObject). */
export async function writeParquetToS3<Row extends object>(
  s3: S3Client,
  bucket: string,
  key: string,
  def: TableDef<Row>,
  rows: ReadonlyArray<DataRow<Row>>,
  options: ParquetOptions = {},
): Promise<ParquetFile & { readonly key: string }> {
  const body = await parquetBytes(def, rows, options);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return { key, rows: rows.length, bytes: body.length };
}

/** How a stored column reads back as the JS value of the row types. */
const READ_BACK: Readonly<Record<TrinoType, { readonly sql: (column: string) => string; readonly value: (raw: unknown) => unknown }>> = {
  varchar: { sql: (c) => c, value: (raw) => raw },
  double: { sql: (c) => c, value: (raw) => raw },
  boolean: { sql: (c) => c, value: (raw) => raw },
  bigint: { sql: (c) => `CAST(${c} AS DOUBLE)`, value: (raw) => raw },
  'map(varchar, varchar)': { sql: (c) => `CAST(to_json(${c}) AS VARCHAR)`, value: (raw) => (raw === null ? null : JSON.parse(raw as string)) },
};

/** The rows of a Parquet file written for the table, data columns only, in file order (tests, verification). */
export async function readParquetRows<Row extends object>(def: TableDef<Row>, file: string): Promise<Array<DataRow<Row>>> {
  const columns = dataColumns(def);
  return withConnection(undefined, async (connection) => {
    const select = columns.map((column) => `${READ_BACK[column.type].sql(`"${column.name}"`)} AS "${column.name}"`).join(', ');
    const reader = await connection.runAndReadAll(`SELECT ${select} FROM read_parquet(${quoteLiteral(file)})`);
    return reader.getRows().map((values) => Object.fromEntries(columns.map((column, i) => [column.name, READ_BACK[column.type].value(values[i] ?? null)])) as DataRow<Row>);
  });
}

/** Name and Parquet physical / logical type of each leaf column of a file, e.g. ['event_time', 'INT64', null]. */
export async function parquetColumnTypes(file: string): Promise<Array<[name: string, physical: string | null, logical: string | null]>> {
  return withConnection(undefined, async (connection) => {
    const reader = await connection.runAndReadAll(
      `SELECT name, type, COALESCE(CAST(logical_type AS VARCHAR), converted_type) FROM parquet_schema(${quoteLiteral(file)}) WHERE num_children IS NULL OR num_children = 0`,
    );
    return reader.getRows().map(([name, physical, logical]) => [String(name), physical === null ? null : String(physical), logical === null || logical === undefined ? null : String(logical)]);
  });
}
