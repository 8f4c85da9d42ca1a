import {
  AUDIT_HOUR_RUNS,
  GOLD_CAMPAIGN_DAILY,
  GOLD_CTR_HOURLY,
  GOLD_DAU_DAILY,
  GOLD_DIM_CAMPAIGN,
  GOLD_TITLE_PLAYS_DAILY,
  LAKE_TABLES,
  SILVER_EVENTS,
  addMissingColumnsSql,
  createTableSql,
  dimCampaignKey,
  dataColumns,
  partitionLocation,
  partitionMetadata,
  partitionMetadataKey,
  partitionPrefix,
  registerPartitionSql,
} from '../../core/lakeTables';
import { SILVER_COLUMNS } from '../../core/silver';
import { goldDayPrefix, goldHourPrefix, runVersion, silverPrefix } from '../../core/versions';

const columnsOf = (def: { columns: ReadonlyArray<{ name: string; type: string }> }): string[] => def.columns.map((c) => `${c.name} ${c.type}`);
const VERSION = runVersion(Date.UTC(2026, 10, 22, 5, 41, 7, 123), 'run1');

describe('lake tables (CONTRACT §3)', () => {
  it('names every table in its schema, partitioned by dt (and hr for hourly tables), below its zone', () => {
    expect(LAKE_TABLES.map((t) => [`${t.schema}.${t.table}`, t.partitionedBy.join(','), t.prefix])).toEqual([
      ['silver.events', 'dt,hr', 'silver/events/'],
      ['silver.quarantine', 'dt,hr', 'silver/quarantine/'],
      ['gold.ctr_hourly', 'dt,hr', 'gold/ctr_hourly/'],
      ['gold.campaign_daily', 'dt', 'gold/campaign_daily/'],
      ['gold.dau_daily', 'dt', 'gold/dau_daily/'],
      ['gold.title_plays_daily', 'dt', 'gold/title_plays_daily/'],
      ['gold.dim_campaign', '', 'gold/dim_campaign/'],
      ['audit.hour_runs', 'dt,hr', 'audit/hour_runs/'],
      ['audit.restatements', '', 'audit/restatements/'],
      ['audit.erasures', '', 'audit/erasures/'],
    ]);
  });

  it('gives dim_campaign CONTRACT §3 columns and one object per id scope', () => {
    expect(columnsOf(GOLD_DIM_CAMPAIGN)).toEqual(['campaign_id varchar', 'advertiser_id varchar', 'name varchar']);
    expect(createTableSql(GOLD_DIM_CAMPAIGN, 'clicklake')).toBe(
      `CREATE TABLE IF NOT EXISTS "lake"."gold"."dim_campaign" ("campaign_id" varchar, "advertiser_id" varchar, "name" varchar) ` +
        `WITH (format = 'PARQUET', partitioned_by = ARRAY[], external_location = 's3://clicklake/gold/dim_campaign/')`,
    );
    expect([dimCampaignKey(undefined), dimCampaignKey('t-1a2b')]).toEqual(['gold/dim_campaign/campaigns.parquet', 'gold/dim_campaign/campaigns.t-1a2b.parquet']);
    expect(() => dimCampaignKey('../x')).toThrow('idScope: must be 1-24 of a-z 0-9 -, got "../x"');
  });

  it('gives Silver exactly SILVER_COLUMNS, in order', () => {
    expect(SILVER_EVENTS.columns.map((c) => c.name)).toEqual([...SILVER_COLUMNS]);
    expect(columnsOf(SILVER_EVENTS)).toEqual([
      'event_id varchar',
      'event_type varchar',
      'event_time bigint',
      'received_time bigint',
      'user_key varchar',
      'session_id varchar',
      'campaign_id varchar',
      'ad_id varchar',
      'placement varchar',
      'title_id varchar',
      'position_ms bigint',
      'device_type varchar',
      'country varchar',
      'page_url varchar',
      'properties map(varchar, varchar)',
      'dt varchar',
      'hr varchar',
    ]);
  });

  it('gives Gold and the audit table the contract columns (audit: version, status, erased, code_version, reason, error and the quality figures added before the partitions)', () => {
    expect([GOLD_CTR_HOURLY, GOLD_CAMPAIGN_DAILY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY, AUDIT_HOUR_RUNS].map(columnsOf)).toEqual([
      ['campaign_id varchar', 'impressions bigint', 'clicks bigint', 'ctr double', 'dt varchar', 'hr varchar'],
      ['campaign_id varchar', 'impressions bigint', 'clicks bigint', 'ctr double', 'unique_users bigint', 'dt varchar'],
      ['device_type varchar', 'dau bigint', 'dt varchar'],
      ['title_id varchar', 'plays bigint', 'unique_viewers bigint', 'dt varchar'],
      [
        'layer varchar',
        'rows_in bigint',
        'rows_out bigint',
        'duplicates bigint',
        'rejected bigint',
        'late bigint',
        'workflow_id varchar',
        'run_id varchar',
        'finished_at bigint',
        'version varchar',
        'status varchar',
        'erased bigint',
        'code_version varchar',
        'reason varchar',
        'error varchar',
        'reject_rate double',
        'duplicate_rate double',
        'volume_ratio double',
        'null_rate_campaign double',
        'null_rate_device_type double',
        'null_rate_country double',
        'quality varchar',
        'quality_reasons varchar',
        'dt varchar',
        'hr varchar',
      ],
    ]);
    expect(dataColumns(GOLD_DAU_DAILY).map((c) => c.name)).toEqual(['device_type', 'dau']);
  });

  it('builds idempotent external-table DDL', () => {
    expect(createTableSql(GOLD_CTR_HOURLY, 'clicklake')).toBe(
      `CREATE TABLE IF NOT EXISTS "lake"."gold"."ctr_hourly" ("campaign_id" varchar, "impressions" bigint, "clicks" bigint, "ctr" double, "dt" varchar, "hr" varchar) ` +
        `WITH (format = 'PARQUET', partitioned_by = ARRAY['dt', 'hr'], external_location = 's3://clicklake/gold/ctr_hourly/')`,
    );
  });

  it('lays partitions and versions out as core/versions.ts does', () => {
    const hour = { dt: '2026-11-22', hr: '05' };
    expect(partitionPrefix(SILVER_EVENTS, hour, VERSION)).toBe(silverPrefix('2026-11-22', '05', VERSION));
    expect(partitionPrefix(GOLD_CTR_HOURLY, hour, VERSION)).toBe(goldHourPrefix('ctr_hourly', '2026-11-22', '05', VERSION));
    expect(partitionPrefix(GOLD_DAU_DAILY, { dt: '2026-11-22' }, VERSION)).toBe(goldDayPrefix('dau_daily', '2026-11-22', VERSION));
    expect(partitionLocation(AUDIT_HOUR_RUNS, 'clicklake', hour)).toBe('s3://clicklake/audit/hour_runs/dt=2026-11-22/hr=05/');
  });

  it('names the file-metastore object of a partition', () => {
    expect(partitionMetadataKey(SILVER_EVENTS, { dt: '2026-11-22', hr: '05' })).toBe('_metastore/silver/events/dt=2026-11-22/hr=05/.trinoSchema');
    expect(partitionMetadataKey(GOLD_TITLE_PLAYS_DAILY, { dt: '2026-11-22' })).toBe('_metastore/gold/title_plays_daily/dt=2026-11-22/.trinoSchema');
  });

  it('refuses partition values that do not fit the table', () => {
    expect(() => partitionPrefix(SILVER_EVENTS, { dt: '2026-11-22' })).toThrow('silver.events: partition needs hr');
    expect(() => partitionPrefix(GOLD_DAU_DAILY, { dt: '2026-11-22', hr: '05' })).toThrow('gold.dau_daily: a daily table has no hr partition');
    expect(() => partitionMetadataKey(SILVER_EVENTS, { dt: '2026-11-22', hr: '24' })).toThrow('hour: expected YYYY-MM-DDTHH');
    expect(() => partitionMetadataKey(GOLD_DAU_DAILY, { dt: '2026-02-30' })).toThrow('day: expected YYYY-MM-DD');
  });

  it('builds the partition object as Trino writes it, with Hive type names', () => {
    const location = 's3://clicklake/gold/ctr_hourly/dt=2026-11-22/hr=05/v=x/';
    expect(partitionMetadata(GOLD_CTR_HOURLY, location)).toEqual({
      columns: [
        { name: 'campaign_id', type: 'string', properties: {} },
        { name: 'impressions', type: 'bigint', properties: {} },
        { name: 'clicks', type: 'bigint', properties: {} },
        { name: 'ctr', type: 'double', properties: {} },
      ],
      parameters: {},
      storageFormat: 'PARQUET',
      serdeParameters: {},
      externalLocation: location,
      columnStatistics: {},
    });
    expect(partitionMetadata(SILVER_EVENTS, location).columns.find((c) => c.name === 'properties')?.type).toBe('map<string,string>');
    expect(() => partitionMetadata(GOLD_CTR_HOURLY, 'gold/ctr_hourly/')).toThrow('partition location: expected s3://bucket/prefix/');
  });

  it('registers a partition through the catalog procedure', () => {
    expect(registerPartitionSql(GOLD_CTR_HOURLY, { dt: '2026-11-22', hr: '05' }, 's3://clicklake/gold/ctr_hourly/dt=2026-11-22/hr=05/v=x/')).toBe(
      `CALL "lake".system.register_partition('gold', 'ctr_hourly', ARRAY['dt', 'hr'], ARRAY['2026-11-22', '05'], 's3://clicklake/gold/ctr_hourly/dt=2026-11-22/hr=05/v=x/')`,
    );
  });

  describe('addMissingColumnsSql', () => {
    const asStored = (names: readonly string[]) => AUDIT_HOUR_RUNS.columns.filter((c) => names.includes(c.name)).map((c) => ({ name: c.name, type: c.type }));
    const before = ['layer', 'rows_in', 'rows_out', 'duplicates', 'rejected', 'late', 'workflow_id', 'run_id', 'finished_at', 'dt', 'hr'];

    it.each<[string, readonly string[], string[]]>([
      ['adds nothing to a table of this release', AUDIT_HOUR_RUNS.columns.map((c) => c.name), []],
      [
        'adds the columns a table of an earlier release lacks, in table order',
        before,
        ['version varchar', 'status varchar', 'erased bigint', 'code_version varchar', 'reason varchar', 'error varchar', 'reject_rate double', 'duplicate_rate double', 'volume_ratio double', 'null_rate_campaign double', 'null_rate_device_type double', 'null_rate_country double', 'quality varchar', 'quality_reasons varchar'].map((c) => `ALTER TABLE "lake"."audit"."hour_runs" ADD COLUMN "${c.split(' ')[0]}" ${c.split(' ')[1]}`),
      ],
      [
        'adds only what is missing',
        [...before, 'version', 'status', 'erased', 'code_version', 'reason', 'error', 'reject_rate', 'duplicate_rate', 'volume_ratio', 'null_rate_campaign', 'null_rate_device_type', 'null_rate_country', 'quality'],
        [`ALTER TABLE "lake"."audit"."hour_runs" ADD COLUMN "quality_reasons" varchar`],
      ],
    ])('%s', (_name, existing, expected) => {
      expect(addMissingColumnsSql(AUDIT_HOUR_RUNS, asStored(existing))).toEqual(expected);
    });

    it('refuses a table with a column it does not know, or of another type, naming them', () => {
      expect(() => addMissingColumnsSql(GOLD_CTR_HOURLY, [...asStored([]), { name: 'campaign_id', type: 'varchar' }, { name: 'spend', type: 'double' }])).toThrow(
        'gold.ctr_hourly: has columns this release does not know (spend)',
      );
      expect(() => addMissingColumnsSql(GOLD_CTR_HOURLY, [{ name: 'impressions', type: 'varchar' }])).toThrow('gold.ctr_hourly: impressions is varchar, expected bigint');
    });
  });
});
