/**
 * Bronze: the raw zone's object layout, its records and manifests, and the offset bookkeeping that
 * ingestion and promotion decide with. Pure: keys, JSON shapes and offset arithmetic only.
 *
 * One Bronze object holds one Kafka topic-partition offset range [firstOffset, lastOffset], both
 * included, as gzip NDJSON: one `BronzeRecord` a line. Its key derives from the range alone, so a
 * retried write of the same range replaces the object instead of adding a second one. The range is
 * what ingestion consumed; it may hold fewer records than offsets (transaction markers, records sent
 * to the dead-letter topic), so `rowCount <= lastOffset - firstOffset + 1`. Ingestion must plan a
 * range once (in the workflow, see planBronzeBatch) and give the same range to every retry: a retry
 * that re-planned against a moved high watermark would write a second, overlapping object.
 *
 * Next to each object, a manifest (`bronze/_manifests/...json`; `_` hides it from Hive and Presto)
 * says what the object holds without reading it: row count, schema ids, receive times and the
 * histogram of event hours, the index that tells a promotion of hour H which objects to read.
 *
 * Offsets are JS numbers, checked to be safe integers (exact up to 2^53 - 1, about 9e15): at a million
 * records a second a partition takes 285 years to get there, and numbers keep the arithmetic,
 * comparisons and JSON plain. Kafka clients hand offsets over as decimal strings; parseOffset checks
 * them on the way in. Keys pad offsets to 20 digits, enough for any int64, so the layout would survive
 * a switch to bigint unchanged.
 */
import { DEVICE_TYPES, EVENT_FIELDS, EVENT_TYPES, type EventRecord } from '../schemas/eventRecord';
import { BadInputError } from './errors';
import { JsonFields, describeJson, isIndex, isJsonObject } from './json';
import { zonePrefix } from './lake';
import { compareText } from './text';
import { hourKey, parseHourKey } from './time';

/** Dataset folder of the event topics below the Bronze zone. */
export const BRONZE_DATASET = 'events';
/**
 * How a Bronze object is compressed, named by its key's suffix. Ingestion writes zstd: DuckDB reads a
 * million records of it in 2.1 CPU-seconds against 2.7 for gzip (bench/promote, BENCHMARKS.md), and
 * it compresses faster too. gzip objects written before stay readable.
 */
export const BRONZE_CODECS = { zstd: '.ndjson.zst', gzip: '.ndjson.gz' } as const;
export type BronzeCodec = keyof typeof BRONZE_CODECS;
/** What ingestion writes. */
export const BRONZE_CODEC: BronzeCodec = 'zstd';
export const BRONZE_MANIFEST_FORMAT = 1;
export const PARTITION_DIGITS = 5;
export const OFFSET_DIGITS = 20;
export const MAX_PARTITION = 10 ** PARTITION_DIGITS - 1;
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;
/** Confluent wire-format schema ids are non-negative signed 32-bit integers. */
export const MAX_SCHEMA_ID = 0x7fffffff;

/** An inclusive offset range of one partition. */
export interface OffsetRange {
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/** What a Bronze object holds: one topic-partition offset range. */
export interface BronzeRange extends OffsetRange {
  readonly topic: string;
  readonly partition: number;
}

/** One line of a Bronze object: a Kafka record and the event it carries, decoded. */
export interface BronzeRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly kafka_timestamp_ms: number;
  readonly schema_id: number;
  /** The collector's receive time, epoch ms; equal to event.received_time. */
  readonly received_time: number;
  /** The Avro record as decoded (extra_json kept). */
  readonly event: EventRecord;
}

export interface BronzeManifest extends BronzeRange {
  readonly format: typeof BRONZE_MANIFEST_FORMAT;
  readonly objectKey: string;
  readonly rowCount: number;
  /** Size of the stored (compressed) object. */
  readonly bytes: number;
  /** Sorted, distinct. */
  readonly schemaIds: number[];
  /** Records by UTC hour of event_time, `YYYY-MM-DDTHH` -> count; keys sorted; counts add up to rowCount. */
  readonly hourHistogram: Readonly<Record<string, number>>;
  /** Earliest and latest received_time; null for an object without records. */
  readonly receivedRange: { readonly min: number; readonly max: number } | null;
  /**
   * Records of erased users left out of the object (core/erasure.ts), by hour of event_time: dropped
   * at ingestion or removed by an erasure's rewrite. A promotion counts them as `erased`, so an hour's
   * rows_in stays what Kafka delivered. Absent when none.
   */
  readonly erasedHistogram?: Readonly<Record<string, number>>;
  /** How many times an erasure rewrote the object (its key ends `.r<N>` from 1 on); absent when never. */
  readonly rewrite?: number;
}

/** The hours of a manifest's records and of the records erased from it, sorted. */
export function manifestHours(manifest: Pick<BronzeManifest, 'hourHistogram' | 'erasedHistogram'>): string[] {
  return [...new Set([...Object.keys(manifest.hourHistogram), ...Object.keys(manifest.erasedHistogram ?? {})])].sort(compareText);
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

function isTopic(text: string): boolean {
  return TOPIC.test(text) && text !== '.' && text !== '..';
}

function requireIndex(field: string, value: number, max: number): void {
  if (!isIndex(value, max)) throw new BadInputError(`${field}: must be a whole number from 0 to ${max}, got ${value}`);
}

/** Kafka's offset text (kafkajs gives strings) as a number; BadInputError beyond 2^53 - 1. */
export function parseOffset(text: string, field = 'offset'): number {
  const value = /^\d{1,20}$/.test(text) ? Number(text) : Number.NaN;
  if (!isIndex(value, MAX_OFFSET)) throw new BadInputError(`${field}: must be a whole number from 0 to ${MAX_OFFSET}, got "${text}"`);
  return value;
}

function checkRange(range: BronzeRange): void {
  const { topic, partition, firstOffset, lastOffset } = range;
  if (!isTopic(topic)) throw new BadInputError(`topic: must be 1-249 of A-Z a-z 0-9 . _ -, got "${topic}"`);
  requireIndex('partition', partition, MAX_PARTITION);
  requireIndex('firstOffset', firstOffset, MAX_OFFSET);
  requireIndex('lastOffset', lastOffset, MAX_OFFSET);
  if (lastOffset < firstOffset) throw new BadInputError(`lastOffset: ${lastOffset} is before firstOffset ${firstOffset}`);
}

function rangePath(range: BronzeRange): string {
  const partition = String(range.partition).padStart(PARTITION_DIGITS, '0');
  const first = String(range.firstOffset).padStart(OFFSET_DIGITS, '0');
  const last = String(range.lastOffset).padStart(OFFSET_DIGITS, '0');
  return `${BRONZE_DATASET}/topic=${range.topic}/partition=${partition}/offsets=${first}-${last}`;
}

/** Most rewrites of one object (an erasure each); far beyond any real count. */
export const MAX_REWRITE = 999_999;

/**
 * `bronze/events/topic=T/partition=00003/offsets=<first, 20 digits>-<last, 20 digits>.ndjson.zst`
 * (`.ndjson.gz` for gzip). Fixed-width numbers make key order offset order within a partition. An
 * object an erasure rewrote ends `.r<N>.ndjson.zst`: a new key, so a reader of the old manifest still
 * finds the old object whole (its manifest, one key per range, is the commit point).
 */
export function bronzeObjectKey(range: BronzeRange, codec: BronzeCodec = BRONZE_CODEC, rewrite = 0): string {
  checkRange(range);
  requireIndex('rewrite', rewrite, MAX_REWRITE);
  return `${zonePrefix('bronze')}${rangePath(range)}${rewrite === 0 ? '' : `.r${rewrite}`}${BRONZE_CODECS[codec]}`;
}

const OBJECT_KEY = new RegExp(
  `^${zonePrefix('bronze')}${BRONZE_DATASET}/topic=([^/]+)/partition=(\\d{${PARTITION_DIGITS}})/offsets=(\\d{${OFFSET_DIGITS}})-(\\d{${OFFSET_DIGITS}})(?:\\.r([1-9]\\d{0,5}))?\\.ndjson\\.(zst|gz)$`,
);

/** The range, codec and rewrite of a Bronze object key; BadInputError for anything bronzeObjectKey would not write. */
export function parseBronzeObjectKey(key: string): BronzeRange & { readonly codec: BronzeCodec; readonly rewrite: number } {
  const m = OBJECT_KEY.exec(key);
  if (!m) throw new BadInputError(`bronze object key: expected ${zonePrefix('bronze')}${BRONZE_DATASET}/topic=T/partition=NNNNN/offsets=N{20}-N{20}[.rN].ndjson.zst (or .gz), got "${key}"`);
  const [, topic = '', partition = '', first = '', last = '', rewrite, suffix = ''] = m;
  const codec: BronzeCodec = suffix === 'gz' ? 'gzip' : 'zstd';
  const range = { topic, partition: Number(partition), firstOffset: parseOffset(first, 'firstOffset'), lastOffset: parseOffset(last, 'lastOffset') };
  checkRange(range);
  return { ...range, codec, rewrite: rewrite === undefined ? 0 : Number(rewrite) };
}

/** The manifest of an object: `bronze/_manifests/events/.../offsets=...json`. */
export function manifestKey(objectKey: string): string {
  return manifestKeyOfRangePath(rangePath(parseBronzeObjectKey(objectKey)));
}

/** The manifest key of a range path (`events/topic=T/partition=NNNNN/offsets=F-L`). */
function manifestKeyOfRangePath(path: string): string {
  return `${zonePrefix('bronze')}_manifests/${path}.json`;
}

function isHourKey(text: string): boolean {
  try {
    parseHourKey(text);
    return true;
  } catch {
    return false;
  }
}

const FIELD_CHECKS: Readonly<Record<(typeof EVENT_FIELDS)[keyof typeof EVENT_FIELDS]['type'], (value: unknown) => boolean>> = {
  string: (value) => typeof value === 'string',
  long: (value) => Number.isSafeInteger(value),
  'enum:EventType': (value) => (EVENT_TYPES as readonly unknown[]).includes(value),
  'enum:DeviceType': (value) => (DEVICE_TYPES as readonly unknown[]).includes(value),
  'map<string>': (value) => isJsonObject(value) && Object.values(value).every((v) => typeof v === 'string'),
};

/**
 * The Avro record of an event, read back from JSON: every field of EVENT_FIELDS with its Avro type.
 * An absent optional field is null (Bronze written before a later schema version added it); names
 * the schema does not know are ignored. Contract rules are not checked here: promotion re-validates.
 */
function readEvent(fields: JsonFields): EventRecord {
  const event: Record<string, unknown> = {};
  for (const [name, spec] of EVENT_FIELD_SPECS) {
    const value = fields.value(name) ?? null;
    if (value === null) {
      if (!spec.optional) fields.fail(name, 'required');
      event[name] = null;
    } else if (!FIELD_CHECKS[spec.type](value)) {
      fields.fail(name, `must be Avro ${spec.type}, got ${describeJson(value)}`);
      event[name] = null;
    } else {
      event[name] = spec.type === 'map<string>' ? sortedMap(value as Readonly<Record<string, string>>) : value;
    }
  }
  // Each field was checked against EVENT_FIELDS, which the compiler ties to EventRecord field by field.
  return event as unknown as EventRecord;
}

const EVENT_FIELD_SPECS = Object.entries(EVENT_FIELDS);

/** A copy of a string map with its keys sorted; fromEntries keeps a `__proto__` key a key. */
function sortedMap(map: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => compareText(a, b)));
}

/** A Bronze line's JSON value as a typed record; BadInputError naming every bad field. */
export function parseBronzeRecord(json: unknown, path = 'record'): BronzeRecord {
  const fields = JsonFields.of(json, path);
  const record = {
    topic: fields.string('topic', 'a Kafka topic name', isTopic),
    partition: fields.int('partition', 0, MAX_PARTITION),
    offset: fields.int('offset', 0, MAX_OFFSET),
    kafka_timestamp_ms: fields.int('kafka_timestamp_ms', -1, Number.MAX_SAFE_INTEGER),
    schema_id: fields.int('schema_id', 0, MAX_SCHEMA_ID),
    received_time: fields.int('received_time', 0, Number.MAX_SAFE_INTEGER),
  };
  const eventJson = fields.object('event');
  const eventFields = new JsonFields(eventJson ?? {}, `${path}.event`);
  const event = eventJson === undefined ? undefined : readEvent(eventFields);
  JsonFields.throwIfErrors(fields, eventFields);
  if (event === undefined) throw new BadInputError(`${path}.event: required`);
  if (event.received_time !== record.received_time) {
    throw new BadInputError(`${path}.received_time: ${record.received_time} differs from event.received_time ${event.received_time}`);
  }
  return { ...record, event };
}

/**
 * One NDJSON line (without the newline): the envelope, then the event's fields that are set in
 * schema order, map keys sorted, so a rewrite of a range gives the same bytes. Null fields are left
 * out (a reader takes an absent field as null, as it did with the `null`s written before): they were
 * a quarter of a typical line, and every promotion parses every line.
 */
export function formatBronzeLine(record: BronzeRecord): string {
  const event: Record<string, unknown> = {};
  for (const [name, spec] of EVENT_FIELD_SPECS) {
    const value = record.event[name as keyof EventRecord];
    if (value === null) continue;
    event[name] = spec.type === 'map<string>' ? sortedMap(value as Readonly<Record<string, string>>) : value;
  }
  const { topic, partition, offset, kafka_timestamp_ms, schema_id, received_time } = record;
  return JSON.stringify({ topic, partition, offset, kafka_timestamp_ms, schema_id, received_time, event });
}

export function parseBronzeLine(line: string, path = 'record'): BronzeRecord {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new BadInputError(`${path}: not JSON`);
  }
  return parseBronzeRecord(json, path);
}

export interface ManifestMeta extends BronzeRange {
  /** Size of the stored object, known once it is compressed. */
  readonly bytes: number;
  /** How the object is compressed; default BRONZE_CODEC. */
  readonly codec?: BronzeCodec;
  /** Records of erased users left out, by hour (BronzeManifest.erasedHistogram). */
  readonly erased?: Readonly<Record<string, number>>;
  /** The erasure rewrite the object is (0: as ingestion wrote it). */
  readonly rewrite?: number;
}

function sortedHistogram(hours: Iterable<readonly [string, number]>): Record<string, number> {
  return Object.fromEntries([...hours].filter(([, n]) => n > 0).sort(([a], [b]) => compareText(a, b)));
}

/** The manifest of an object of these records; BadInputError when a record is not of the range. */
export function buildManifest(records: readonly BronzeRecord[], meta: ManifestMeta): BronzeManifest {
  const objectKey = bronzeObjectKey(meta, meta.codec, meta.rewrite ?? 0);
  requireIndex('bytes', meta.bytes, Number.MAX_SAFE_INTEGER);
  const erased = sortedHistogram(Object.entries(meta.erased ?? {}));
  const erasedCount = Object.values(erased).reduce((sum, n) => sum + n, 0);
  if (records.length + erasedCount > meta.lastOffset - meta.firstOffset + 1) throw new BadInputError(`erased: ${records.length} records and ${erasedCount} erased are more than the range's offsets`);
  const offsets = new Set<number>();
  const schemaIds = new Set<number>();
  const hours = new Map<string, number>();
  let receivedRange: { min: number; max: number } | null = null;
  records.forEach((record, i) => {
    if (record.topic !== meta.topic || record.partition !== meta.partition) {
      throw new BadInputError(`records[${i}]: of another topic-partition than ${meta.topic}/${meta.partition}`);
    }
    if (record.offset < meta.firstOffset || record.offset > meta.lastOffset) {
      throw new BadInputError(`records[${i}].offset: ${record.offset} outside ${meta.firstOffset}-${meta.lastOffset}`);
    }
    if (offsets.has(record.offset)) throw new BadInputError(`records[${i}].offset: ${record.offset} appears twice`);
    offsets.add(record.offset);
    schemaIds.add(record.schema_id);
    const hour = hourKey(record.event.event_time);
    hours.set(hour, (hours.get(hour) ?? 0) + 1);
    const t = record.received_time;
    receivedRange = receivedRange === null ? { min: t, max: t } : { min: Math.min(receivedRange.min, t), max: Math.max(receivedRange.max, t) };
  });
  return {
    format: BRONZE_MANIFEST_FORMAT,
    objectKey,
    topic: meta.topic,
    partition: meta.partition,
    firstOffset: meta.firstOffset,
    lastOffset: meta.lastOffset,
    rowCount: records.length,
    bytes: meta.bytes,
    schemaIds: [...schemaIds].sort((a, b) => a - b),
    hourHistogram: Object.fromEntries([...hours].sort(([a], [b]) => compareText(a, b))),
    receivedRange,
    ...(erasedCount > 0 ? { erasedHistogram: erased } : {}),
    ...((meta.rewrite ?? 0) > 0 ? { rewrite: meta.rewrite } : {}),
  };
}

function readSchemaIds(fields: JsonFields): number[] {
  const value = fields.value('schemaIds');
  const ok = Array.isArray(value) && value.every((id, i) => isIndex(id, MAX_SCHEMA_ID) && (i === 0 || id > (value[i - 1] as number)));
  if (ok) return [...(value as number[])];
  fields.fail('schemaIds', value === undefined ? 'required' : `must be an increasing array of schema ids (0 to ${MAX_SCHEMA_ID})`);
  return [];
}

function readHistogram(fields: JsonFields, field: 'hourHistogram' | 'erasedHistogram' = 'hourHistogram'): Record<string, number> {
  const histogram = fields.object(field);
  if (histogram === undefined) return {};
  const entries = Object.entries(histogram);
  const badKeys = entries.filter(([key]) => !isHourKey(key)).length;
  if (badKeys > 0) fields.fail(field, `keys must be hours YYYY-MM-DDTHH (${badKeys} are not)`);
  const badCounts = entries.filter(([, count]) => !isIndex(count, Number.MAX_SAFE_INTEGER) || count === 0).length;
  if (badCounts > 0) fields.fail(field, `counts must be whole numbers ≥ 1 (${badCounts} are not)`);
  return Object.fromEntries(entries.sort(([a], [b]) => compareText(a, b))) as Record<string, number>;
}

function readReceivedRange(fields: JsonFields): { min: number; max: number } | null {
  if (fields.value('receivedRange') === null) return null;
  const range = fields.object('receivedRange');
  if (range === undefined) return null;
  const inner = new JsonFields(range, `${fields.path}.receivedRange`);
  const result = { min: inner.int('min', 0, Number.MAX_SAFE_INTEGER), max: inner.int('max', 0, Number.MAX_SAFE_INTEGER) };
  if (inner.errors.length === 0 && result.max < result.min) inner.fail('max', `${result.max} is before min ${result.min}`);
  fields.errors.push(...inner.errors);
  return result;
}

/** Parse, don't cast: a manifest read back from JSON, with every fault named by its field. */
export function parseManifest(json: unknown): BronzeManifest {
  const fields = JsonFields.of(json, 'manifest');
  const format = fields.value('format');
  if (format !== BRONZE_MANIFEST_FORMAT) fields.fail('format', format === undefined ? 'required' : `must be ${BRONZE_MANIFEST_FORMAT}, got ${describeJson(format)}`);
  const manifest: BronzeManifest = {
    format: BRONZE_MANIFEST_FORMAT,
    objectKey: fields.string('objectKey', 'a string', () => true),
    topic: fields.string('topic', 'a Kafka topic name', isTopic),
    partition: fields.int('partition', 0, MAX_PARTITION),
    firstOffset: fields.int('firstOffset', 0, MAX_OFFSET),
    lastOffset: fields.int('lastOffset', 0, MAX_OFFSET),
    rowCount: fields.int('rowCount', 0, MAX_OFFSET),
    bytes: fields.int('bytes', 0, Number.MAX_SAFE_INTEGER),
    schemaIds: readSchemaIds(fields),
    hourHistogram: readHistogram(fields),
    receivedRange: readReceivedRange(fields),
  };
  const erasedHistogram = fields.value('erasedHistogram') === undefined ? undefined : readHistogram(fields, 'erasedHistogram');
  const rewrite = fields.value('rewrite') === undefined ? 0 : fields.int('rewrite', 1, MAX_REWRITE);
  JsonFields.throwIfErrors(fields);

  const { firstOffset, lastOffset, rowCount } = manifest;
  const erasedCount = Object.values(erasedHistogram ?? {}).reduce((sum, n) => sum + n, 0);
  if (lastOffset < firstOffset) fields.fail('lastOffset', `${lastOffset} is before firstOffset ${firstOffset}`);
  else if (!(Object.keys(BRONZE_CODECS) as BronzeCodec[]).some((codec) => manifest.objectKey === bronzeObjectKey(manifest, codec, rewrite))) {
    fields.fail('objectKey', 'does not match topic, partition, offsets and rewrite');
  }
  if (rowCount + erasedCount > lastOffset - firstOffset + 1) {
    fields.fail('rowCount', `${rowCount}${erasedCount > 0 ? ` and ${erasedCount} erased` : ''} is more than the ${lastOffset - firstOffset + 1} offsets of the range`);
  }
  const histogramRows = Object.values(manifest.hourHistogram).reduce((sum, n) => sum + n, 0);
  if (histogramRows !== rowCount) fields.fail('hourHistogram', `counts add up to ${histogramRows}, rowCount is ${rowCount}`);
  if ((manifest.receivedRange === null) !== (rowCount === 0)) fields.fail('receivedRange', 'must be null exactly when rowCount is 0');
  JsonFields.throwIfErrors(fields);
  return { ...manifest, ...(erasedHistogram !== undefined && erasedCount > 0 ? { erasedHistogram } : {}), ...(rewrite > 0 ? { rewrite } : {}) };
}

export interface OffsetGap {
  /** First missing offset. */
  readonly from: number;
  /** Last missing offset (included). */
  readonly to: number;
}

export interface OffsetOverlap {
  readonly first: OffsetRange;
  readonly second: OffsetRange;
}

export interface Coverage {
  readonly startOffset: number;
  /** First offset at or after startOffset that the contiguous run of ranges from startOffset misses. */
  readonly nextOffset: number;
  /** One past the highest offset covered (startOffset when nothing at or after it is). */
  readonly endOffset: number;
  /** Holes between startOffset and endOffset. nextOffset === endOffset exactly when there are none. */
  readonly gaps: OffsetGap[];
  /**
   * Distinct ranges that share offsets: two objects hold the same records, so Bronze is inconsistent
   * and a promotion would count Kafka records twice. The same range listed twice (a retried
   * rewrite of one object) is not an overlap.
   */
  readonly overlaps: OffsetOverlap[];
}

const byOffsets = (a: OffsetRange, b: OffsetRange): number => a.firstOffset - b.firstOffset || a.lastOffset - b.lastOffset;

/** How the ranges of ONE partition cover the offsets from startOffset on. */
export function coverage(ranges: readonly OffsetRange[], startOffset: number): Coverage {
  requireIndex('startOffset', startOffset, MAX_OFFSET);
  const distinct = [...ranges]
    .sort(byOffsets)
    .filter((range, i, sorted) => i === 0 || byOffsets(range, sorted[i - 1] as OffsetRange) !== 0)
    .map(({ firstOffset, lastOffset }) => ({ firstOffset, lastOffset }));

  const overlaps: OffsetOverlap[] = [];
  let widest: OffsetRange | undefined;
  for (const range of distinct) {
    if (widest !== undefined && range.firstOffset <= widest.lastOffset) overlaps.push({ first: widest, second: range });
    if (widest === undefined || range.lastOffset > widest.lastOffset) widest = range;
  }

  const gaps: OffsetGap[] = [];
  let reach = startOffset - 1;
  for (const range of distinct) {
    if (range.lastOffset <= reach) continue;
    if (range.firstOffset > reach + 1) gaps.push({ from: reach + 1, to: range.firstOffset - 1 });
    reach = range.lastOffset;
  }
  return { startOffset, nextOffset: gaps[0]?.from ?? reach + 1, endOffset: reach + 1, gaps, overlaps };
}

export interface MissingOffsets extends OffsetGap {
  readonly partition: number;
}

export interface BronzeCoverage {
  /** Bronze holds every offset below the end offsets. */
  readonly complete: boolean;
  readonly missing: MissingOffsets[];
  readonly overlaps: Array<OffsetOverlap & { readonly partition: number }>;
}

/**
 * Whether Bronze holds every record below `endOffsets` (per partition of one topic, the next offset to
 * reach, e.g. the high watermarks captured when a promotion starts). Coverage of a partition starts at
 * `startOffsets[p]` when given (the log start offset, to be strict), else at the lowest offset Bronze
 * holds for it, else 0. Partitions without an end offset are not asked about.
 */
export function bronzeCovers(
  rangesByPartition: Readonly<Record<number, readonly OffsetRange[]>>,
  endOffsets: Readonly<Record<number, number>>,
  startOffsets: Readonly<Record<number, number>> = {},
): BronzeCoverage {
  const missing: MissingOffsets[] = [];
  const overlaps: BronzeCoverage['overlaps'] = [];
  const partitions = Object.keys(endOffsets)
    .map(Number)
    .sort((a, b) => a - b);
  for (const partition of partitions) {
    const end = endOffsets[partition] as number;
    requireIndex(`endOffsets[${partition}]`, end, MAX_OFFSET);
    const ranges = rangesByPartition[partition] ?? [];
    const lowest = ranges.reduce((min, r) => Math.min(min, r.firstOffset), Number.POSITIVE_INFINITY);
    const start = startOffsets[partition] ?? (ranges.length > 0 ? lowest : 0);
    const covered = coverage(ranges, start);
    overlaps.push(...covered.overlaps.map((overlap) => ({ partition, ...overlap })));
    const holes = [...covered.gaps, { from: covered.endOffset, to: Number.MAX_SAFE_INTEGER }];
    for (const hole of holes) {
      if (hole.from < end) missing.push({ partition, from: hole.from, to: Math.min(hole.to, end - 1) });
    }
  }
  return { complete: missing.length === 0, missing, overlaps };
}

/** Manifests (or ranges) grouped by partition, for bronzeCovers. */
export function rangesByPartition<M extends BronzeRange>(manifests: readonly M[]): Record<number, M[]> {
  const groups: Record<number, M[]> = {};
  for (const manifest of manifests) (groups[manifest.partition] ??= []).push(manifest);
  return groups;
}

const byTopicPartitionOffsets = (a: BronzeRange, b: BronzeRange): number =>
  compareText(a.topic, b.topic) || a.partition - b.partition || byOffsets(a, b);

/** Order of Kafka positions: topic, partition, offset. */
export function compareKafkaPosition(
  a: { readonly topic: string; readonly partition: number; readonly offset: number },
  b: { readonly topic: string; readonly partition: number; readonly offset: number },
): number {
  return compareText(a.topic, b.topic) || a.partition - b.partition || a.offset - b.offset;
}

/** The manifests of objects holding events of the hour, by topic, partition and offsets. */
export function objectsForHour(manifests: readonly BronzeManifest[], hour: string): BronzeManifest[] {
  const { key } = parseHourKey(hour);
  return manifests.filter((m) => (m.hourHistogram[key] ?? 0) > 0).sort(byTopicPartitionOffsets);
}

/** Every event hour the manifests hold, in order. */
export function hoursIn(manifests: readonly BronzeManifest[]): string[] {
  return [...new Set(manifests.flatMap((m) => Object.keys(m.hourHistogram)))].sort(compareText);
}

export interface BatchPlanInput {
  readonly partition: number;
  /** The consumer group's committed offset: the next offset to read. */
  readonly committedOffset: number;
  /** The partition's high watermark: the offset the next record written will get. */
  readonly highWatermark: number;
  readonly maxRecords: number;
}

export interface BatchPlan extends OffsetRange {
  readonly partition: number;
}

/**
 * The offset range the next ingestion step of a partition pulls: from the committed offset, at most
 * maxRecords offsets, never past the high watermark. Null when there is nothing to pull, including a
 * committed offset past the high watermark (a new leader's watermark can lag for a moment; the next
 * step catches up).
 */
export function planBronzeBatch(input: BatchPlanInput): BatchPlan | null {
  const { partition, committedOffset, highWatermark, maxRecords } = input;
  requireIndex('partition', partition, MAX_PARTITION);
  requireIndex('committedOffset', committedOffset, MAX_OFFSET);
  requireIndex('highWatermark', highWatermark, MAX_OFFSET);
  if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) throw new BadInputError(`maxRecords: must be a whole number ≥ 1, got ${maxRecords}`);
  if (committedOffset >= highWatermark) return null;
  return { partition, firstOffset: committedOffset, lastOffset: Math.min(highWatermark, committedOffset + maxRecords) - 1 };
}

/**
 * The hour index: one empty marker per (event hour, object), written with the manifest, so a
 * promotion of hour H lists `bronze/_index/events/hour=H/` and finds exactly the objects holding H
 * without reading every manifest of the lake.
 */
export function hourIndexPrefix(hour: string): string {
  return `${zonePrefix('bronze')}_index/${BRONZE_DATASET}/hour=${hour}/`;
}

export function hourIndexKey(hour: string, range: BronzeRange): string {
  checkRange(range);
  return `${hourIndexPrefix(hour)}${rangePath(range).slice(BRONZE_DATASET.length + 1).replace(/\//g, '~')}`;
}

/** The manifest of the Bronze object an hour-index marker points at (it names the object, whatever its codec). */
export function manifestKeyOfHourIndex(indexKey: string): string {
  const slash = indexKey.lastIndexOf('/');
  return manifestKeyOfRangePath(`${BRONZE_DATASET}/${indexKey.slice(slash + 1).replace(/~/g, '/')}`);
}

/** Prefix of the manifests of one partition whose range starts at `firstOffset`. */
export function manifestPrefixFrom(topic: string, partition: number, firstOffset: number): string {
  const p = String(partition).padStart(PARTITION_DIGITS, '0');
  const f = String(firstOffset).padStart(OFFSET_DIGITS, '0');
  return `${zonePrefix('bronze')}_manifests/${BRONZE_DATASET}/topic=${topic}/partition=${p}/offsets=${f}-`;
}
