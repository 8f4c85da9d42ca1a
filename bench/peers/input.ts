/**
 * The Bronze input of the peer benchmarks (bench/peers/*): the same records bench/promote generates
 * (traffic model seed 20261122, 200 campaigns, 100,000 users, 500 titles, 1% re-sent duplicates,
 * every event validated as the collector does, 6 partitions, zstd NDJSON objects of 50,000 lines of
 * one partition each), written to a folder as `.ndjson.zst` files, streamed so that millions of
 * records never sit in memory at once. For the same count the objects hold the same lines as
 * bench/promote's (its generateBronze and bronzeObjects, which are not exported; this copies their
 * arithmetic and can replace them).
 *
 * `bentEvery`: every n-th record is also bent at the Bronze level to exercise the re-validation,
 * lateness and dedup rules (BENDS below: late, future, rule-breaking fields, multi-byte text that
 * only the exact rules accept, earlier twins that lose, win or are late). Off by default, so the
 * figures are over bench/promote's input; bench/peers/spark uses it to check rule-for-rule equality.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeBronzeObject } from '../../activities/bronze';
import { type BronzeRecord } from '../../core/bronze';
import { defaultValidationContext, validateEvent, ALLOWED_LATENESS_MS, MAX_FUTURE_MS, FIELD_LIMITS, MAX_EVENT_BYTES } from '../../core/event';
import { createTrafficModel } from '../../core/generator';
import { parseHourKey } from '../../core/time';
import type { EventRecord } from '../../schemas/eventRecord';

export const BENCH_HOUR = '2026-11-22T05';
export const BENCH_HMAC_KEY = 'bench-hmac-key-0123456789abcdef';
const TOPIC = 'clicklake.events';
const PARTITIONS = 6;
const LINES_PER_OBJECT = 50_000;

export interface BronzeInputOptions {
  readonly count: number;
  readonly dir: string;
  /** Bend every n-th record (see the module comment); 0 or absent: none. */
  readonly bentEvery?: number;
}

export interface BronzeInput {
  readonly files: string[];
  /** Bronze records written (bent twins included). */
  readonly records: number;
  readonly bytes: number;
  readonly bent: number;
}

type Bend = (event: EventRecord) => Partial<Omit<EventRecord, 'event_type' | 'device_type'>> | 'twin-rejected' | 'twin-late' | 'twin-tie';

const long = (n: number, c = 'x'): string => c.repeat(n);

/** Ways to bend a Bronze record; each names the rule it exercises. Enum fields stay valid Avro (Bronze could not hold others). */
const BENDS: ReadonlyArray<readonly [string, Bend]> = [
  ['late by the current rules', (e) => ({ received_time: e.event_time + ALLOWED_LATENESS_MS + 60_000 })],
  ['quarantined in Bronze', () => ({ quarantine_reason: 'event_time: older than the allowed lateness' })],
  ['in the future', (e) => ({ received_time: e.event_time - MAX_FUTURE_MS - 1 })],
  ['future by exactly the limit (valid)', (e) => ({ received_time: e.event_time - MAX_FUTURE_MS })],
  ['lower-case country (valid, stored upper case)', () => ({ country: 'de' })],
  ['three-letter country', () => ({ country: 'USA' })],
  ['country with a newline', () => ({ country: 'US\n' })],
  ['octet over 255', () => ({ ip: '300.1.2.3' })],
  ['IPv4 with a leading zero', () => ({ ip: '10.01.2.3' })],
  ['IPv6 with an IPv4 tail (valid)', () => ({ ip: '::ffff:192.0.2.1' })],
  ['IPv6 of 6 groups and a tail (valid)', () => ({ ip: '2001:db8:0:0:1:2:192.0.2.33' })],
  ['IPv6 with two ::', () => ({ ip: '1::2::3' })],
  ['IPv6 of 8 groups and ::', () => ({ ip: '1:2:3:4::5:6:7:8' })],
  ['IPv6 :: alone (valid)', () => ({ ip: '::' })],
  ['non-ASCII email (valid)', () => ({ email: 'josé@exämple.com' })],
  ['email without @', () => ({ email: 'someone.example.com' })],
  ['email with a space', () => ({ email: 'some one@example.com' })],
  ['email with a no-break space', () => ({ email: 'some\u00a0one@example.com' })],
  ['email local part of 65', () => ({ email: `${long(65)}@example.com` })],
  ['email local part of 64 (valid)', () => ({ email: `${long(64)}@example.com` })],
  ['email with an empty label', () => ({ email: 'a@example..com' })],
  ['email of 255', () => ({ email: `a@${long(241)}.example.com` })],
  ['51 properties', () => ({ properties: Object.fromEntries(Array.from({ length: FIELD_LIMITS.propertiesKeys + 1 }, (_, i) => [`p${i}`, 'v'])) })],
  ['50 properties (valid)', () => ({ properties: Object.fromEntries(Array.from({ length: FIELD_LIMITS.propertiesKeys }, (_, i) => [`p${i}`, 'v'])) })],
  ['property value of 257', () => ({ properties: { k: long(FIELD_LIMITS.propertyValue + 1) } })],
  ['property value of 256 multi-byte (valid)', () => ({ properties: { k: long(FIELD_LIMITS.propertyValue, 'é') } })],
  ['empty property key', () => ({ properties: { '': 'v' } })],
  ['event_id of 65', (e) => ({ event_id: `${e.event_id}-${long(64)}`.slice(0, FIELD_LIMITS.eventId + 1) })],
  ['event_id of 64 multi-byte (valid)', (e) => ({ event_id: `${e.event_id}-${long(64, 'é')}`.slice(0, FIELD_LIMITS.eventId) })],
  ['empty user_id', () => ({ user_id: '' })],
  ['user_id of 128 astral (valid)', () => ({ user_id: long(FIELD_LIMITS.userId, '😀') })],
  ['empty session_id', () => ({ session_id: '' })],
  ['no session_id (derived)', () => ({ session_id: null })],
  ['ad event without campaign', (e) => (e.event_type === 'ad_impression' || e.event_type === 'ad_click' ? { campaign_id: null } : { ad_id: '' })],
  ['video event without title', (e) => (e.event_type.startsWith('video_') ? { title_id: null } : { placement: long(FIELD_LIMITS.id + 1) })],
  ['negative position', () => ({ position_ms: -1 })],
  ['page_url of 2049', () => ({ page_url: long(FIELD_LIMITS.url + 1) })],
  ['empty referrer (valid)', () => ({ referrer: '' })],
  ['user_agent of 1025', () => ({ user_agent: long(FIELD_LIMITS.userAgent + 1) })],
  ['extra_json not an object', () => ({ extra_json: '[1,2]' })],
  ['extra_json not JSON', () => ({ extra_json: '{"a":' })],
  ['extra_json beyond the event size', () => ({ extra_json: JSON.stringify({ blob: long(MAX_EVENT_BYTES) }) })],
  ['extra_json within the event size (valid)', () => ({ extra_json: JSON.stringify({ blob: long(20_000), n: 1 }) })],
  ['extra_json naming only client fields (valid)', () => ({ extra_json: '{"event_id":"shadow"}' })],
  ['an earlier rejected twin (the valid copy wins)', () => 'twin-rejected'],
  ['an earlier late twin (wins; the copy is a duplicate)', () => 'twin-late'],
  ['a twin received at the same instant (Kafka position decides)', () => 'twin-tie'],
];

/** The bent records for one record (itself changed, or itself and a twin before it). */
function bend(record: BronzeRecord, which: number): BronzeRecord[] {
  const [, how] = BENDS[which % BENDS.length] as readonly [string, Bend];
  const change = how(record.event);
  const withEvent = (r: BronzeRecord, event: EventRecord): BronzeRecord => ({ ...r, event, received_time: event.received_time });
  if (change === 'twin-rejected') return [withEvent(record, { ...record.event, country: 'USA', received_time: record.received_time - 1 }), record];
  if (change === 'twin-late') return [withEvent(record, { ...record.event, quarantine_reason: 'late twin', received_time: record.received_time - 1 }), record];
  if (change === 'twin-tie') return [record, { ...record, event: { ...record.event, page_url: 'https://twin.example/' } }];
  return [withEvent(record, { ...record.event, ...change })];
}

/** Writes the Bronze objects of `count` accepted events of BENCH_HOUR into `dir` (created). */
export async function writeBronzeInput(options: BronzeInputOptions): Promise<BronzeInput> {
  const { count, dir } = options;
  const bentEvery = options.bentEvery ?? 0;
  fs.mkdirSync(dir, { recursive: true });
  const model = createTrafficModel({ seed: 20261122, campaigns: 200, users: 100_000, titles: 500, duplicateFraction: 0.01 });
  const { startMs } = parseHourKey(BENCH_HOUR);
  const offsets = new Array<number>(PARTITIONS).fill(0);
  const pending: BronzeRecord[][] = Array.from({ length: PARTITIONS }, () => []);
  const objectsOf = new Array<number>(PARTITIONS).fill(0);
  const files: string[] = [];
  let bytes = 0;
  let accepted = 0;
  let written = 0;
  let bent = 0;
  const flush = async (partition: number): Promise<void> => {
    const lines = pending[partition] as BronzeRecord[];
    if (lines.length === 0) return;
    const object = await encodeBronzeObject(lines);
    const file = path.join(dir, `p${partition}-${String(objectsOf[partition]).padStart(5, '0')}.ndjson.zst`);
    objectsOf[partition] = (objectsOf[partition] ?? 0) + 1;
    fs.writeFileSync(file, object);
    files.push(file);
    bytes += object.length;
    pending[partition] = [];
  };
  const emit = async (record: Omit<BronzeRecord, 'partition' | 'offset'>): Promise<void> => {
    // As bench/promote: partition by the count of records so far, offsets consecutive per partition.
    const partition = written % PARTITIONS;
    const offset = offsets[partition] ?? 0;
    offsets[partition] = offset + 1;
    written++;
    const lines = pending[partition] as BronzeRecord[];
    lines.push({ ...record, partition, offset });
    if (lines.length >= LINES_PER_OBJECT) await flush(partition);
  };
  const batch = 1000;
  // As bench/promote: sent over the hour from 10 s in, so every event is of the hour (clicks may spill over).
  const stepMs = Math.floor((3_600_000 - 20_000) / Math.ceil(count / batch));
  for (let b = 0; accepted < count; b++) {
    const nowMs = startMs + 10_000 + b * stepMs;
    for (const input of model.nextBatch(batch, nowMs).events) {
      const result = validateEvent(input, defaultValidationContext(nowMs));
      if (!result.ok || accepted >= count) continue;
      accepted++;
      const record: BronzeRecord = { topic: TOPIC, partition: 0, offset: 0, kafka_timestamp_ms: nowMs, schema_id: 1, received_time: nowMs, event: result.event };
      if (bentEvery > 0 && accepted % bentEvery === 0) {
        for (const r of bend(record, bent)) await emit(r);
        bent++;
      } else {
        await emit(record);
      }
    }
  }
  for (let partition = 0; partition < PARTITIONS; partition++) await flush(partition);
  return { files, records: written, bytes, bent };
}

/** The bends, by name, for the notes of a result. */
export const BEND_NAMES: readonly string[] = BENDS.map(([name]) => name);
