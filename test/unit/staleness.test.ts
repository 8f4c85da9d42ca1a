import { coverageOf, hourFreshness, parseCoverage, uncoveredManifests, type HourCoverage } from '../../core/staleness';

const HOUR = '2026-11-22T05';
const m = (partition: number, first: number): string => `bronze/_manifests/events/topic=t/partition=${String(partition).padStart(5, '0')}/offsets=${first}-${first + 9}.json`;

describe('coverage records', () => {
  it('lists the manifests a version read, sorted, and reads back as written', () => {
    const coverage = coverageOf(HOUR, [[m(2, 0), 4], [m(0, 10), 7], [m(0, 0), 10]]);
    expect(coverage).toEqual({ hour: HOUR, manifests: { [m(0, 0)]: 10, [m(0, 10)]: 7, [m(2, 0)]: 4 } });
    expect(Object.keys(coverage.manifests)).toEqual([m(0, 0), m(0, 10), m(2, 0)]);
    expect(parseCoverage(JSON.parse(JSON.stringify(coverage)))).toEqual(coverage);
  });

  it.each<[unknown, string]>([
    [[], 'coverage: must be a JSON object, got array'],
    [{ manifests: {} }, 'coverage.hour: required'],
    [{ hour: '2026-11-22 05', manifests: {} }, 'coverage.hour: must be an hour YYYY-MM-DDTHH, got string'],
    [{ hour: HOUR }, 'coverage.manifests: required'],
    [{ hour: HOUR, manifests: { a: -1, b: 2.5, c: 3 } }, 'coverage.manifests: record counts must be whole numbers ≥ 0 (2 are not)'],
  ])('refuses %j', (json, message) => {
    expect(() => parseCoverage(json)).toThrow(message);
  });
});

describe('staleness', () => {
  const coverage: HourCoverage = coverageOf(HOUR, [[m(0, 0), 10], [m(1, 0), 3]]);

  it.each<[string, HourCoverage | undefined, string[], string[]]>([
    ['nothing new', coverage, [m(1, 0), m(0, 0)], []],
    ['an object committed after the run', coverage, [m(0, 0), m(1, 0), m(0, 10)], [m(0, 10)]],
    ['several, sorted, each once', coverage, [m(3, 0), m(0, 10), m(3, 0), m(0, 0)], [m(0, 10), m(3, 0)]],
    ['a version without a coverage record read nothing', undefined, [m(1, 0), m(0, 0)], [m(0, 0), m(1, 0)]],
    // A manifest read but no longer in the index (compacted away) is not new data.
    ['a read object gone from the index', coverage, [m(0, 0)], []],
  ])('%s', (_name, cov, index, expected) => {
    expect(uncoveredManifests(cov, index)).toEqual(expected);
  });

  it.each<[boolean, number[], ReturnType<typeof hourFreshness>]>([
    [false, [5], { state: 'unpublished' }],
    [true, [], { state: 'fresh' }],
    [true, [0, 0], { state: 'fresh' }],
    [true, [5, 0, 2], { state: 'stale', waiting_events: 7, uncovered_objects: 2 }],
  ])('published %p with uncovered record counts %j is %j', (published, counts, expected) => {
    expect(hourFreshness(published, counts)).toEqual(expected);
  });
});
