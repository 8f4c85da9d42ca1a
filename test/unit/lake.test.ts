import { createSchemaSql, LAKE_SCHEMAS, quoteIdentifier, quoteLiteral, zoneLocation, zoneMarkerKey } from '../../core/lake';

describe('lake layout', () => {
  it('puts each schema in its own zone of the bucket', () => {
    expect(LAKE_SCHEMAS.map((z) => [zoneLocation('clicklake', z), zoneMarkerKey(z)])).toEqual([
      ['s3://clicklake/bronze/', 'bronze/_zone.json'],
      ['s3://clicklake/silver/', 'silver/_zone.json'],
      ['s3://clicklake/gold/', 'gold/_zone.json'],
      ['s3://clicklake/audit/', 'audit/_zone.json'],
    ]);
  });

  it('builds an idempotent CREATE SCHEMA', () => {
    expect(createSchemaSql('lake', 'clicklake', 'gold')).toBe(
      `CREATE SCHEMA IF NOT EXISTS "lake"."gold" WITH (location = 's3://clicklake/gold/')`,
    );
  });

  it('quotes literals and refuses identifiers that could inject SQL', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteIdentifier('ctr_hourly')).toBe('"ctr_hourly"');
    expect(() => quoteIdentifier('x"; DROP TABLE y; --')).toThrow('invalid SQL identifier');
  });
});
