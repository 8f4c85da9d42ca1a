import {
  goldDayPartitionPrefix,
  goldDayPrefix,
  goldHourPartitionPrefix,
  goldHourPrefix,
  latestVersion,
  parseRunVersion,
  runVersion,
  silverPartitionPrefix,
  silverPrefix,
  versionOfKey,
  type RunVersion,
} from '../../core/versions';

const T = Date.UTC(2026, 10, 22, 5, 41, 7, 123);
const RUN = '3f2a9c1e-7b4d-4e2a-9c1e-7b4d4e2a9c1e';
const V = `20261122T054107123Z-${RUN}`;

describe('run versions', () => {
  it.each<[number, string, string]>([
    [T, RUN, V],
    [0, 'a', '19700101T000000000Z-a'],
    [Date.UTC(9999, 11, 31, 23, 59, 59, 999), 'x_Y-9', '99991231T235959999Z-x_Y-9'],
  ])('%d %j', (ms, runId, version) => {
    expect(runVersion(ms, runId)).toBe(version);
    expect(parseRunVersion(version)).toEqual<RunVersion>({ createdAtMs: ms, runId });
  });

  it.each<[number, string, string]>([
    [-1, RUN, 'version: creation time must be epoch ms from 1970 to 9999, got -1'],
    [1.5, RUN, 'version: creation time must be epoch ms from 1970 to 9999, got 1.5'],
    [Date.UTC(10000, 0, 1), RUN, 'version: creation time must be epoch ms from 1970 to 9999'],
    [T, '', 'version: run id must be 1-64 of A-Z a-z 0-9 _ -, got ""'],
    [T, 'a/b', 'version: run id must be 1-64 of A-Z a-z 0-9 _ -, got "a/b"'],
    [T, 'x'.repeat(65), 'version: run id must be 1-64'],
  ])('refuses %d %j', (ms, runId, message) => {
    expect(() => runVersion(ms, runId)).toThrow(message);
  });

  it.each(['', 'v1', '20261122T054107123Z', '20261122T054107123Z-', '20261131T054107123Z-a', '20261122T244107123Z-a', '2026-11-22T05:41:07.123Z-a', '20261122T054107123Z-a b'])(
    'refuses to parse %j',
    (text) => {
      expect(() => parseRunVersion(text)).toThrow(`version: expected YYYYMMDDTHHMMSSmmmZ-<run id>, got "${text}"`);
    },
  );

  it('sorts as text in creation order', () => {
    const times = [0, 999, 1000, 60_000, T - 1, T, T + 1, Date.UTC(2100, 0, 1)];
    const versions = times.map((ms) => runVersion(ms, 'zz'));
    expect([...versions].reverse().sort()).toEqual(versions);
  });

  it.each<[string[], string | undefined]>([
    [[], undefined],
    [[V], V],
    [[runVersion(T + 1, 'a'), V, runVersion(T - 1, 'z')], runVersion(T + 1, 'a')],
    [[runVersion(T, 'b'), runVersion(T, 'a')], runVersion(T, 'b')],
  ])('latestVersion of %j', (versions, latest) => {
    expect(latestVersion(versions)).toBe(latest);
  });

  it('refuses to pick among names that are not versions', () => {
    expect(() => latestVersion([V, 'tmp'])).toThrow('version: expected YYYYMMDDTHHMMSSmmmZ-<run id>, got "tmp"');
  });
});

describe('versioned prefixes', () => {
  it('lays out Silver and Gold partitions and their versions', () => {
    expect({
      silver: [silverPartitionPrefix('2026-11-22', '05'), silverPrefix('2026-11-22', '05', V)],
      ctr: [goldHourPartitionPrefix('ctr_hourly', '2026-11-22', '05'), goldHourPrefix('ctr_hourly', '2026-11-22', '05', V)],
      daily: (['campaign_daily', 'dau_daily', 'title_plays_daily'] as const).map((table) => [goldDayPartitionPrefix(table, '2026-11-22'), goldDayPrefix(table, '2026-11-22', V)]),
    }).toEqual({
      silver: ['silver/events/dt=2026-11-22/hr=05/', `silver/events/dt=2026-11-22/hr=05/v=${V}/`],
      ctr: ['gold/ctr_hourly/dt=2026-11-22/hr=05/', `gold/ctr_hourly/dt=2026-11-22/hr=05/v=${V}/`],
      daily: [
        ['gold/campaign_daily/dt=2026-11-22/', `gold/campaign_daily/dt=2026-11-22/v=${V}/`],
        ['gold/dau_daily/dt=2026-11-22/', `gold/dau_daily/dt=2026-11-22/v=${V}/`],
        ['gold/title_plays_daily/dt=2026-11-22/', `gold/title_plays_daily/dt=2026-11-22/v=${V}/`],
      ],
    });
  });

  it.each<[() => string, string]>([
    [() => silverPrefix('2026-11-22', '24', V), 'hour: expected YYYY-MM-DDTHH (UTC), got "2026-11-22T24"'],
    [() => silverPrefix('2026-11-22', '5', V), 'hour: expected YYYY-MM-DDTHH (UTC), got "2026-11-22T5"'],
    [() => silverPrefix('2026-11-22', '05', 'latest'), 'version: expected'],
    [() => goldDayPrefix('dau_daily', '2026-02-30', V), 'day: expected YYYY-MM-DD, got "2026-02-30"'],
    [() => goldHourPrefix('ctr_hourly', '2026-11-22', '05', '../x'), 'version: expected'],
  ])('refuses %s', (build, message) => {
    expect(build).toThrow(message);
  });

  it.each<[string, string | undefined]>([
    [`silver/events/dt=2026-11-22/hr=05/v=${V}/part-0.parquet`, V],
    [`silver/events/dt=2026-11-22/hr=05/v=${V}/`, V],
    [`silver/events/dt=2026-11-22/hr=05/v=${V}`, undefined],
    ['silver/events/dt=2026-11-22/hr=05/_SUCCESS', undefined],
    [`silver/events/dt=2026-11-22/hr=06/v=${V}/a`, undefined],
  ])('versionOfKey %j', (key, version) => {
    expect(versionOfKey(silverPartitionPrefix('2026-11-22', '05'), key)).toBe(version);
  });

  it('refuses a version folder with a bad name', () => {
    expect(() => versionOfKey('silver/events/dt=2026-11-22/hr=05/', 'silver/events/dt=2026-11-22/hr=05/v=old/a')).toThrow('version: expected');
  });
});
