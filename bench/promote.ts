/**
 * bench/promote: how fast one core turns Bronze into Silver, and one hour of Silver into Gold.
 *
 * 1. Data: BENCH_EVENTS (default 1M) realistic events of one hour from the traffic model (1% re-sent
 *    duplicates), validated as the collector does, as Bronze records on 6 Kafka partitions, zstd NDJSON
 *    objects of 50,000 lines (core/bronze.ts formatBronzeLine): what a promotion reads from S3.
 * 2. Bronze -> Silver end to end, two engines side by side over the same objects, CPU seconds of this
 *    process (user + system, DuckDB's threads included; DuckDB runs with threads=1):
 *    - DuckDB SQL (activities/silverSql.ts, what promotion runs): the zstd objects as local files ->
 *      checked Silver and hourly Gold Parquet files: `silver_events_per_s_per_core`.
 *    - the JS definition (core/silver.ts): zstd decompress, parseBronzeLine, classifyHour, toSilverRow,
 *      sessionize, Parquet bytes; CPU per stage.
 *    The two Silver files are compared row for row, and the ledgers must be equal.
 *    With the local stack up, the DuckDB engine runs again with the S3 transfers a promotion makes
 *    (download from MinIO, upload of Silver and Gold): `silver_events_per_s_per_core_with_s3`.
 * 3. Silver writers side by side over the same Silver rows: DuckDB through the Appender
 *    (activities/parquet.ts), DuckDB reading NDJSON (read_json + COPY), and the pure-JS
 *    hyparquet-writer when it can be loaded (ESM-only, so not a dependency of the project:
 *    `npm i --no-save hyparquet-writer`, or NODE_PATH pointing at a folder that has it). Each file is
 *    read back and checked.
 * 4. Gold of the hour from its Silver file in DuckDB SQL (`gold_hour_seconds`), beside core/gold.ts
 *    goldHour plus writing ctr_hourly; both checked equal, and equal to the Gold the engine wrote.
 *
 * BENCH_PROFILE_DIR=/some/dir is handled by node itself (`node --cpu-prof --cpu-prof-dir=...`); see
 * BENCHMARKS.md for where the time goes.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { decompress } from '@mongodb-js/zstd';
import { DeleteObjectsCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parquetBytes, readParquetRows, uploadFile, writeParquet } from '../activities/parquet';
import { encodeBronzeObject } from '../activities/bronze';
import { buildSilverHour } from '../activities/silverSql';
import { createS3 } from '../activities/clients';
import { requireBytes } from '../activities/s3Objects';
import { loadConfig } from '../workers/config';
import { formatBronzeLine, parseBronzeLine, type BronzeRecord } from '../core/bronze';
import { defaultValidationContext, validateEvent } from '../core/event';
import { createTrafficModel } from '../core/generator';
import { goldHour } from '../core/gold';
import { GOLD_CTR_HOURLY, SILVER_EVENTS, dataColumns, type TrinoType } from '../core/lakeTables';
import { classifyHour, sessionize, toSilverRow, type SilverRow } from '../core/silver';
import { parseHourKey } from '../core/time';
import type { CtrHourlyRow } from '../core/truth';
import { writeResult, type Figure } from './common';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const HOUR = '2026-11-22T05';
const HMAC_KEY = 'bench-hmac-key-0123456789abcdef';
const TOPIC = 'clicklake.events';
const PARTITIONS = 6;
const LINES_PER_OBJECT = 50_000;

interface Measured<T> {
  readonly value: T;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
}

async function measure<T>(run: () => T | Promise<T>): Promise<Measured<T>> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await run();
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { value, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds };
}

const round = (value: number, digits = 0): number => Math.round(value * 10 ** digits) / 10 ** digits;
const perCore = (count: number, m: Measured<unknown>): number => Math.round(count / m.cpuSeconds);

/** Accepted events of HOUR as Bronze records, in receive order, spread over the partitions. */
function generateBronze(count: number): BronzeRecord[] {
  const model = createTrafficModel({ seed: 20261122, campaigns: 200, users: 100_000, titles: 500, duplicateFraction: 0.01 });
  const { startMs } = parseHourKey(HOUR);
  const offsets = new Array<number>(PARTITIONS).fill(0);
  const records: BronzeRecord[] = [];
  const batch = 1000;
  // Sent over the hour from 10 s in, so (event times up to 5 s before sending) every event is of the hour.
  const stepMs = Math.floor((3_600_000 - 20_000) / Math.ceil(count / batch));
  for (let b = 0; records.length < count; b++) {
    const nowMs = startMs + 10_000 + b * stepMs;
    for (const input of model.nextBatch(batch, nowMs).events) {
      const result = validateEvent(input, defaultValidationContext(nowMs));
      if (!result.ok || records.length >= count) continue;
      const partition = records.length % PARTITIONS;
      const offset = offsets[partition] ?? 0;
      offsets[partition] = offset + 1;
      records.push({ topic: TOPIC, partition, offset, kafka_timestamp_ms: nowMs, schema_id: 1, received_time: nowMs, event: result.event });
    }
  }
  return records;
}

/** zstd NDJSON objects of one partition's consecutive records each, as ingestion writes them. */
async function bronzeObjects(records: readonly BronzeRecord[]): Promise<Buffer[]> {
  const objects: Buffer[] = [];
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const ofPartition = records.filter((r) => r.partition === partition);
    for (let i = 0; i < ofPartition.length; i += LINES_PER_OBJECT) objects.push(await encodeBronzeObject(ofPartition.slice(i, i + LINES_PER_OBJECT)));
  }
  return objects;
}

type DataSilverRow = Omit<SilverRow, 'dt' | 'hr'>;

function dataRows(rows: readonly SilverRow[]): DataSilverRow[] {
  return rows.map(({ dt: _dt, hr: _hr, ...rest }) => rest);
}

const DUCK_TYPES: Readonly<Record<TrinoType, string>> = { varchar: 'VARCHAR', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', 'map(varchar, varchar)': 'MAP(VARCHAR, VARCHAR)' };

/** DuckDB reading NDJSON: JSON.stringify of each row to a temp file, then read_json + COPY to Parquet. */
async function writeWithDuckdbNdjson(duck: DuckDBInstance, rows: readonly SilverRow[], file: string): Promise<void> {
  const columns = dataColumns(SILVER_EVENTS);
  const ndjson = `${file}.ndjson`;
  fs.writeFileSync(ndjson, rows.map((row) => JSON.stringify(row)).join('\n'));
  const spec = columns.map((c) => `${c.name}: '${DUCK_TYPES[c.type]}'`).join(', ');
  const connection = await duck.connect();
  try {
    await connection.run(
      `COPY (SELECT ${columns.map((c) => c.name).join(', ')} FROM read_json('${ndjson}', format = 'newline_delimited', columns = {${spec}})) ` +
        `TO '${file}' (FORMAT PARQUET, COMPRESSION ZSTD)`,
    );
  } finally {
    connection.closeSync();
    fs.rmSync(ndjson, { force: true });
  }
}

interface HyparquetWriter {
  parquetWriteBuffer(options: { columnData: Array<{ name: string; data: unknown[]; type: string }>; rowGroupSize?: number }): ArrayBuffer;
}

/** An optional package, ESM or CommonJS: tsc turns import() into require() under CommonJS, so a real dynamic import is built. */
async function importOptional(name: string): Promise<unknown> {
  let resolved: string;
  try {
    resolved = require.resolve(name);
  } catch {
    return undefined;
  }
  const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;
  return dynamicImport(pathToFileURL(resolved).href);
}

/** hyparquet-writer (pure JS): column arrays, INT64 as BigInt, properties as JSON text (no MAP), its default SNAPPY. */
function writeWithHyparquet(writer: HyparquetWriter, rows: readonly SilverRow[], file: string): void {
  const columnData = dataColumns(SILVER_EVENTS).map((column) => {
    const values = rows.map((row) => row[column.name as keyof SilverRow] ?? null);
    switch (column.type) {
      case 'bigint':
        return { name: column.name, data: values.map((v) => (v === null ? null : BigInt(v as number))), type: 'INT64' };
      case 'map(varchar, varchar)':
        return { name: column.name, data: values.map((v) => (v === null ? null : JSON.stringify(v))), type: 'JSON' };
      default:
        return { name: column.name, data: values, type: 'STRING' };
    }
  });
  fs.writeFileSync(file, Buffer.from(writer.parquetWriteBuffer({ columnData, rowGroupSize: 1_000_000 })));
}

/** Order-independent fingerprint of the columns every engine stores alike (all but properties). */
async function fingerprint(duck: DuckDBInstance, file: string): Promise<string> {
  const connection = await duck.connect();
  try {
    const columns = dataColumns(SILVER_EVENTS)
      .filter((c) => c.type !== 'map(varchar, varchar)')
      .map((c) => `coalesce(CAST(${c.name} AS VARCHAR), '~')`);
    const reader = await connection.runAndReadAll(
      `SELECT count(*), bit_xor(hash(concat_ws('|', ${columns.join(', ')}))) FROM read_parquet('${file}')`,
    );
    return JSON.stringify(reader.getRows()[0], (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  } finally {
    connection.closeSync();
  }
}

/** ctr_hourly of the Silver file in DuckDB SQL, the same arithmetic as core/truth.ts computeGoldTables. */
async function goldWithDuckdb(duck: DuckDBInstance, silverFile: string, goldFile: string): Promise<void> {
  const connection = await duck.connect();
  try {
    await connection.run(
      `COPY (SELECT campaign_id, count_if(event_type = 'ad_impression') AS impressions, count_if(event_type = 'ad_click') AS clicks, ` +
        `CASE WHEN count_if(event_type = 'ad_impression') = 0 THEN NULL ELSE count_if(event_type = 'ad_click') / count_if(event_type = 'ad_impression') END AS ctr ` +
        `FROM read_parquet('${silverFile}') WHERE event_type IN ('ad_impression', 'ad_click') AND campaign_id IS NOT NULL GROUP BY campaign_id ORDER BY campaign_id) ` +
        `TO '${goldFile}' (FORMAT PARQUET, COMPRESSION ZSTD)`,
    );
  } finally {
    connection.closeSync();
  }
}

/** Runs `use` with the local stack's S3 client when MinIO answers; undefined when the stack is down. */
async function withStack<T>(use: (s3: S3Client, bucket: string) => Promise<T>): Promise<T | undefined> {
  let s3: S3Client;
  let bucket: string;
  try {
    const config = loadConfig();
    s3 = createS3(config.s3);
    bucket = config.s3.bucket;
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    return undefined;
  }
  try {
    return await use(s3, bucket);
  } finally {
    s3.destroy();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clicklake-bench-promote-'));
  const figures: Record<string, Figure> = {};
  const notes: string[] = [];
  const log = (text: string): void => void process.stderr.write(`bench/promote: ${text}\n`);
  try {
    log(`generating ${EVENTS} events`);
    const { objects, recordCount, lineBytes } = await (async () => {
      const records = generateBronze(EVENTS);
      return { objects: await bronzeObjects(records), recordCount: records.length, lineBytes: records.reduce((n, r) => n + formatBronzeLine(r).length + 1, 0) };
    })();
    const bronzeBytes = objects.reduce((n, o) => n + o.length, 0);
    log(`${recordCount} Bronze records in ${objects.length} objects (${round(bronzeBytes / 2 ** 20, 1)} MiB zstd)`);
    figures.bronze_records = { value: recordCount, unit: 'records (1% re-sent duplicates), of one event hour but for clicks that spill into the next' };
    figures.bronze_line_bytes = { value: round(lineBytes / recordCount), unit: 'bytes per NDJSON line before compression' };

    // Engine 1 (what promotion runs): DuckDB SQL over the zstd objects as downloaded files, one
    // DuckDB thread: read, re-validate (fast check + JS for the rest), dedup, lateness, HMAC,
    // sessions, Silver and hourly Gold Parquet files, read back and checked.
    log('Bronze -> Silver end to end: DuckDB SQL (activities/silverSql.ts)');
    const bronzeDir = path.join(dir, 'bronze');
    fs.mkdirSync(bronzeDir);
    const bronzeFiles = objects.map((object, i) => {
      const file = path.join(bronzeDir, `${String(i).padStart(5, '0')}.ndjson.zst`);
      fs.writeFileSync(file, object);
      return file;
    });
    const sqlSilverFile = path.join(dir, 'sql-silver.parquet');
    const sqlGoldFile = path.join(dir, 'sql-gold.parquet');
    // As a promotion runs it: the quarantine file written and every file read back for the checks and quality figures.
    const sql = await measure(() =>
      buildSilverHour({ bronzeFiles, hour: HOUR, priorState: new Map(), hmacKey: HMAC_KEY, silverFile: sqlSilverFile, goldFile: sqlGoldFile, quarantineFile: path.join(dir, 'sql-quarantine.parquet'), threads: 1 }),
    );
    figures.silver_events_per_s_per_core = {
      value: perCore(recordCount, sql),
      unit: 'Bronze records/s per CPU-second, zstd NDJSON files to checked Silver + hourly Gold Parquet, DuckDB SQL, 1 thread (target ≥ 200,000)',
    };
    figures.silver_events_per_s_wall = { value: Math.round(recordCount / sql.wallSeconds), unit: 'Bronze records/s, DuckDB SQL, 1 thread' };
    figures.silver_records_checked_in_js = { value: sql.value.checkedInJs, unit: 'records the SQL fast check left to the JS rules (IPv4-tailed IPv6, non-ASCII email, unknown fields, ...)' };
    notes.push(`ledger of the hour (DuckDB SQL): ${JSON.stringify(sql.value.ledger)}`);

    // The same build with an erasure list of 1,000 requests (none of this traffic's users): the cost
    // of the erased-rows join every promotion pays once the list is not empty.
    const erasure = new Map(Array.from({ length: 1000 }, (_, i) => [createHash('sha256').update(`erased-${i}`).digest('hex'), Date.parse(`${HOUR}:30:00Z`)] as const));
    const withList = await measure(() =>
      buildSilverHour({ bronzeFiles, hour: HOUR, priorState: new Map(), hmacKey: HMAC_KEY, silverFile: sqlSilverFile, goldFile: sqlGoldFile, quarantineFile: path.join(dir, 'sql-quarantine.parquet'), threads: 1, erasure }),
    );
    assert.deepEqual(withList.value.ledger, sql.value.ledger, 'an erasure list naming none of the users changes nothing');
    figures.silver_events_per_s_per_core_erasure_list = {
      value: perCore(recordCount, withList),
      unit: 'Bronze records/s per CPU-second, as silver_events_per_s_per_core with 1,000 erased users in the list (none in this traffic)',
    };

    // The same, with the S3 transfers a promotion makes (objects in MinIO, downloaded, Silver and Gold
    // uploaded), when the local stack is up: the CPU of the SDK calls is counted too.
    const s3Figure = await withStack(async (s3, bucket) => {
      const prefix = `bench/promote-${process.pid}/`;
      await Promise.all(objects.map((object, i) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}bronze/${i}.ndjson.zst`, Body: object }))));
      try {
        const s3Dir = path.join(dir, 's3');
        fs.mkdirSync(s3Dir);
        const run = await measure(async () => {
          const files: string[] = [];
          for (let i = 0; i < objects.length; i++) {
            const file = path.join(s3Dir, `${i}.ndjson.zst`);
            fs.writeFileSync(file, await requireBytes(s3, bucket, `${prefix}bronze/${i}.ndjson.zst`));
            files.push(file);
          }
          const silverFile = path.join(s3Dir, 'silver.parquet');
          const goldFile = path.join(s3Dir, 'gold.parquet');
          await buildSilverHour({ bronzeFiles: files, hour: HOUR, priorState: new Map(), hmacKey: HMAC_KEY, silverFile, goldFile, quarantineFile: path.join(s3Dir, 'quarantine.parquet'), threads: 1 });
          await uploadFile(s3, bucket, `${prefix}silver.parquet`, silverFile);
          await uploadFile(s3, bucket, `${prefix}gold.parquet`, goldFile);
        });
        return perCore(recordCount, run);
      } finally {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
        const keys = (listed.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
        if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      }
    });
    if (s3Figure === undefined) notes.push('the local stack was not up: silver_events_per_s_per_core_with_s3 is missing (`npx clicklake stack up`)');
    else {
      figures.silver_events_per_s_per_core_with_s3 = {
        value: s3Figure,
        unit: 'Bronze records/s per CPU-second of this process, the above plus downloading the objects from MinIO and uploading Silver and Gold',
      };
    }

    // Engine 2: the JS definition (core/silver.ts), stage by stage, one thread.
    log('Bronze -> Silver end to end: JS (core/silver.ts)');
    const stages = { decompress: 0, parse: 0, classify: 0, pii: 0, sessions: 0, write: 0 };
    const wall0 = performance.now();
    const records: BronzeRecord[] = [];
    for (const object of objects) {
      const text = await measure(async () => (await decompress(object)).toString('utf8'));
      stages.decompress += text.cpuSeconds;
      const parsed = await measure(() => {
        for (const line of text.value.split('\n')) if (line.length > 0) records.push(parseBronzeLine(line));
      });
      stages.parse += parsed.cpuSeconds;
    }
    const classify = await measure(() => classifyHour(records, HOUR));
    records.length = 0;
    const pii = await measure(() => classify.value.kept.map((event) => toSilverRow(event, { hmacKey: HMAC_KEY })));
    const sessions = await measure(() => sessionize(pii.value, new Map()).rows);
    const write = await measure(() => parquetBytes(SILVER_EVENTS, sessions.value, { threads: 1, partition: parseHourKey(HOUR) }));
    const wall = (performance.now() - wall0) / 1000;
    Object.assign(stages, { classify: classify.cpuSeconds, pii: pii.cpuSeconds, sessions: sessions.cpuSeconds, write: write.cpuSeconds });
    const cpu = Object.values(stages).reduce((n, s) => n + s, 0);
    const rows = sessions.value;
    figures.silver_rows = { value: rows.length, unit: 'rows' };
    figures.silver_js_events_per_s_per_core = { value: Math.round(recordCount / cpu), unit: 'Bronze records/s per CPU-second, JS definition, zstd NDJSON to Parquet bytes' };
    figures.silver_js_events_per_s_wall = { value: Math.round(recordCount / wall), unit: 'Bronze records/s, JS definition, one thread' };
    for (const [name, seconds] of Object.entries(stages)) {
      figures[`silver_js_stage_${name}_cpu_share`] = { value: round((100 * seconds) / cpu, 1), unit: `% of the JS path's CPU (${round(seconds, 2)} s)` };
    }
    figures.silver_parquet_bytes = { value: write.value.length, unit: 'bytes ready for upload' };
    assert.deepEqual(classify.value.ledger, sql.value.ledger, 'both engines balance the hour alike');
    notes.push(`ledger of the hour (JS): ${JSON.stringify(classify.value.ledger)}`);

    // Silver writers side by side, over the rows of the end-to-end run.
    log('Silver writers');
    const data = dataRows(rows);
    const duck = await DuckDBInstance.create(':memory:', { threads: '1' });
    const appenderFile = path.join(dir, 'appender.parquet');
    const appender = await measure(() => writeParquet(SILVER_EVENTS, rows, appenderFile, { threads: 1 }));
    assert.deepEqual(await readParquetRows(SILVER_EVENTS, appenderFile), data, 'DuckDB Appender file reads back as written');
    const reference = await fingerprint(duck, appenderFile);
    figures.writer_duckdb_appender_rows_per_s_per_core = { value: perCore(rows.length, appender), unit: 'rows/s per CPU-second (activities/parquet.ts, ZSTD)' };
    figures.writer_duckdb_appender_bytes_per_row = { value: round(appender.value.bytes / rows.length, 1), unit: 'bytes of Parquet per row' };

    const ndjsonFile = path.join(dir, 'ndjson.parquet');
    const ndjson = await measure(() => writeWithDuckdbNdjson(duck, rows, ndjsonFile));
    assert.deepEqual(await readParquetRows(SILVER_EVENTS, ndjsonFile), data, 'DuckDB NDJSON file reads back as written');
    figures.writer_duckdb_ndjson_rows_per_s_per_core = { value: perCore(rows.length, ndjson), unit: 'rows/s per CPU-second (JSON.stringify + read_json + COPY, ZSTD)' };

    const hyparquet = await importOptional('hyparquet-writer');
    if (hyparquet !== undefined && typeof (hyparquet as Partial<HyparquetWriter>).parquetWriteBuffer === 'function') {
      const hyparquetFile = path.join(dir, 'hyparquet.parquet');
      const written = await measure(() => writeWithHyparquet(hyparquet as HyparquetWriter, rows, hyparquetFile));
      assert.equal(await fingerprint(duck, hyparquetFile), reference, 'hyparquet-writer file holds the same rows');
      figures.writer_hyparquet_rows_per_s_per_core = { value: perCore(rows.length, written), unit: 'rows/s per CPU-second (pure JS, SNAPPY, properties as JSON text)' };
      figures.writer_hyparquet_bytes_per_row = { value: round(fs.statSync(hyparquetFile).size / rows.length, 1), unit: 'bytes of Parquet per row' };
    } else {
      notes.push('hyparquet-writer not installed: its figures are missing (npm i --no-save hyparquet-writer)');
    }

    // The two engines' Silver, row for row, and their hourly Gold.
    // Row order within a Silver file is not specified: compared by event_id, unique in Silver.
    const byEventId = (a: { event_id: string }, b: { event_id: string }): number => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);
    assert.deepEqual((await readParquetRows(SILVER_EVENTS, sqlSilverFile)).sort(byEventId), [...data].sort(byEventId), 'DuckDB SQL Silver equals the JS definition row for row');
    figures.silver_sql_vs_js_speedup = { value: round(figures.silver_events_per_s_per_core.value / figures.silver_js_events_per_s_per_core.value, 1), unit: 'x (same rows, checked)' };

    // Gold of the hour.
    log('Gold of the hour');
    const gold = await measure(async () => {
      const ctr = goldHour(rows, HOUR);
      await parquetBytes(GOLD_CTR_HOURLY, ctr, { threads: 1 });
      return ctr;
    });
    figures.gold_hour_js_seconds = { value: round(gold.wallSeconds, 2), unit: `s: JS goldHour over ${rows.length} Silver rows + ctr_hourly Parquet (${gold.value.length} rows)` };
    const goldFile = path.join(dir, 'gold.parquet');
    const goldDuck = await measure(() => goldWithDuckdb(duck, appenderFile, goldFile));
    const { dt, hr } = parseHourKey(HOUR);
    const fromDuck: CtrHourlyRow[] = (await readParquetRows(GOLD_CTR_HOURLY, goldFile)).map((row) => ({ ...row, dt, hr }));
    assert.deepEqual(fromDuck, gold.value, 'DuckDB SQL Gold equals goldHour');
    const fromEngine: CtrHourlyRow[] = (await readParquetRows(GOLD_CTR_HOURLY, sqlGoldFile)).map((row) => ({ ...row, dt, hr }));
    assert.deepEqual(fromEngine, gold.value, 'the hourly Gold buildSilverHour wrote equals goldHour');
    figures.gold_hour_seconds = {
      value: round(goldDuck.wallSeconds, 2),
      unit: `s: ctr_hourly in DuckDB SQL from the hour's Silver Parquet file (${rows.length} rows) to its Parquet file, 1 thread (equal to goldHour)`,
    };
    duck.closeSync();

    notes.push(
      'CPU is this process (user + system) and includes DuckDB, which runs with threads=1',
      'every Parquet file was read back: DuckDB files row for row, hyparquet-writer by count and a hash of every column but properties',
    );
    writeResult({ name: 'promote', figures, notes });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/promote: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
