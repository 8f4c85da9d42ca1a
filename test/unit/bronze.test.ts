import {
  bronzeCovers,
  bronzeObjectKey,
  buildManifest,
  coverage,
  formatBronzeLine,
  hourIndexKey,
  hourIndexPrefix,
  hoursIn,
  manifestPrefixFrom,
  manifestKey,
  manifestKeyOfHourIndex,
  objectsForHour,
  parseBronzeLine,
  parseBronzeObjectKey,
  parseBronzeRecord,
  parseManifest,
  parseOffset,
  planBronzeBatch,
  rangesByPartition,
  type BatchPlan,
  type BatchPlanInput,
  type BronzeCoverage,
  type BronzeManifest,
  type BronzeRange,
  type Coverage,
  type OffsetRange,
} from '../../core/bronze';
import { H5, MIN, TOPIC, bronzeRecord, pageView } from './bronzeFixtures';

const H6 = H5 + 60 * MIN;
const range = (topic: string, partition: number, firstOffset: number, lastOffset: number): BronzeRange => ({ topic, partition, firstOffset, lastOffset });
const offsets = (firstOffset: number, lastOffset: number): OffsetRange => ({ firstOffset, lastOffset });

describe('Bronze object keys', () => {
  it.each<[BronzeRange, string, string]>([
    [
      range(TOPIC, 3, 0, 999),
      'bronze/events/topic=clicklake.events/partition=00003/offsets=00000000000000000000-00000000000000000999.ndjson.zst',
      'bronze/_manifests/events/topic=clicklake.events/partition=00003/offsets=00000000000000000000-00000000000000000999.json',
    ],
    [
      range('t_1-x', 99999, 9007199254740991, 9007199254740991),
      'bronze/events/topic=t_1-x/partition=99999/offsets=00009007199254740991-00009007199254740991.ndjson.zst',
      'bronze/_manifests/events/topic=t_1-x/partition=99999/offsets=00009007199254740991-00009007199254740991.json',
    ],
  ])('%j', (r, key, manifest) => {
    expect({ key: bronzeObjectKey(r), back: parseBronzeObjectKey(key), manifest: manifestKey(key) }).toEqual({ key, back: { ...r, codec: 'zstd', rewrite: 0 }, manifest });
  });

  it('names gzip objects (written before zstd) .ndjson.gz, with the same manifest', () => {
    const r = range(TOPIC, 3, 0, 999);
    const key = 'bronze/events/topic=clicklake.events/partition=00003/offsets=00000000000000000000-00000000000000000999.ndjson.gz';
    expect(bronzeObjectKey(r, 'gzip')).toBe(key);
    expect(parseBronzeObjectKey(key)).toEqual({ ...r, codec: 'gzip', rewrite: 0 });
    expect(manifestKey(key)).toBe(manifestKey(bronzeObjectKey(r)));
    expect(() => parseBronzeObjectKey(key.replace('.gz', '.bz2'))).toThrow('bronze object key: expected');
  });

  it('names an object an erasure rewrote .r<N>, under the same manifest (one commit point per range)', () => {
    const r = range(TOPIC, 3, 0, 999);
    const key = 'bronze/events/topic=clicklake.events/partition=00003/offsets=00000000000000000000-00000000000000000999.r2.ndjson.zst';
    expect(bronzeObjectKey(r, 'zstd', 2)).toBe(key);
    expect(parseBronzeObjectKey(key)).toEqual({ ...r, codec: 'zstd', rewrite: 2 });
    expect(manifestKey(key)).toBe(manifestKey(bronzeObjectKey(r)));
    expect(() => parseBronzeObjectKey(key.replace('.r2', '.r0'))).toThrow('bronze object key: expected');
    expect(() => bronzeObjectKey(r, 'zstd', -1)).toThrow('rewrite: must be a whole number');
  });

  it('gives the same key for a retry of the same range', () => {
    expect(bronzeObjectKey(range(TOPIC, 1, 5, 9))).toBe(bronzeObjectKey({ lastOffset: 9, firstOffset: 5, partition: 1, topic: TOPIC }));
  });

  it('sorts keys as text in offset order', () => {
    const ranges = [offsets(0, 8), offsets(9, 9), offsets(10, 99), offsets(100, 1e15), offsets(1e15 + 1, 2 ** 53 - 1)];
    const keys = ranges.map((r) => bronzeObjectKey({ topic: TOPIC, partition: 7, ...r }));
    expect([...keys].reverse().sort()).toEqual(keys);
  });

  it.each<[string, string]>([
    ['bronze/events/topic=t/partition=3/offsets=00000000000000000000-00000000000000000009.ndjson.gz', 'bronze object key: expected'],
    ['bronze/events/topic=t/partition=00003/offsets=0-9.ndjson.gz', 'bronze object key: expected'],
    ['bronze/events/topic=t/partition=00003/offsets=00000000000000000000-00000000000000000009.json', 'bronze object key: expected'],
    ['silver/events/topic=t/partition=00003/offsets=00000000000000000000-00000000000000000009.ndjson.gz', 'bronze object key: expected'],
    ['bronze/events/topic=t/partition=00003/offsets=00000000000000000010-00000000000000000009.ndjson.gz', 'lastOffset: 9 is before firstOffset 10'],
    ['bronze/events/topic=t/partition=00003/offsets=00000000000000000000-00009007199254740992.ndjson.gz', 'lastOffset: must be a whole number from 0 to 9007199254740991'],
    ['bronze/events/topic=a b/partition=00003/offsets=00000000000000000000-00000000000000000009.ndjson.gz', 'topic: must be 1-249 of A-Z a-z 0-9 . _ -'],
  ])('refuses key %j', (key, message) => {
    expect(() => parseBronzeObjectKey(key)).toThrow(message);
    expect(() => manifestKey(key)).toThrow(message);
  });

  it.each<[BronzeRange, string]>([
    [range('a/b', 0, 0, 1), 'topic: must be 1-249 of A-Z a-z 0-9 . _ -, got "a/b"'],
    [range('..', 0, 0, 1), 'topic: must be'],
    [range(TOPIC, -1, 0, 1), 'partition: must be a whole number from 0 to 99999, got -1'],
    [range(TOPIC, 100000, 0, 1), 'partition: must be a whole number from 0 to 99999, got 100000'],
    [range(TOPIC, 0, 1.5, 2), 'firstOffset: must be a whole number from 0 to 9007199254740991, got 1.5'],
    [range(TOPIC, 0, 0, 2 ** 53), 'lastOffset: must be a whole number from 0 to 9007199254740991, got 9007199254740992'],
    [range(TOPIC, 0, 5, 4), 'lastOffset: 4 is before firstOffset 5'],
  ])('refuses range %j', (r, message) => {
    expect(() => bronzeObjectKey(r)).toThrow(message);
  });
});

describe('parseOffset', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['00000000000000000042', 42],
    ['9007199254740991', 9007199254740991],
  ])('%j', (text, value) => {
    expect(parseOffset(text)).toBe(value);
  });

  it.each(['9007199254740992', '-1', '1e3', '1.0', '', ' 1', '000000000000000000001'])('refuses %j', (text) => {
    expect(() => parseOffset(text, 'committedOffset')).toThrow(`committedOffset: must be a whole number from 0 to 9007199254740991, got "${text}"`);
  });
});

/** Partition 2, offsets 100-109 with holes at 101 and 105-107; two event hours, two schema ids. */
const RECORDS = [
  bronzeRecord(pageView('e1', H5 + 10 * MIN), 2, 100),
  bronzeRecord(pageView('e2', H5 + 59 * MIN), 2, 102, { schema_id: 4 }),
  bronzeRecord(pageView('e3', H6, { received_time: H6 - 30 * MIN }), 2, 103),
  bronzeRecord(pageView('e4', H5, { received_time: H6 + 5 * MIN }), 2, 104),
  bronzeRecord(pageView('e5', H6 + 1), 2, 109, { schema_id: 4 }),
];
const META = { topic: TOPIC, partition: 2, firstOffset: 100, lastOffset: 109, bytes: 1234 };
const MANIFEST: BronzeManifest = {
  format: 1,
  objectKey: 'bronze/events/topic=clicklake.events/partition=00002/offsets=00000000000000000100-00000000000000000109.ndjson.zst',
  topic: TOPIC,
  partition: 2,
  firstOffset: 100,
  lastOffset: 109,
  rowCount: 5,
  bytes: 1234,
  schemaIds: [1, 4],
  hourHistogram: { '2026-11-22T05': 3, '2026-11-22T06': 2 },
  receivedRange: { min: H5 + 11 * MIN, max: H6 + 5 * MIN },
};

describe('buildManifest', () => {
  it('summarises the records of an object', () => {
    expect(buildManifest(RECORDS, META)).toEqual(MANIFEST);
    expect(buildManifest([...RECORDS].reverse(), META)).toEqual(MANIFEST);
  });

  it('describes an object without records', () => {
    expect(buildManifest([], { ...META, lastOffset: 100 })).toEqual({
      ...MANIFEST,
      objectKey: bronzeObjectKey({ ...META, lastOffset: 100 }),
      lastOffset: 100,
      rowCount: 0,
      schemaIds: [],
      hourHistogram: {},
      receivedRange: null,
    });
  });

  it.each<[string, Parameters<typeof buildManifest>, string]>([
    ['another partition', [[bronzeRecord(pageView('e1', H5), 3, 100)], META], 'records[0]: of another topic-partition than clicklake.events/2'],
    ['another topic', [[bronzeRecord(pageView('e1', H5), 2, 100, { topic: 'other' })], META], 'records[0]: of another topic-partition'],
    ['an offset outside the range', [[RECORDS[0]!, bronzeRecord(pageView('e9', H5), 2, 110)], META], 'records[1].offset: 110 outside 100-109'],
    ['an offset twice', [[RECORDS[0]!, RECORDS[0]!], META], 'records[1].offset: 100 appears twice'],
    ['a bad size', [RECORDS, { ...META, bytes: -1 }], 'bytes: must be a whole number from 0 to'],
    ['a bad range', [RECORDS, { ...META, lastOffset: 99 }], 'lastOffset: 99 is before firstOffset 100'],
  ])('refuses %s', (_, args, message) => {
    expect(() => buildManifest(...args)).toThrow(message);
  });
});

describe('parseManifest', () => {
  it('reads back what buildManifest wrote, through JSON', () => {
    expect(parseManifest(JSON.parse(JSON.stringify(MANIFEST)))).toEqual(MANIFEST);
    const empty = buildManifest([], META);
    expect(parseManifest(JSON.parse(JSON.stringify(empty)))).toEqual(empty);
  });

  const json = (changes: Record<string, unknown>): Record<string, unknown> => {
    const merged: Record<string, unknown> = { ...JSON.parse(JSON.stringify(MANIFEST)), ...changes };
    for (const key of Object.keys(changes)) if (changes[key] === undefined) delete merged[key];
    return merged;
  };

  it.each<[string, unknown, string]>([
    ['not an object', [], 'manifest: must be a JSON object, got array'],
    ['another format', json({ format: 2 }), 'manifest.format: must be 1, got 2'],
    ['no format', json({ format: undefined }), 'manifest.format: required'],
    ['no objectKey', json({ objectKey: undefined }), 'manifest.objectKey: required'],
    ['a bad topic', json({ topic: 'a/b' }), 'manifest.topic: must be a Kafka topic name, got string'],
    ['a string partition', json({ partition: '2' }), 'manifest.partition: must be a whole number from 0 to 99999, got string'],
    ['a negative firstOffset', json({ firstOffset: -1 }), 'manifest.firstOffset: must be a whole number from 0 to 9007199254740991, got -1'],
    ['an unsafe lastOffset', json({ lastOffset: 2 ** 53 }), 'manifest.lastOffset: must be a whole number from 0 to 9007199254740991, got 9007199254740992'],
    ['a fractional rowCount', json({ rowCount: 4.5 }), 'manifest.rowCount: must be a whole number'],
    ['no bytes', json({ bytes: null }), 'manifest.bytes: must be a whole number from 0 to 9007199254740991, got null'],
    ['unsorted schemaIds', json({ schemaIds: [4, 1] }), 'manifest.schemaIds: must be an increasing array of schema ids'],
    ['repeated schemaIds', json({ schemaIds: [1, 1] }), 'manifest.schemaIds: must be an increasing array'],
    ['a histogram array', json({ hourHistogram: [] }), 'manifest.hourHistogram: must be an object, got array'],
    ['a bad hour', json({ hourHistogram: { '2026-11-22T24': 3, '2026-11-22T06': 2 } }), 'manifest.hourHistogram: keys must be hours YYYY-MM-DDTHH (1 are not)'],
    ['a zero count', json({ hourHistogram: { '2026-11-22T05': 5, '2026-11-22T06': 0 } }), 'manifest.hourHistogram: counts must be whole numbers ≥ 1 (1 are not)'],
    ['a receivedRange min', json({ receivedRange: { max: 5 } }), 'manifest.receivedRange.min: required'],
    ['a reversed receivedRange', json({ receivedRange: { min: 5, max: 4 } }), 'manifest.receivedRange.max: 4 is before min 5'],
    ['a reversed range', json({ firstOffset: 110 }), 'manifest.lastOffset: 109 is before firstOffset 110'],
    ['a key of another range', json({ lastOffset: 108 }), 'manifest.objectKey: does not match topic, partition, offsets and rewrite'],
    ['more rows than offsets', json({ rowCount: 11 }), 'manifest.rowCount: 11 is more than the 10 offsets of the range'],
    ['a histogram of other rows', json({ rowCount: 6 }), 'manifest.hourHistogram: counts add up to 5, rowCount is 6'],
    ['receivedRange without rows', json({ receivedRange: null }), 'manifest.receivedRange: must be null exactly when rowCount is 0'],
  ])('names the field of %s', (_, input, message) => {
    expect(() => parseManifest(input)).toThrow(message);
  });

  it('names every faulty field at once', () => {
    expect(() => parseManifest(json({ partition: -1, bytes: 'x' }))).toThrow(
      'manifest.partition: must be a whole number from 0 to 99999, got -1; manifest.bytes: must be a whole number from 0 to 9007199254740991, got string',
    );
  });
});

describe('Bronze records', () => {
  const record = bronzeRecord(pageView('e1', H5, { properties: { k: 'v' }, extra_json: '{"sdk":"x"}', device_type: 'web' }), 2, 100);

  it('round-trips a record through its NDJSON line, byte-stable', () => {
    const line = formatBronzeLine(record);
    expect(parseBronzeLine(line)).toEqual(record);
    expect(formatBronzeLine(parseBronzeLine(line))).toBe(line);
  });

  it('leaves null fields out of the line, and reads lines written with them (before) alike', () => {
    const line = formatBronzeLine(record);
    expect(Object.keys((JSON.parse(line) as { event: object }).event)).toEqual(['event_id', 'event_type', 'event_time', 'user_id', 'device_type', 'properties', 'received_time', 'extra_json']);
    const withNulls = JSON.parse(line) as { event: Record<string, unknown> };
    for (const [name, value] of Object.entries(record.event)) if (value === null) withNulls.event[name] = null;
    expect(parseBronzeRecord(withNulls)).toEqual(record);
  });

  it('reads an optional field the writer did not know as null, and ignores unknown names', () => {
    const json = JSON.parse(formatBronzeLine(record)) as { event: Record<string, unknown> };
    delete json.event.referrer;
    json.event.future_field = 1;
    expect(parseBronzeRecord(json)).toEqual(record);
  });

  type Json = { event?: Record<string, unknown> } & Record<string, unknown>;
  const mutate = (change: (json: Json & { event: Record<string, unknown> }) => void): unknown => {
    const json = JSON.parse(formatBronzeLine(record)) as Json & { event: Record<string, unknown> };
    change(json);
    return json;
  };

  it.each<[string, unknown, string]>([
    ['a string offset', mutate((j) => (j.offset = '100')), 'record.offset: must be a whole number from 0 to 9007199254740991, got string'],
    ['no schema id', mutate((j) => delete j.schema_id), 'record.schema_id: required'],
    ['no event', mutate((j: Json) => delete j.event), 'record.event: required'],
    ['an unknown event type', mutate((j) => (j.event.event_type = 'ad_hover')), 'record.event.event_type: must be Avro enum:EventType, got string'],
    ['a null event_id', mutate((j) => (j.event.event_id = null)), 'record.event.event_id: required'],
    ['a fractional event_time', mutate((j) => (j.event.event_time = 1.5)), 'record.event.event_time: must be Avro long, got 1.5'],
    ['a bad device', mutate((j) => (j.event.device_type = 'fridge')), 'record.event.device_type: must be Avro enum:DeviceType, got string'],
    ['a numeric property', mutate((j) => (j.event.properties = { k: 1 })), 'record.event.properties: must be Avro map<string>, got object'],
    ['two receive times', mutate((j) => (j.received_time = H5)), `record.received_time: ${H5} differs from event.received_time ${H5 + MIN}`],
  ])('refuses %s', (_, json, message) => {
    expect(() => parseBronzeRecord(json)).toThrow(message);
  });

  it('refuses a line that is not JSON, naming where it is', () => {
    expect(() => parseBronzeLine('{"topic":', 'line 7')).toThrow('line 7: not JSON');
  });
});

describe('coverage of one partition', () => {
  it.each<[string, OffsetRange[], number, Coverage]>([
    ['nothing', [], 0, { startOffset: 0, nextOffset: 0, endOffset: 0, gaps: [], overlaps: [] }],
    ['contiguous ranges in any order', [offsets(100, 199), offsets(0, 99), offsets(200, 200)], 0, { startOffset: 0, nextOffset: 201, endOffset: 201, gaps: [], overlaps: [] }],
    [
      'a gap',
      [offsets(0, 99), offsets(100, 199), offsets(300, 399)],
      0,
      { startOffset: 0, nextOffset: 200, endOffset: 400, gaps: [{ from: 200, to: 299 }], overlaps: [] },
    ],
    ['a hole before the first range', [offsets(10, 19)], 0, { startOffset: 0, nextOffset: 0, endOffset: 20, gaps: [{ from: 0, to: 9 }], overlaps: [] }],
    ['a start inside a range, ranges before it ignored', [offsets(0, 49), offsets(50, 99), offsets(100, 149)], 60, { startOffset: 60, nextOffset: 150, endOffset: 150, gaps: [], overlaps: [] }],
    ['a retried rewrite of the same range', [offsets(0, 99), offsets(0, 99), offsets(100, 149)], 0, { startOffset: 0, nextOffset: 150, endOffset: 150, gaps: [], overlaps: [] }],
    [
      'overlapping different ranges',
      [offsets(0, 99), offsets(50, 149), offsets(150, 199), offsets(160, 170)],
      0,
      {
        startOffset: 0,
        nextOffset: 200,
        endOffset: 200,
        gaps: [],
        overlaps: [
          { first: offsets(0, 99), second: offsets(50, 149) },
          { first: offsets(150, 199), second: offsets(160, 170) },
        ],
      },
    ],
    ['one offset ranges', [offsets(5, 5), offsets(7, 7)], 5, { startOffset: 5, nextOffset: 6, endOffset: 8, gaps: [{ from: 6, to: 6 }], overlaps: [] }],
    ['everything before the start', [offsets(0, 9)], 10, { startOffset: 10, nextOffset: 10, endOffset: 10, gaps: [], overlaps: [] }],
  ])('%s', (_, ranges, start, expected) => {
    expect(coverage(ranges, start)).toEqual(expected);
  });

  it('refuses a bad start', () => {
    expect(() => coverage([], -1)).toThrow('startOffset: must be a whole number from 0 to 9007199254740991, got -1');
  });
});

describe('bronzeCovers', () => {
  const byPartition = { 0: [offsets(0, 99), offsets(100, 149)], 1: [offsets(10, 19), offsets(40, 49)], 2: [offsets(0, 9), offsets(5, 14)] };

  it.each<[string, Record<number, number>, Record<number, number> | undefined, BronzeCoverage]>([
    ['every partition past its end offset', { 0: 150, 1: 20 }, undefined, { complete: true, missing: [], overlaps: [] }],
    ['an end offset of 0 on an empty partition', { 7: 0 }, undefined, { complete: true, missing: [], overlaps: [] }],
    [
      'a tail not yet in Bronze, and a partition not in Bronze at all',
      { 0: 160, 9: 3 },
      undefined,
      { complete: false, missing: [{ partition: 0, from: 150, to: 159 }, { partition: 9, from: 0, to: 2 }], overlaps: [] },
    ],
    [
      'a hole below the end offset, clipped to it',
      { 1: 45 },
      undefined,
      { complete: false, missing: [{ partition: 1, from: 20, to: 39 }], overlaps: [] },
    ],
    ['holes above the end offset are not asked about', { 1: 15 }, undefined, { complete: true, missing: [], overlaps: [] }],
    [
      'a strict start offset',
      { 1: 20 },
      { 1: 0 },
      { complete: false, missing: [{ partition: 1, from: 0, to: 9 }], overlaps: [] },
    ],
    [
      'overlaps, reported with their partition',
      { 2: 15 },
      undefined,
      { complete: true, missing: [], overlaps: [{ partition: 2, first: offsets(0, 9), second: offsets(5, 14) }] },
    ],
  ])('%s', (_, end, start, expected) => {
    expect(bronzeCovers(byPartition, end, start)).toEqual(expected);
  });

  it('groups manifests by partition', () => {
    const a = { ...range(TOPIC, 1, 0, 9) };
    const b = { ...range(TOPIC, 0, 0, 9) };
    const c = { ...range(TOPIC, 1, 10, 19) };
    expect(rangesByPartition([a, b, c])).toEqual({ 0: [b], 1: [a, c] });
  });

  it('refuses a bad end offset', () => {
    expect(() => bronzeCovers({}, { 0: -5 })).toThrow('endOffsets[0]: must be a whole number from 0 to 9007199254740991, got -5');
  });
});

describe('objectsForHour and hoursIn', () => {
  const manifest = (topic: string, partition: number, first: number, hours: Record<string, number>): BronzeManifest => ({
    ...MANIFEST,
    objectKey: bronzeObjectKey(range(topic, partition, first, first + 9)),
    topic,
    partition,
    firstOffset: first,
    lastOffset: first + 9,
    hourHistogram: hours,
  });
  const a = manifest('t', 1, 10, { '2026-11-22T05': 3 });
  const b = manifest('t', 0, 20, { '2026-11-22T04': 1, '2026-11-22T05': 1 });
  const c = manifest('t', 1, 0, { '2026-11-22T06': 2 });
  const d = manifest('s', 5, 0, { '2026-11-22T05': 2, '2026-11-21T23': 1 });

  it.each<[string, BronzeManifest[]]>([
    ['2026-11-22T05', [d, b, a]],
    ['2026-11-22T06', [c]],
    ['2026-11-22T07', []],
  ])('%s', (hour, expected) => {
    expect(objectsForHour([a, b, c, d], hour)).toEqual(expected);
  });

  it('lists the hours, sorted and distinct', () => {
    expect(hoursIn([a, b, c, d])).toEqual(['2026-11-21T23', '2026-11-22T04', '2026-11-22T05', '2026-11-22T06']);
    expect(hoursIn([])).toEqual([]);
  });

  it('refuses a bad hour', () => {
    expect(() => objectsForHour([a], '2026-11-22 05')).toThrow('hour: expected YYYY-MM-DDTHH (UTC), got "2026-11-22 05"');
  });
});

describe('planBronzeBatch', () => {
  const plan = (committedOffset: number, highWatermark: number, maxRecords: number): BatchPlanInput => ({ partition: 4, committedOffset, highWatermark, maxRecords });

  it.each<[string, BatchPlanInput, BatchPlan | null]>([
    ['an empty partition', plan(0, 0, 100), null],
    ['nothing new', plan(500, 500, 100), null],
    ['a committed offset past a lagging watermark', plan(501, 500, 100), null],
    ['everything new, below the batch size', plan(0, 42, 100), { partition: 4, firstOffset: 0, lastOffset: 41 }],
    ['exactly one batch', plan(100, 200, 100), { partition: 4, firstOffset: 100, lastOffset: 199 }],
    ['more than one batch: the first', plan(100, 1000, 100), { partition: 4, firstOffset: 100, lastOffset: 199 }],
    ['one record', plan(7, 8, 100), { partition: 4, firstOffset: 7, lastOffset: 7 }],
    ['a batch of one', plan(7, 100, 1), { partition: 4, firstOffset: 7, lastOffset: 7 }],
    ['near the largest offset', plan(2 ** 53 - 3, 2 ** 53 - 1, 1e6), { partition: 4, firstOffset: 2 ** 53 - 3, lastOffset: 2 ** 53 - 2 }],
  ])('%s', (_, input, expected) => {
    expect(planBronzeBatch(input)).toEqual(expected);
  });

  it.each<[BatchPlanInput, string]>([
    [plan(0, 10, 0), 'maxRecords: must be a whole number ≥ 1, got 0'],
    [plan(0, 10, 2.5), 'maxRecords: must be a whole number ≥ 1, got 2.5'],
    [plan(-1, 10, 5), 'committedOffset: must be a whole number from 0 to 9007199254740991, got -1'],
    [plan(0, 2 ** 53, 5), 'highWatermark: must be a whole number from 0 to 9007199254740991, got 9007199254740992'],
    [{ ...plan(0, 10, 5), partition: -1 }, 'partition: must be a whole number from 0 to 99999, got -1'],
  ])('refuses %j', (input, message) => {
    expect(() => planBronzeBatch(input)).toThrow(message);
  });

  it('plans consecutive batches that tile the partition', () => {
    const batches: BatchPlan[] = [];
    let committed = 0;
    for (let next = planBronzeBatch(plan(committed, 250, 100)); next !== null; next = planBronzeBatch(plan(committed, 250, 100))) {
      batches.push(next);
      committed = next.lastOffset + 1;
    }
    expect(coverage(batches, 0)).toEqual({ startOffset: 0, nextOffset: 250, endOffset: 250, gaps: [], overlaps: [] });
    expect(batches.map((b) => [b.firstOffset, b.lastOffset])).toEqual([
      [0, 99],
      [100, 199],
      [200, 249],
    ]);
  });
});

describe('hour index', () => {
  const range = { topic: 'clicklake.events', partition: 3, firstOffset: 1200, lastOffset: 1299 };

  it('points from an event hour to the object that holds it', () => {
    const key = hourIndexKey('2026-11-22T05', range);
    expect(key).toBe('bronze/_index/events/hour=2026-11-22T05/topic=clicklake.events~partition=00003~offsets=00000000000000001200-00000000000000001299');
    expect(key.startsWith(hourIndexPrefix('2026-11-22T05'))).toBe(true);
    expect(manifestKeyOfHourIndex(key)).toBe(manifestKey(bronzeObjectKey(range)));
  });

  it('finds the manifest of a range from its first offset', () => {
    expect(manifestKey(bronzeObjectKey(range)).startsWith(manifestPrefixFrom('clicklake.events', 3, 1200))).toBe(true);
    expect(manifestKey(bronzeObjectKey(range)).startsWith(manifestPrefixFrom('clicklake.events', 3, 120))).toBe(false);
  });
});
