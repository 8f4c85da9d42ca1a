import { DEFAULT_QUALITY_THRESHOLDS, judgeQuality, previousDays, qualityFigures, volumeBaseline, volumeBaselineSql, type QualityFigures } from '../../core/quality';

const clean: QualityFigures = { reject_rate: 0.01, duplicate_rate: 0.02, volume_ratio: 1.1, null_rate_campaign: 0, null_rate_device_type: 0.1, null_rate_country: 0.2 };

describe('qualityFigures', () => {
  it('derives each rate from the ledger and the null counts, the volume from the baseline', () => {
    const ledger = { rows_in: 200, rows_out: 150, duplicates: 20, rejected: 25, late: 5, erased: 0 };
    const nulls = { adEvents: 80, adWithoutCampaign: 4, kept: 150, withoutDeviceType: 15, withoutCountry: 30 };
    expect(qualityFigures(ledger, nulls, 100)).toEqual({
      reject_rate: 0.125,
      duplicate_rate: 0.1,
      volume_ratio: 2,
      null_rate_campaign: 0.05,
      null_rate_device_type: 0.1,
      null_rate_country: 0.2,
    });
  });

  it('reads an empty hour as all zeros and no baseline as no volume figure', () => {
    const empty = { rows_in: 0, rows_out: 0, duplicates: 0, rejected: 0, late: 0, erased: 0 };
    const none = { adEvents: 0, adWithoutCampaign: 0, kept: 0, withoutDeviceType: 0, withoutCountry: 0 };
    expect(qualityFigures(empty, none, null)).toEqual({ reject_rate: 0, duplicate_rate: 0, volume_ratio: null, null_rate_campaign: 0, null_rate_device_type: 0, null_rate_country: 0 });
    expect(qualityFigures(empty, none, 0).volume_ratio).toBeNull();
  });
});

describe('volumeBaseline', () => {
  it.each<[number[], number | null]>([
    [[], null],
    [[7], 7],
    [[9, 1, 5], 5],
    [[10, 2, 4, 8], 6],
  ])('median of %j is %p', (previous, expected) => {
    expect(volumeBaseline(previous)).toBe(expected);
  });
});

describe('judgeQuality with the default thresholds', () => {
  it.each<[string, Partial<QualityFigures>, ReturnType<typeof judgeQuality>]>([
    ['a clean hour', {}, { level: 'ok', reasons: [] }],
    ['no baseline yet', { volume_ratio: null }, { level: 'ok', reasons: [] }],
    ['a few more rejects', { reject_rate: 0.06 }, { level: 'warn', reasons: ['reject_rate 0.06 > warn 0.05'] }],
    ['exactly the blocking share is not above it', { reject_rate: 0.2 }, { level: 'warn', reasons: ['reject_rate 0.2 > warn 0.05'] }],
    ['more than 20% rejected', { reject_rate: 0.31 }, { level: 'block', reasons: ['reject_rate 0.31 > block 0.2'] }],
    ['a third of the usual volume', { volume_ratio: 0.25 }, { level: 'warn', reasons: ['volume_ratio 0.25 (4x off the baseline) > warn 3'] }],
    ['four times the usual volume', { volume_ratio: 4 }, { level: 'warn', reasons: ['volume_ratio 4 (4x off the baseline) > warn 3'] }],
    ['no events where there used to be', { volume_ratio: 0 }, { level: 'warn', reasons: ['volume_ratio 0 (Infinityx off the baseline) > warn 3'] }],
    [
      'a block and warnings: the worst level, every reason',
      { reject_rate: 0.5, null_rate_country: 0.9, duplicate_rate: 0.15 },
      { level: 'block', reasons: ['reject_rate 0.5 > block 0.2', 'duplicate_rate 0.15 > warn 0.1', 'null_rate_country 0.9 > warn 0.5'] },
    ],
  ])('%s', (_name, change, expected) => {
    expect(judgeQuality({ ...clean, ...change }, DEFAULT_QUALITY_THRESHOLDS)).toEqual(expected);
  });

  it('blocks on any figure given a blocking bound', () => {
    const strict = { ...DEFAULT_QUALITY_THRESHOLDS, nullRate: { warn: 0.1, block: 0.3 } };
    expect(judgeQuality({ ...clean, null_rate_device_type: 0.4 }, strict)).toEqual({ level: 'block', reasons: ['null_rate_device_type 0.4 > block 0.3', 'null_rate_country 0.2 > warn 0.1'] });
  });
});

describe('the volume baseline query', () => {
  it('asks for the latest published run of the same hour on each previous day', () => {
    expect(previousDays('2026-03-01', 3)).toEqual(['2026-02-28', '2026-02-27', '2026-02-26']);
    expect(volumeBaselineSql('05', ['2026-11-21', '2026-11-20'])).toBe(
      "SELECT dt, rows_in FROM (SELECT dt, rows_in, status, row_number() OVER (PARTITION BY dt ORDER BY finished_at DESC) AS n " +
        "FROM lake.audit.hour_runs WHERE layer = 'silver' AND hr = '05' AND dt IN ('2026-11-21', '2026-11-20')) WHERE n = 1 AND coalesce(status, 'published') = 'published'",
    );
  });
});
