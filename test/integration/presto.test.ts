import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createS3, Presto } from '../../activities/clients';
import { stackConfig, uniqueName } from '../support/stack';

describe('Presto (Trino) over the S3 lake', () => {
  const config = stackConfig();
  const s3 = createS3(config.s3);
  const presto = new Presto(config.presto);
  const table = uniqueName('t_parquet');
  const prefix = `test/${table}/`;

  afterAll(async () => {
    await presto.query(`DROP TABLE IF EXISTS lake.bronze.${table}`).catch(() => undefined);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: config.s3.bucket, Prefix: prefix }));
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: config.s3.bucket, Delete: { Objects: keys } }));
    s3.destroy();
  });

  it('has the lake schemas', async () => {
    const { rows } = await presto.query('SHOW SCHEMAS FROM lake');
    expect(rows.map((r) => r[0])).toEqual(expect.arrayContaining(['bronze', 'silver', 'gold', 'audit']));
  });

  it('reads Parquet files written to S3 through an external table and returns the right count', async () => {
    // DuckDB (the embedded engine the lake writes Parquet with) writes the files locally; they are uploaded as is.
    const db = await DuckDBInstance.create(':memory:');
    const duck = await db.connect();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clicklake-test-'));
    const files = [
      { name: 'part-0.parquet', rows: "(1, 'c1'), (2, 'c2'), (3, 'c1')" },
      { name: 'part-1.parquet', rows: "(4, 'c2'), (5, 'c3')" },
    ];
    try {
      for (const f of files) {
        const file = path.join(dir, f.name);
        await duck.run(`COPY (SELECT * FROM (VALUES ${f.rows}) AS t(id, campaign_id)) TO '${file}' (FORMAT PARQUET)`);
        await s3.send(new PutObjectCommand({ Bucket: config.s3.bucket, Key: `${prefix}${f.name}`, Body: fs.readFileSync(file) }));
      }
    } finally {
      duck.closeSync();
      db.closeSync();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await presto.query(
      `CREATE TABLE lake.bronze.${table} (id integer, campaign_id varchar) WITH (format = 'PARQUET', external_location = 's3://${config.s3.bucket}/${prefix}')`,
    );
    const { rows } = await presto.query(`SELECT campaign_id, count(*), sum(id) FROM lake.bronze.${table} GROUP BY campaign_id ORDER BY campaign_id`);
    expect(rows).toEqual([
      ['c1', 2, 4],
      ['c2', 2, 6],
      ['c3', 1, 5],
    ]);
  }, 60_000);
});
