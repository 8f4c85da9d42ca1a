import { bronzeObjectKey, manifestKey, parseManifest, type BronzeManifest } from '../../core/bronze';
import { compactionFigures, defaultCompactionDay, mergedManifest, planBronzeCompaction, rangeOfManifestKey, versionsToDelete, type CompactionInput } from '../../core/compaction';
import { coverageAfterCompaction, coverageOf } from '../../core/staleness';
import { DAY_MS } from '../../core/time';
import { runVersion } from '../../core/versions';

const DT = '2025-03-04';

/** An object of partition p, offsets first..last, `bytes` big, with these hour counts. */
function object(p: number, first: number, last: number, bytes: number, hours: Record<string, number>, codec: 'zstd' | 'gzip' = 'zstd', topic = 't'): CompactionInput {
  const range = { topic, partition: p, firstOffset: first, lastOffset: last };
  const rowCount = Object.values(hours).reduce((a, b) => a + b, 0);
  const manifest: BronzeManifest = {
    format: 1,
    objectKey: bronzeObjectKey(range, codec),
    ...range,
    rowCount,
    bytes,
    schemaIds: [p + 1],
    hourHistogram: hours,
    receivedRange: { min: 1000 + first, max: 1000 + last },
  };
  return { manifestKey: manifestKey(manifest.objectKey), manifest };
}

const ranges = (groups: ReturnType<typeof planBronzeCompaction>) => groups.map((g) => [g.partition, g.firstOffset, g.lastOffset, g.members.length]);

describe('planBronzeCompaction', () => {
  const h = (hr: string, n = 1) => ({ [`${DT}T${hr}`]: n });
  const cases: Array<[string, CompactionInput[], number, Array<[number, number, number, number]>]> = [
    ['contiguous objects of a partition merge into one', [object(0, 0, 9, 10, h('02')), object(0, 10, 19, 10, h('02')), object(0, 20, 29, 10, h('02'))], 100, [[0, 0, 29, 3]]],
    ['any input order; partitions apart', [object(1, 10, 19, 10, h('01')), object(0, 10, 19, 10, h('01')), object(1, 0, 9, 10, h('01')), object(0, 0, 9, 10, h('01'))], 100, [[0, 0, 19, 2], [1, 0, 19, 2]]],
    ['a gap in offsets splits the run', [object(0, 0, 9, 10, h('01')), object(0, 11, 19, 10, h('01')), object(0, 20, 29, 10, h('01'))], 100, [[0, 11, 29, 2]]],
    ['the target size splits the run', [object(0, 0, 9, 40, h('01')), object(0, 10, 19, 40, h('01')), object(0, 20, 29, 40, h('01')), object(0, 30, 39, 40, h('01'))], 100, [[0, 0, 19, 2], [0, 20, 39, 2]]],
    ['an object past the target stays alone', [object(0, 0, 9, 200, h('01')), object(0, 10, 19, 10, h('01')), object(0, 20, 29, 10, h('01'))], 100, [[0, 10, 29, 2]]],
    ['an object holding another day stays, and splits the run', [object(0, 0, 9, 10, h('01')), object(0, 10, 19, 10, { [`${DT}T23`]: 1, '2025-03-05T00': 1 }), object(0, 20, 29, 10, h('02')), object(0, 30, 39, 10, h('02'))], 100, [[0, 20, 39, 2]]],
    ['a new first event hour starts a new group; an object reaching into the next hour stays with its first', [object(0, 0, 9, 10, h('01')), object(0, 10, 19, 10, { ...h('01'), ...h('02') }), object(0, 20, 29, 10, h('02')), object(0, 30, 39, 10, h('02')), object(0, 40, 49, 10, h('03'))], 100, [[0, 0, 19, 2], [0, 20, 39, 2]]],
    ['gzip objects stay', [object(0, 0, 9, 10, h('01'), 'gzip'), object(0, 10, 19, 10, h('01')), object(0, 20, 29, 10, h('01'))], 100, [[0, 10, 29, 2]]],
    ['one object: nothing to merge', [object(0, 0, 9, 10, h('01'))], 100, []],
    ['the same manifest listed under two hours counts once', [object(0, 0, 9, 10, { ...h('01'), ...h('02') }), object(0, 0, 9, 10, { ...h('01'), ...h('02') })], 100, []],
    ['topics apart', [object(0, 0, 9, 10, h('01'), 'zstd', 'a'), object(0, 10, 19, 10, h('01'), 'zstd', 'b')], 100, []],
  ];
  it.each(cases)('%s', (_, objects, target, expected) => {
    expect(ranges(planBronzeCompaction(objects, DT, target))).toEqual(expected);
  });

  it('refuses a bad day or target', () => {
    expect(() => planBronzeCompaction([], '2025-3-4', 10)).toThrow(/day|date/i);
    expect(() => planBronzeCompaction([], DT, 0)).toThrow('targetBytes');
  });
});

describe('mergedManifest', () => {
  it('sums the members and names what it replaces; it reads back as a Bronze manifest', () => {
    const a = object(3, 100, 109, 70, { [`${DT}T01`]: 4, [`${DT}T02`]: 2 });
    const b = object(3, 110, 119, 30, { [`${DT}T01`]: 1, [`${DT}T02`]: 5 });
    const [group] = planBronzeCompaction([a, b], DT, 1000);
    const merged = mergedManifest(group!);
    const { replaces, ...manifest } = merged;
    expect(manifest).toEqual({
      format: 1,
      objectKey: 'bronze/events/topic=t/partition=00003/offsets=00000000000000000100-00000000000000000119.ndjson.zst',
      topic: 't',
      partition: 3,
      firstOffset: 100,
      lastOffset: 119,
      rowCount: 12,
      bytes: 100,
      schemaIds: [4],
      hourHistogram: { [`${DT}T01`]: 5, [`${DT}T02`]: 7 },
      receivedRange: { min: 1100, max: 1119 },
    });
    expect(replaces).toEqual([a.manifestKey, b.manifestKey]);
    expect(parseManifest(JSON.parse(JSON.stringify(merged)))).toEqual(manifest);
    expect(compactionFigures([a, b, object(4, 0, 1, 5, { [`${DT}T01`]: 1 })], [group!])).toEqual({ objects_before: 3, objects_after: 2, bytes_before: 105, bytes_after: 105 });
  });
});

describe('coverageAfterCompaction', () => {
  const hour = `${DT}T02`;
  const cases: Array<[string, Record<string, number>, Record<string, number>, Record<string, number> | 'same']> = [
    ['every replaced manifest of the hour read: the merged one is covered', { a: 4, b: 5 }, { a: 4, b: 5, c: 0 }, { a: 4, b: 5, m: 9 }],
    ['one of them not read: still uncovered', { a: 4 }, { a: 4, b: 5 }, 'same'],
    ['read with another count: still uncovered', { a: 4, b: 3 }, { a: 4, b: 5 }, 'same'],
    ['nothing of the hour replaced: unchanged', { a: 4 }, { c: 0 }, 'same'],
  ];
  it.each(cases)('%s', (_, read, replaced, expected) => {
    const coverage = coverageOf(hour, Object.entries(read));
    const after = coverageAfterCompaction(coverage, [{ merged: 'm', replaced }]);
    if (expected === 'same') expect(after).toBe(coverage);
    else expect(after).toEqual({ hour, manifests: expected });
  });

  it('a merged manifest already covered is left as it is', () => {
    const coverage = coverageOf(hour, [['m', 9]]);
    expect(coverageAfterCompaction(coverage, [{ merged: 'm', replaced: { a: 9 } }])).toBe(coverage);
  });
});

describe('versionsToDelete', () => {
  const now = Date.UTC(2025, 5, 30, 12);
  const v = (daysAgo: number, run = 'r') => runVersion(now - daysAgo * DAY_MS, run);
  const policy = { keepNewest: 3, keepDays: 7 };
  const cases: Array<[string, string[], string | undefined, typeof policy, string[]]> = [
    ['keeps the 3 newest and the young ones', [v(30), v(20), v(10), v(9), v(8), v(1)], v(1), policy, [v(30), v(20), v(10)]],
    ['never the published one, however old', [v(30), v(20), v(10), v(9), v(8)], v(30), policy, [v(20)]],
    ['younger than 7 days: kept even past the 3 newest', [v(6), v(5), v(4), v(3), v(2)], v(2), policy, []],
    ['exactly 7 days old is not younger', [v(7, 'a'), v(1, 'b'), v(1, 'c'), v(1, 'd')], v(1, 'd'), policy, [v(7, 'a')]],
    ['keepNewest 0 and keepDays 0: all but the published', [v(3), v(2), v(1)], v(1), { keepNewest: 0, keepDays: 0 }, [v(3), v(2)]],
    ['nothing published: still keeps the newest', [v(30), v(20), v(10), v(9)], undefined, policy, [v(30)]],
    ['names that are not versions are never chosen', ['junk', v(30), v(20), v(10), v(9)], v(9), policy, [v(30)]],
  ];
  it.each(cases)('%s', (_, versions, published, p, expected) => {
    expect(versionsToDelete(versions, published, now, p)).toEqual(expected);
  });
});

describe('defaultCompactionDay', () => {
  it.each([
    [Date.UTC(2025, 2, 4, 3), '2025-03-02'],
    [Date.UTC(2025, 2, 1, 0), '2025-02-27'],
    [Date.UTC(2025, 2, 4, 23, 59, 59, 999), '2025-03-02'],
  ])('%s -> %s', (now, dt) => expect(defaultCompactionDay(now)).toBe(dt));
});

describe('rangeOfManifestKey', () => {
  it('reads back the range manifestKey named, and refuses anything else', () => {
    const range = { topic: 'clicklake.events', partition: 11, firstOffset: 5, lastOffset: 123456789 };
    expect(rangeOfManifestKey(manifestKey(bronzeObjectKey(range)))).toEqual(range);
    expect(rangeOfManifestKey(manifestKey(bronzeObjectKey(range, 'gzip')))).toEqual(range);
    expect(() => rangeOfManifestKey('bronze/events/topic=t/partition=00001/offsets=1-2.json')).toThrow('manifest key');
    expect(() => rangeOfManifestKey('bronze/_manifests/events/topic=t/partition=1/offsets=1-2.json')).toThrow('bronze object key');
  });
});
