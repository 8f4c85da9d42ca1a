/**
 * The pure promotion pipeline end to end on generated traffic: collector validation, Kafka partitions
 * and offsets, Bronze objects and manifests, then per event hour classification, Silver rows,
 * sessionization and Gold, compared with the ground truth of the same traffic.
 */
import {
  bronzeCovers,
  buildManifest,
  formatBronzeLine,
  hoursIn,
  objectsForHour,
  parseBronzeLine,
  planBronzeBatch,
  rangesByPartition,
  type BronzeManifest,
  type BronzeRecord,
} from '../../core/bronze';
import { defaultValidationContext, validateEvent } from '../../core/event';
import { createTrafficModel, type TrafficOptions } from '../../core/generator';
import { goldDay, goldHour } from '../../core/gold';
import { checkLedger, sumLedgers, type Ledger } from '../../core/ledger';
import { messageKey, partitionFor } from '../../core/partitioning';
import { createRng } from '../../core/random';
import { SILVER_COLUMNS, classifyHour, pruneSessionState, sessionize, toSilverRow, type SessionCursor, type SilverRow } from '../../core/silver';
import { HOUR_MS, hourRange, parseHourKey } from '../../core/time';
import { computeTruth } from '../../core/truth';
import type { EventRecord } from '../../schemas/eventRecord';
import { TOPIC } from './bronzeFixtures';

const START = Date.UTC(2026, 10, 22, 4, 50);
const OPTIONS: TrafficOptions = {
  seed: 20261122,
  campaigns: 15,
  users: 300,
  titles: 20,
  lateFraction: 0.08,
  tooLateFraction: 0.04,
  duplicateFraction: 0.08,
  malformedFraction: 0.08,
};
const PARTITIONS = 3;
const BATCHES = 90;
const BATCH_SIZE = 150;
const OBJECT_RECORDS = 250;
const CTX = { hmacKey: 'promotion-test-key-0123456789abcdef' };
/** Every 37th Bronze record is damaged so that re-validation rejects it (a rule tightened since ingest). */
const CORRUPT_EVERY = 37;

interface Lake {
  /** Valid records in receive order: the truth's input. */
  readonly accepted: EventRecord[];
  readonly deadLetters: number;
  readonly corrupted: number;
  readonly records: BronzeRecord[];
  readonly endOffsets: Record<number, number>;
  readonly manifests: BronzeManifest[];
  readonly objects: ReadonlyMap<string, BronzeRecord[]>;
}

/** Collector, Kafka and Bronze ingestion, simulated: 90 batches over two hours of send time. */
function ingest(): Lake {
  const model = createTrafficModel(OPTIONS);
  const accepted: EventRecord[] = [];
  const records: BronzeRecord[] = [];
  const next: Record<number, number> = { 0: 0, 1: 0, 2: 0 };
  let deadLetters = 0;
  let corrupted = 0;
  for (let b = 0; b < BATCHES; b++) {
    const nowMs = START + b * 80_000;
    for (const input of model.nextBatch(BATCH_SIZE, nowMs).events) {
      const result = validateEvent(input, defaultValidationContext(nowMs));
      if (!result.ok) {
        deadLetters++;
        continue;
      }
      const partition = partitionFor(messageKey(result.event), PARTITIONS);
      const offset = next[partition] as number;
      next[partition] = offset + 1;
      const damaged = (records.length + 1) % CORRUPT_EVERY === 0;
      if (damaged) corrupted++;
      else accepted.push(result.event);
      const event = damaged ? { ...result.event, country: 'USA' } : result.event;
      records.push({ topic: TOPIC, partition, offset, kafka_timestamp_ms: nowMs, schema_id: 1, received_time: nowMs, event });
    }
  }

  const manifests: BronzeManifest[] = [];
  const objects = new Map<string, BronzeRecord[]>();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const highWatermark = next[partition] as number;
    let committedOffset = 0;
    for (let plan = planBronzeBatch({ partition, committedOffset, highWatermark, maxRecords: OBJECT_RECORDS }); plan !== null; ) {
      const { firstOffset, lastOffset } = plan;
      const batch = records.filter((r) => r.partition === partition && r.offset >= firstOffset && r.offset <= lastOffset);
      const manifest = buildManifest(batch, { topic: TOPIC, partition, firstOffset, lastOffset, bytes: 0 });
      manifests.push(manifest);
      objects.set(manifest.objectKey, batch);
      committedOffset = lastOffset + 1;
      plan = planBronzeBatch({ partition, committedOffset, highWatermark, maxRecords: OBJECT_RECORDS });
    }
  }
  return { accepted, deadLetters, corrupted, records, endOffsets: next, manifests, objects };
}

interface PromotedHour {
  readonly hour: string;
  readonly ledger: Ledger;
  readonly rows: SilverRow[];
}

/** Promotion of every hour from the first to the last, reading only the objects each hour needs. */
function promoteAll(lake: Lake, shuffleSeed?: number): PromotedHour[] {
  const hours = hoursIn(lake.manifests);
  return hourRange(hours[0] as string, hours[hours.length - 1] as string).map((hour) => {
    let records = objectsForHour(lake.manifests, hour).flatMap((m) => lake.objects.get(m.objectKey) ?? []);
    if (shuffleSeed !== undefined) {
      const rng = createRng(shuffleSeed);
      records = records.map((r) => ({ r, k: rng.next() })).sort((a, b) => a.k - b.k).map(({ r }) => r);
    }
    const { kept, ledger } = classifyHour(records, hour);
    return { hour, ledger: checkLedger(ledger), rows: kept.map((event) => toSilverRow(event, CTX)) };
  });
}

describe('promotion of generated traffic', () => {
  const lake = ingest();
  const promoted = promoteAll(lake);
  const truth = computeTruth(lake.accepted);

  it('generated every kind of event over several hours', () => {
    expect({
      deadLetters: lake.deadLetters > 100,
      corrupted: lake.corrupted > 100,
      hoursWithRows: promoted.filter((p) => p.ledger.rows_in > 0).length >= 6,
      duplicates: truth.stats.duplicates > 500,
      quarantined: truth.stats.quarantined > 200,
    }).toEqual({ deadLetters: true, corrupted: true, hoursWithRows: true, duplicates: true, quarantined: true });
  });

  it('has Bronze covering every acknowledged offset, without overlaps, in lines that read back', () => {
    expect(bronzeCovers(rangesByPartition(lake.manifests), lake.endOffsets, { 0: 0, 1: 0, 2: 0 })).toEqual({ complete: true, missing: [], overlaps: [] });
    expect(lake.records.map((r) => parseBronzeLine(formatBronzeLine(r)))).toEqual(lake.records);
  });

  it('balances every hour, and the hours add up to Bronze and the truth', () => {
    expect(sumLedgers(promoted.map((p) => p.ledger))).toEqual({
      rows_in: lake.records.length,
      rows_out: truth.stats.counted,
      duplicates: truth.stats.duplicates,
      rejected: lake.corrupted,
      late: truth.stats.quarantined,
      erased: 0,
    });
  });

  it('gives Gold equal to the truth: ctr_hourly hour by hour, the daily tables day by day', () => {
    const ctrHourly = promoted.flatMap(({ hour, rows }) => goldHour(rows, hour));
    const days = [...new Set(promoted.map(({ hour }) => parseHourKey(hour).dt))];
    const daily = days.map((dt) => goldDay(promoted.filter(({ hour }) => parseHourKey(hour).dt === dt).flatMap(({ rows }) => rows), dt));
    expect({
      ctr_hourly: ctrHourly,
      campaign_daily: daily.flatMap((d) => d.campaign_daily),
      dau_daily: daily.flatMap((d) => d.dau_daily),
      title_plays_daily: daily.flatMap((d) => d.title_plays_daily),
    }).toEqual(truth.tables);
    expect(ctrHourly.length).toBeGreaterThan(50);
  });

  it('does not depend on the order Bronze records are read in', () => {
    expect(promoteAll(lake, 7)).toEqual(promoted);
  });

  it('writes only the Silver columns, never user_id, ip or email', () => {
    const rows = promoted.flatMap((p) => p.rows);
    expect(rows.every((row) => Object.keys(row).join() === SILVER_COLUMNS.join())).toBe(true);
    const text = JSON.stringify(rows);
    expect(lake.accepted.some((e) => e.email !== null)).toBe(true);
    expect(['u0000001"', '@example.com'].map((s) => text.includes(s))).toEqual([false, false]);
  });

  it('derives the same sessions hour by hour, state chained and pruned, as over all hours at once', () => {
    const all = promoted.flatMap((p) => p.rows);
    const together = sessionize(all, new Map());
    let state: ReadonlyMap<string, SessionCursor> = new Map();
    const byHour = promoted.flatMap(({ hour, rows }) => {
      const result = sessionize(rows, state);
      state = pruneSessionState(result.endState, parseHourKey(hour).startMs + HOUR_MS);
      return result.rows;
    });
    expect(byHour).toEqual(together.rows);
    const derived = together.rows.filter((row, i) => all[i]?.session_id === null);
    expect(derived.length).toBeGreaterThan(100);
    expect(derived.every((row) => row.session_id.startsWith('ds-'))).toBe(true);
  });
});
