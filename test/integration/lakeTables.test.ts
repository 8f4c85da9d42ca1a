import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createS3, Presto } from '../../activities/clients';
import { parquetColumnTypes, readParquetRows, uploadFile, writeParquet, writeParquetToS3 } from '../../activities/parquet';
import {
  AUDIT_HOUR_RUNS,
  GOLD_CAMPAIGN_DAILY,
  GOLD_CTR_HOURLY,
  GOLD_DAU_DAILY,
  GOLD_TITLE_PLAYS_DAILY,
  SILVER_EVENTS,
  createTableSql,
  dataColumns,
  dropTableSql,
  partitionLocation,
  partitionMetadata,
  partitionMetadataJson,
  partitionMetadataKey,
  partitionPrefix,
  qualifiedName,
  registerPartitionSql,
  type PartitionValues,
  type TableDef,
} from '../../core/lakeTables';
import { METASTORE_PREFIX } from '../../core/lake';
import type { SilverRow } from '../../core/silver';
import { hourOf } from '../../core/time';
import { runVersion } from '../../core/versions';
import { stackConfig, uniqueName } from '../support/stack';

const HOUR = { dt: '2026-11-22', hr: '05' };
/** Quality columns of a published run (one warning, to read a text column back too). */
const QUALITY = { reject_rate: 0.1, duplicate_rate: 0.2, volume_ratio: null, null_rate_campaign: 0, null_rate_device_type: 0.5, null_rate_country: 0.25, quality: 'warn', quality_reasons: 'reject_rate 0.1 > warn 0.05' };
const DAY = { dt: '2026-11-22' };
const T0 = Date.UTC(2026, 10, 22, 5, 12, 30, 123);

function silverRow(id: string, fields: Partial<SilverRow> = {}): SilverRow {
  const eventTime = fields.event_time ?? T0;
  return {
    event_id: id,
    event_type: 'ad_impression',
    event_time: eventTime,
    received_time: eventTime + 1500,
    user_key: 'a'.repeat(64),
    session_id: 's00000001',
    campaign_id: 'c00001',
    ad_id: 'c00001-ad1',
    placement: 'preroll',
    title_id: null,
    position_ms: null,
    device_type: 'web',
    country: 'FR',
    page_url: null,
    properties: null,
    ...hourOf(eventTime),
    ...fields,
  };
}

interface TableCase<Row extends object> {
  readonly def: TableDef<Row>;
  readonly partition: PartitionValues;
  readonly v1: Row[];
  readonly v2: Row[];
}

const tableCase = <Row extends object>(c: TableCase<Row>): TableCase<Row> => c;

const CASES = [
  tableCase({
    def: SILVER_EVENTS,
    partition: HOUR,
    v1: [
      silverRow('e1', { properties: { app_version: '3.1.4', experiment: 'b', 'quote"d': 'back\\slash "é" 😀' } }),
      silverRow('e2', { event_type: 'video_seek', campaign_id: null, ad_id: null, placement: null, title_id: 't00042', position_ms: 7_200_000, session_id: null }),
      silverRow('e3', { event_type: 'page_view', device_type: null, country: null, page_url: "https://watch.example.com/browse/1?q=it's,ok", campaign_id: null, ad_id: null }),
    ],
    v2: [silverRow('e4', { event_time: T0 + 1, properties: {} }), silverRow('e5', { event_type: 'ad_click', received_time: Number.MAX_SAFE_INTEGER })],
  }),
  tableCase({
    def: GOLD_CTR_HOURLY,
    partition: HOUR,
    v1: [
      { campaign_id: 'c00001', impressions: 1000, clicks: 25, ctr: 0.025, ...HOUR },
      { campaign_id: 'c00002', impressions: 0, clicks: 3, ctr: null, ...HOUR },
    ],
    v2: [{ campaign_id: 'c00001', impressions: 1001, clicks: 1, ctr: 1 / 1001, ...HOUR }],
  }),
  tableCase({
    def: GOLD_CAMPAIGN_DAILY,
    partition: DAY,
    v1: [
      { campaign_id: 'c00001', impressions: 24_000, clicks: 600, ctr: 0.025, unique_users: 9000, ...DAY },
      { campaign_id: 'c00002', impressions: 0, clicks: 1, ctr: null, unique_users: 1, ...DAY },
    ],
    v2: [{ campaign_id: 'c00003', impressions: 3, clicks: 1, ctr: 1 / 3, unique_users: 2, ...DAY }],
  }),
  tableCase({
    def: GOLD_DAU_DAILY,
    partition: DAY,
    v1: [
      { device_type: 'all', dau: 120, ...DAY },
      { device_type: 'other', dau: 20, ...DAY },
      { device_type: 'web', dau: 100, ...DAY },
    ],
    v2: [{ device_type: 'all', dau: 121, ...DAY }],
  }),
  tableCase({
    def: GOLD_TITLE_PLAYS_DAILY,
    partition: DAY,
    v1: [
      { title_id: 't00001', plays: 50, unique_viewers: 40, ...DAY },
      { title_id: 't00002', plays: 1, unique_viewers: 1, ...DAY },
    ],
    v2: [{ title_id: 't00003', plays: 2, unique_viewers: 2, ...DAY }],
  }),
  tableCase({
    def: AUDIT_HOUR_RUNS,
    partition: HOUR,
    v1: [
      {
        layer: 'gold',
        rows_in: 10,
        rows_out: 10,
        duplicates: 0,
        rejected: 0,
        late: 0,
        workflow_id: 'promote-hour-2026-11-22T05',
        run_id: 'r1',
        finished_at: T0 + 60_000,
        version: runVersion(T0, 'r1'),
        status: 'published',
        erased: 0,
        code_version: '0.1.0+test',
        reason: 'manual',
        error: null,
        ...QUALITY,
        ...HOUR,
      },
      {
        layer: 'silver',
        rows_in: 14,
        rows_out: 10,
        duplicates: 2,
        rejected: 1,
        late: 1,
        workflow_id: 'promote-hour-2026-11-22T05',
        run_id: 'r1',
        finished_at: T0 + 30_000,
        version: runVersion(T0, 'r1'),
        status: 'published',
        erased: 0,
        code_version: '0.1.0+test',
        reason: 'manual',
        error: null,
        ...QUALITY,
        ...HOUR,
      },
    ],
    v2: [
      {
        layer: 'silver',
        rows_in: 15,
        rows_out: 11,
        duplicates: 2,
        rejected: 1,
        late: 1,
        workflow_id: 'reconcile-2026-11-22T05',
        run_id: 'r2',
        finished_at: T0 + 90_000,
        version: runVersion(T0 + 60_000, 'r2'),
        status: 'failed',
        erased: 0,
        code_version: '0.1.0+test',
        reason: 'reconcile',
        error: 'InvariantViolationError: silver 2026-11-22T05: wrote 10 rows, the ledger says 11',
        reject_rate: null,
        duplicate_rate: null,
        volume_ratio: null,
        null_rate_campaign: null,
        null_rate_device_type: null,
        null_rate_country: null,
        quality: null,
        quality_reasons: null,
        ...HOUR,
      },
    ],
  }),
] as const;

/** Parquet leaf columns a table's files must have: bigint INT64, double DOUBLE, strings and map entries BYTE_ARRAY UTF8. */
function expectedParquetColumns(def: TableDef): Array<[string, string, string | null]> {
  return dataColumns(def).flatMap((column): Array<[string, string, string | null]> => {
    switch (column.type) {
      case 'varchar':
        return [[column.name, 'BYTE_ARRAY', 'UTF8']];
      case 'bigint':
        return [[column.name, 'INT64', 'INT_64']];
      case 'double':
        return [[column.name, 'DOUBLE', null]];
      case 'boolean':
        return [[column.name, 'BOOLEAN', null]];
      case 'map(varchar, varchar)':
        return [
          ['key', 'BYTE_ARRAY', 'UTF8'],
          ['value', 'BYTE_ARRAY', 'UTF8'],
        ];
    }
  });
}

/** The rows as the table holds them, ordered by the first column (unique in every case). */
function sortedRows<Row extends object>(def: TableDef<Row>, rows: readonly Row[]): Array<Record<string, unknown>> {
  const first = def.columns[0]?.name as string;
  return rows
    .map((row) => Object.fromEntries(def.columns.map((column) => [column.name, (row as Record<string, unknown>)[column.name]])))
    .sort((a, b) => String(a[first]).localeCompare(String(b[first])));
}

describe('lake tables: Parquet written by DuckDB, read by Presto, published by switching the partition', () => {
  const config = stackConfig();
  const bucket = config.s3.bucket;
  const s3 = createS3(config.s3);
  const presto = new Presto(config.presto);
  const run = uniqueName('lt');
  const root = `test/${run}/`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clicklake-laketables-'));
  const created: TableDef[] = [];

  /** The table's test twin: a unique name in the same schema, its files below this run's prefix. */
  function testTable<Row extends object>(def: TableDef<Row>): TableDef<Row> {
    const twin = { ...def, table: uniqueName('t'), prefix: `${root}${def.schema}_${def.table}/` };
    created.push(twin);
    return twin;
  }

  async function selectAll(def: TableDef): Promise<Array<Record<string, unknown>>> {
    return presto.queryObjects(`SELECT * FROM ${qualifiedName(def)} ORDER BY 1`);
  }

  async function getText(key: string): Promise<string> {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToString()) ?? '';
  }

  async function deleteBelow(prefix: string): Promise<void> {
    for (;;) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      const keys = (listed.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
      if (keys.length === 0) return;
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    }
  }

  afterAll(async () => {
    for (const def of created) {
      await presto.query(dropTableSql(def)).catch(() => undefined);
      await deleteBelow(`${METASTORE_PREFIX}${def.schema}/${def.table}/`);
    }
    await deleteBelow(root);
    s3.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it.each(CASES.map((c) => [`${c.def.schema}.${c.def.table}`, c] as const))(
    '%s: rows read back whole, and rewriting the partition object switches versions in one step',
    async (_name, c) => {
      const def: TableDef = testTable(c.def as TableDef);
      const v1 = partitionLocation(def, bucket, c.partition, runVersion(T0, 'r1'));
      const v2 = partitionLocation(def, bucket, c.partition, runVersion(T0 + 60_000, 'r2'));

      // Version 1: a local file (its Parquet types checked), uploaded; the partition registered through Presto.
      const file = path.join(tmp, `${def.table}.parquet`);
      await writeParquet(def, c.v1 as object[], file, { partition: c.partition });
      expect(await parquetColumnTypes(file)).toEqual(expectedParquetColumns(def));
      await uploadFile(s3, bucket, `${partitionPrefix(def, c.partition, runVersion(T0, 'r1'))}part-00000.parquet`, file);
      await presto.query(createTableSql(def, bucket));
      await presto.query(registerPartitionSql(def, c.partition, v1));
      expect(await selectAll(def)).toEqual(sortedRows(def, c.v1 as object[]));

      // The partition object is where partitionMetadataKey says, and partitionMetadata builds what Trino wrote.
      const written = JSON.parse(await getText(partitionMetadataKey(def, c.partition))) as Record<string, unknown>;
      expect({ ...written, parameters: {} }).toEqual(partitionMetadata(def, v1));

      // Version 2 under its own prefix, then one PUT of the partition object: readers see v2.
      await writeParquetToS3(s3, bucket, `${partitionPrefix(def, c.partition, runVersion(T0 + 60_000, 'r2'))}part-00000.parquet`, def, c.v2 as object[]);
      expect(await selectAll(def)).toEqual(sortedRows(def, c.v1 as object[]));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: partitionMetadataKey(def, c.partition), Body: partitionMetadataJson(def, v2) }));
      expect(await selectAll(def)).toEqual(sortedRows(def, c.v2 as object[]));
    },
    60_000,
  );

  it('readers during a switch see the old version or the new one, never a mix', async () => {
    const def = testTable(SILVER_EVENTS);
    const versions = [runVersion(T0, 'a'), runVersion(T0 + 1, 'b')];
    const rows = [
      Array.from({ length: 300 }, (_, i) => silverRow(`a${String(i).padStart(4, '0')}`)),
      Array.from({ length: 200 }, (_, i) => silverRow(`b${String(i).padStart(4, '0')}`, { event_type: 'ad_click' })),
    ];
    for (const [i, version] of versions.entries()) {
      // Two files per version, so a half-switched reader could see one file of each.
      const versionRows = rows[i] ?? [];
      const half = Math.floor(versionRows.length / 2);
      for (const [part, partRows] of [versionRows.slice(0, half), versionRows.slice(half)].entries()) {
        await writeParquetToS3(s3, bucket, `${partitionPrefix(def, HOUR, version)}part-${part}.parquet`, def, partRows);
      }
    }
    await presto.query(createTableSql(def, bucket));
    await presto.query(registerPartitionSql(def, HOUR, partitionLocation(def, bucket, HOUR, versions[0])));

    const count = `SELECT event_type, count(*) FROM ${qualifiedName(def)} WHERE dt = '${HOUR.dt}' AND hr = '${HOUR.hr}' GROUP BY 1`;
    const readers = Array.from({ length: 12 }, (_, i) =>
      new Promise((resolve) => setTimeout(resolve, i * 40)).then(async () => (await presto.query(count)).rows),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: partitionMetadataKey(def, HOUR), Body: partitionMetadataJson(def, partitionLocation(def, bucket, HOUR, versions[1])) }));
    const seen = await Promise.all(readers);
    for (const result of seen) expect([[['ad_impression', 300]], [['ad_click', 200]]]).toContainEqual(result);
    expect(await presto.query(count)).toMatchObject({ rows: [['ad_click', 200]] });
  }, 60_000);

  it('a partition object written directly (no Presto call) publishes a new partition', async () => {
    const def = testTable(GOLD_DAU_DAILY);
    const day = { dt: '2026-11-23' };
    const version = runVersion(T0, 'direct');
    const rows = [{ device_type: 'all' as const, dau: 7, ...day }];
    await writeParquetToS3(s3, bucket, `${partitionPrefix(def, day, version)}part-00000.parquet`, def, rows);
    await presto.query(createTableSql(def, bucket));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: partitionMetadataKey(def, day), Body: partitionMetadataJson(def, partitionLocation(def, bucket, day, version)) }));
    expect(await selectAll(def)).toEqual(rows);
  }, 60_000);

  it('readParquetRows gives back exactly the rows written (none too), without partition columns', async () => {
    const file = path.join(tmp, 'roundtrip.parquet');
    const rows = CASES[0].v1;
    await writeParquet(SILVER_EVENTS, rows, file);
    const data = rows.map(({ dt: _dt, hr: _hr, ...rest }) => rest);
    expect(await readParquetRows(SILVER_EVENTS, file)).toEqual(data);
    await writeParquet(GOLD_CTR_HOURLY, [], file);
    expect(await readParquetRows(GOLD_CTR_HOURLY, file)).toEqual([]);
    expect(await parquetColumnTypes(file)).toEqual(expectedParquetColumns(GOLD_CTR_HOURLY));
    await expect(writeParquet(SILVER_EVENTS, rows, file, { partition: { dt: HOUR.dt, hr: '06' } })).rejects.toThrow('rows[0].hr is not 06');
    await expect(writeParquet(SILVER_EVENTS, [silverRow('x', { position_ms: 1.5 })], file)).rejects.toThrow('position_ms must be a safe integer');
  });
});
