/**
 * The DuckDB promotion (activities/silverSql.ts) against its specification, the JS functions of
 * core/silver.ts and core/gold.ts: same ledger, same rejections, same Silver rows in the same order,
 * same session cursors, same hourly Gold (Silver rows compared by event_id: their order in a file is not specified), over generated traffic plus records made to break (or
 * nearly break) every rule the SQL fast check and the JS rules decide between.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeBronzeObject } from '../../activities/bronze';
import { parquetColumnTypes, readParquetRows, withConnection, writeParquet } from '../../activities/parquet';
import { buildShardedHourLocally } from '../../activities/promote/shardedHour';
import { buildSilverHour, type SilverHourOutput } from '../../activities/silverSql';
import { formatBronzeLine, parseBronzeLine, type BronzeRecord } from '../../core/bronze';
import { defaultValidationContext, validateEvent } from '../../core/event';
import { createTrafficModel } from '../../core/generator';
import { goldHour } from '../../core/gold';
import { GOLD_CTR_HOURLY, SILVER_EVENTS, SILVER_QUARANTINE } from '../../core/lakeTables';
import { erasureRule, isErased, type ErasureRule } from '../../core/erasure';
import { DEFAULT_LATENESS_RULES, clientInputOf, classifyHour, pruneSessionState, sessionStateToJson, sessionize, toSilverRow, userKey, type SessionCursor, type SessionState } from '../../core/silver';
import { crossShardLosers, mergeGoldHourly, multiShardUsers, type IdSighting } from '../../core/shardMerge';
import { EMAIL_PATTERN, IPV4_PATTERN, IPV6_PATTERN } from '../../core/silverSql';
import { isEmailAddress, isIpAddress } from '../../core/addresses';
import { HOUR_MS, MINUTE_MS, hourKey } from '../../core/time';
import type { EventRecord } from '../../schemas/eventRecord';
import { eventRecord } from '../unit/eventFixtures';

const HMAC_KEY = 'engine-test-key-ü-0123456789';
const TOPIC = 'clicklake.events';
const H0 = Date.UTC(2026, 10, 20, 4);
const HOURS = [hourKey(H0), hourKey(H0 + HOUR_MS), hourKey(H0 + 2 * HOUR_MS)];

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clicklake-silver-sql-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Accepted events of the traffic model over three hours: duplicates, late and too-late ones, sessions with and without ids. */
function generatedRecords(): BronzeRecord[] {
  const model = createTrafficModel({ seed: 7, campaigns: 12, users: 300, titles: 20, duplicateFraction: 0.05, lateFraction: 0.05, tooLateFraction: 0.03 });
  const offsets = [0, 0, 0];
  const records: BronzeRecord[] = [];
  for (let nowMs = H0 + 30_000; nowMs < H0 + 3 * HOUR_MS + 10 * MINUTE_MS; nowMs += 20_000) {
    for (const input of model.nextBatch(6, nowMs).events) {
      const result = validateEvent(input, defaultValidationContext(nowMs));
      if (!result.ok) continue;
      const partition = records.length % 3;
      const offset = offsets[partition] ?? 0;
      offsets[partition] = offset + 1;
      records.push({ topic: TOPIC, partition, offset, kafka_timestamp_ms: nowMs, schema_id: 1, received_time: nowMs, event: result.event });
    }
  }
  return records;
}

/** A valid page_view; the odd records below change one field of it. */
const BASE: EventRecord = eventRecord({
  event_id: 'x',
  event_type: 'page_view',
  event_time: H0 + 10 * MINUTE_MS,
  user_id: 'odd-user',
  received_time: H0 + 11 * MINUTE_MS,
});

/** Records a producer other than the collector could write, each near or past one rule. */
function oddEvents(): EventRecord[] {
  const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
  const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
  const changes: Array<Partial<EventRecord>> = [
    { country: 'us' }, // valid, stored upper case
    { country: 'USA' },
    { country: 'U1' },
    { ip: '::ffff:192.0.2.1' }, // valid IPv6 with an IPv4 tail: JS decides
    { ip: '::' },
    { ip: '2001:db8::1' },
    { ip: '1:2:3:4:5:6:7:8' },
    { ip: '1:2:3:4:5:6:7::' },
    { ip: '1:2:3:4:5:6:7:8:9' },
    { ip: '1::2::3' },
    { ip: '300.1.2.3' },
    { ip: '01.2.3.4' },
    { ip: 'fe80::1%eth0' },
    { email: 'ü@example.com' }, // valid, non-ASCII: JS decides
    { email: 'a b@example.com' },
    { email: 'a\u00a0b@example.com' },
    { email: 'no-at-sign' },
    { email: 'a@b' },
    { email: 'a@b..c' },
    { email: `${'a'.repeat(65)}@example.com` },
    { event_id: 'e'.repeat(64) },
    { event_id: 'e'.repeat(65) },
    { event_id: '😀'.repeat(64) }, // 64 code points, 256 bytes: valid
    { event_id: '' },
    { user_id: 'ü'.repeat(128) },
    { user_id: 'u'.repeat(129) },
    { session_id: '' },
    { session_id: 's'.repeat(129) },
    { event_type: 'ad_impression', campaign_id: 'c1' }, // no ad_id
    { event_type: 'ad_click', campaign_id: 'c1', ad_id: 'a1' },
    { event_type: 'video_play' }, // no title
    { event_type: 'video_play', title_id: 't1', position_ms: -1 },
    { event_type: 'video_seek', title_id: 't1', position_ms: 0 },
    { page_url: 'p'.repeat(2048) },
    { page_url: 'p'.repeat(2049) },
    { user_agent: 'a'.repeat(1025) },
    { properties: {} },
    { properties: fifty },
    { properties: many },
    { properties: { '': 'v' } },
    { properties: { k: 'v'.repeat(257) } },
    { properties: { k: 'ü'.repeat(256) } },
    { extra_json: '{"sdk":"2.1"}' }, // unknown field: valid
    { extra_json: '{"sdk":{"name":"js","version":[1,4,0]},"n":1e20}' },
    { extra_json: '{"a":1,}' }, // DuckDB reads trailing commas, NaN and Infinity; JSON.parse does not
    { extra_json: '{"a":[1,2,]}' },
    { extra_json: '{"a":NaN}' },
    { extra_json: '{"a":-Infinity}' },
    { extra_json: '{"info":"tab\\t"}' }, // valid, but 'inf': JS decides
    { extra_json: '"text"' },
    { extra_json: JSON.stringify({ blob: 'x'.repeat(4000) }) }, // valid, past the conservative bound: JS decides
    { extra_json: JSON.stringify({ blob: 'x'.repeat(30_000) }), page_url: 'p'.repeat(2048), user_agent: 'a'.repeat(1024) }, // over the limit
    { extra_json: 'not json' },
    { extra_json: '[1,2]' },
    { extra_json: JSON.stringify({ blob: 'x'.repeat(40_000) }) }, // over the event size limit
    { event_time: H0 + 59 * MINUTE_MS, received_time: H0 + 40 * MINUTE_MS }, // 19 min in the future
    { event_time: H0 + 59 * MINUTE_MS, received_time: H0 + 44 * MINUTE_MS }, // exactly 15 min: allowed
    { event_time: H0 + 30 * MINUTE_MS, received_time: H0 + 30 * MINUTE_MS + 7 * 24 * HOUR_MS + 1 }, // just too late
    { event_time: H0 + 31 * MINUTE_MS, received_time: H0 + 31 * MINUTE_MS + 7 * 24 * HOUR_MS }, // exactly the allowed lateness: on time
    { quarantine_reason: 'event_time: older than the allowed lateness' },
  ];
  return changes.map((change, i) => ({ ...BASE, event_id: `odd-${i}`, user_id: `odd-user-${i % 7}`, ...change }));
}

function withPositions(events: readonly EventRecord[], partition: number, firstOffset: number): BronzeRecord[] {
  return events.map((event, i) => ({ topic: TOPIC, partition, offset: firstOffset + i, kafka_timestamp_ms: event.received_time, schema_id: 2, received_time: event.received_time, event }));
}

/** Dedup cases: an invalid first copy loses to a valid later one; same receive time, partition decides. */
function dedupCases(): BronzeRecord[] {
  const t = H0 + 20 * MINUTE_MS;
  const event = { ...BASE, event_id: 'dup-1', event_time: t, received_time: t + 1000 };
  return [
    ...withPositions([{ ...event, country: 'USA' }], 5, 0), // first received, invalid
    ...withPositions([{ ...event, country: 'de' }], 5, 1), // valid, wins (stored DE)
    ...withPositions([{ ...event, country: 'FR' }], 5, 2), // duplicate
    ...withPositions([{ ...BASE, event_id: 'dup-2', event_time: t, received_time: t + 5, device_type: 'tv' }], 6, 9),
    ...withPositions([{ ...BASE, event_id: 'dup-2', event_time: t, received_time: t + 5, device_type: 'ios' }], 4, 100), // lower partition wins
    // The winner's own values, null ones too: not the first non-null value of the copies.
    ...withPositions([{ ...BASE, event_id: 'dup-4', event_time: t, received_time: t + 3 }], 4, 103),
    ...withPositions([{ ...BASE, event_id: 'dup-4', event_time: t, received_time: t + 4, country: 'DE' }], 4, 104),
    ...withPositions([{ ...BASE, event_id: 'dup-5', event_time: t, received_time: t + 3, country: 'nl' }], 4, 105), // checked in JS
    ...withPositions([{ ...BASE, event_id: 'dup-5', event_time: t, received_time: t + 4, country: 'DE' }], 4, 106),
    // A late first copy: the later copy is a duplicate, not late.
    ...withPositions([{ ...BASE, event_id: 'dup-3', event_time: t, received_time: t + 1, quarantine_reason: 'late' }], 4, 101),
    ...withPositions([{ ...BASE, event_id: 'dup-3', event_time: t, received_time: t + 2 }], 4, 102),
  ];
}

/** A user's events without a session id every 20 minutes, then a 40-minute gap: sessions across hours. */
function sessionCases(): BronzeRecord[] {
  const times = [0, 20, 40, 60, 80, 120, 125, 170, 175].map((m) => H0 + 5 * MINUTE_MS + m * MINUTE_MS);
  const events = times.flatMap((t, i) => [
    { ...BASE, event_id: `s-a-${i}`, user_id: 'walker', event_time: t, received_time: t + 1000 },
    // same time as another of the user's events: ties must not split a session
    { ...BASE, event_id: `s-b-${i}`, user_id: 'walker', event_time: t, received_time: t + 2000, session_id: i % 2 === 0 ? null : 'client-session' },
  ]);
  return withPositions(events, 7, 0);
}

/** Bronze objects as files, zstd and gzip (objects written before zstd) in turn, as a lake holds them. */
async function bronzeFiles(records: readonly BronzeRecord[], name: string, perFile: number): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < records.length; i += perFile) {
    const part = records.slice(i, i + perFile);
    const zstd = files.length % 2 === 0;
    const file = path.join(dir, `${name}-${files.length}.ndjson.${zstd ? 'zst' : 'gz'}`);
    fs.writeFileSync(file, zstd ? await encodeBronzeObject(part) : gzipSync(`${part.map(formatBronzeLine).join('\n')}\n`));
    files.push(file);
  }
  return files;
}

const byEventId = (a: { event_id: string }, b: { event_id: string }): number => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);

/** The JS path of activities/promote.ts before the SQL one: classifyHour, toSilverRow, sessionize, goldHour. */
function jsHour(records: readonly BronzeRecord[], hour: string, prior: SessionState, erasure: ErasureRule = new Map()) {
  // Through the Bronze line format, as the JS path read objects.
  const erased = (r: BronzeRecord): boolean => isErased(erasure, userKey(HMAC_KEY, r.event.user_id), r.event.event_time);
  const classified = classifyHour(records.map((record) => parseBronzeLine(formatBronzeLine(record))), hour, undefined, erased);
  const rows = classified.kept.map((event) => toSilverRow(event, { hmacKey: HMAC_KEY }));
  const { rows: sessioned, endState } = sessionize(rows, prior);
  return { classified, rows: sessioned.map(({ dt: _dt, hr: _hr, ...rest }) => rest).sort(byEventId), gold: goldHour(sessioned, hour).map(({ dt: _dt, hr: _hr, ...rest }) => rest), endState };
}

async function sqlHour(
  files: readonly string[],
  hour: string,
  prior: SessionState,
  threads?: number,
  erasure?: ErasureRule,
): Promise<{ out: SilverHourOutput; rows: unknown[]; gold: unknown[]; quarantine: Array<{ event_id: string; user_key: string; reason: string }>; silverFile: string; goldFile: string }> {
  const silverFile = path.join(dir, `${hour}-silver-${threads ?? 0}.parquet`);
  const goldFile = path.join(dir, `${hour}-gold-${threads ?? 0}.parquet`);
  const quarantineFile = path.join(dir, `${hour}-quarantine-${threads ?? 0}.parquet`);
  const out = await buildSilverHour({ bronzeFiles: files, hour, priorState: prior, hmacKey: HMAC_KEY, silverFile, goldFile, quarantineFile, threads, erasure });
  // Silver's row order within a file is not specified: rows are compared by event_id (unique in Silver).
  const rows = (await readParquetRows(SILVER_EVENTS, silverFile)).sort(byEventId);
  const quarantine = (await readParquetRows(SILVER_QUARANTINE, quarantineFile)).sort(byEventId);
  return { out, rows, gold: await readParquetRows(GOLD_CTR_HOURLY, goldFile), quarantine, silverFile, goldFile };
}

describe('Bronze → Silver in DuckDB equals the JS definition', () => {
  const records = [...generatedRecords(), ...withPositions(oddEvents(), 9, 0), ...dedupCases(), ...sessionCases()];

  it('holds every kind of record the test means to cover', () => {
    const first = classifyHour(records, HOURS[0] as string).ledger;
    expect(first.duplicates).toBeGreaterThan(5);
    expect(first.rejected).toBeGreaterThan(20);
    expect(first.late).toBeGreaterThan(2);
    expect(first.rows_out).toBeGreaterThan(300);
  });

  it('gives the same ledger, rejections, rows, sessions and Gold, hour after hour', async () => {
    const files = await bronzeFiles(records, 'mixed', 97);
    let jsPrior: SessionState = new Map();
    let sqlPrior: SessionState = new Map();
    for (const hour of HOURS) {
      const expected = jsHour(records, hour, jsPrior);
      const got = await sqlHour(files, hour, sqlPrior);
      expect(got.out.ledger).toEqual(expected.classified.ledger);
      expect(got.out.rejections).toEqual(expected.classified.rejections);
      expect(got.rows).toEqual(expected.rows);
      expect(got.gold).toEqual(expected.gold);
      expect(sessionStateToJson(got.out.endState)).toEqual(sessionStateToJson(expected.endState));
      expect(got.out.silverRows).toBe(expected.rows.length);
      expect(got.out.goldRows).toBe(expected.gold.length);
      // The quarantine holds exactly the late winners of the JS definition, pseudonymised, each with a reason.
      expect(got.quarantine.map((q) => [q.event_id, q.user_key, q.reason.length > 0])).toEqual(
        [...expected.classified.quarantined].sort(byEventId).map((e) => [e.event_id, userKey(HMAC_KEY, e.user_id), true]),
      );
      expect(got.out.quarantineRows).toBe(expected.classified.ledger.late);
      const nextStart = Date.parse(`${hour}:00:00Z`) + HOUR_MS;
      jsPrior = pruneSessionState(expected.endState, nextStart);
      sqlPrior = pruneSessionState(got.out.endState, nextStart);
    }
  });

  it('sends only what its fast check cannot vouch for to the JS rules, and that includes every rejection', async () => {
    const hour = HOURS[0] as string;
    const got = await sqlHour(await bronzeFiles(records, 'fast', 500), hour, new Map());
    expect(got.out.checkedInJs).toBeGreaterThanOrEqual(got.out.rejections.length);
    expect(got.out.checkedInJs).toBeLessThan(got.out.ledger.rows_in / 4);
  });

  it('drops the records the erasure list erases, as the JS definition does: counted `erased`, out of dedup, sessions and Gold', async () => {
    const hour = HOURS[0] as string;
    // walker's events up to 40 minutes into the hour (some with a client session, some derived), and
    // every event of odd-user (suppressed: invalid ones stay rejected, its duplicates go with it).
    const erasure = erasureRule([
      { request_id: 'er-20261120044000-0000000a', user_key: userKey(HMAC_KEY, 'walker'), requested_at: H0 + 45 * MINUTE_MS, suppress: false },
      { request_id: 'er-20261120044000-0000000b', user_key: userKey(HMAC_KEY, 'odd-user'), requested_at: H0, suppress: true },
    ]);
    const expected = jsHour(records, hour, new Map(), erasure);
    const got = await sqlHour(await bronzeFiles(records, 'erased', 211), hour, new Map(), undefined, erasure);
    expect(got.out.ledger).toEqual(expected.classified.ledger);
    expect(got.rows).toEqual(expected.rows);
    expect(got.gold).toEqual(expected.gold);
    expect(sessionStateToJson(got.out.endState)).toEqual(sessionStateToJson(expected.endState));
    // Independently of both: every valid record of the two users in the erased range is counted erased.
    const validOf = (user: string, untilMs: number): number =>
      records.filter((r) => r.event.user_id === user && hourKey(r.event.event_time) === hour && r.event.event_time <= untilMs && validateEvent(clientInputOf(r.event) ?? {}, { ...DEFAULT_LATENESS_RULES, receivedAtMs: r.received_time }).ok).length;
    expect(got.out.ledger.erased).toBe(validOf('walker', H0 + 45 * MINUTE_MS) + validOf('odd-user', Number.MAX_SAFE_INTEGER));
    expect(validOf('walker', H0 + 45 * MINUTE_MS)).toBeGreaterThan(3);
    const keys = new Set(got.rows.map((r) => (r as { user_key: string }).user_key));
    expect(keys.has(userKey(HMAC_KEY, 'odd-user'))).toBe(false);
    // walker's events after the request are a new interaction: kept.
    expect(got.rows.filter((r) => (r as { user_key: string }).user_key === userKey(HMAC_KEY, 'walker')).length).toBe(
      records.filter((r) => r.event.user_id === 'walker' && hourKey(r.event.event_time) === hour && r.event.event_time > H0 + 45 * MINUTE_MS).length,
    );
  });

  it('does not depend on the number of DuckDB threads or how records are split over objects', async () => {
    const hour = HOURS[1] as string;
    const one = await sqlHour(await bronzeFiles(records, 'split-a', 13), hour, new Map(), 1);
    const four = await sqlHour(await bronzeFiles([...records].reverse(), 'split-b', 1000), hour, new Map(), 4);
    expect(four.rows).toEqual(one.rows);
    expect(four.out.ledger).toEqual(one.out.ledger);
    expect(sessionStateToJson(four.out.endState)).toEqual(sessionStateToJson(one.out.endState));
  });

  it('continues a session from the prior hour and keeps prior users that had no events', async () => {
    const hour = HOURS[1] as string;
    const start = Date.parse(`${hour}:00:00Z`);
    const walkerKey = toSilverRow({ ...BASE, user_id: 'walker' }, { hmacKey: HMAC_KEY }).user_key;
    const prior = new Map<string, SessionCursor>([
      [walkerKey, { lastEventMs: start - 5 * MINUTE_MS, sessionId: 'ds-from-before', sessionStartMs: start - 50 * MINUTE_MS }],
      ['someone-else', { lastEventMs: start - MINUTE_MS, sessionId: 'ds-other', sessionStartMs: start - 2 * MINUTE_MS }],
    ]);
    const expected = jsHour(records, hour, prior);
    const got = await sqlHour(await bronzeFiles(records, 'prior', 400), hour, prior);
    expect(got.rows).toEqual(expected.rows);
    expect((got.rows as Array<{ session_id: string }>).some((row) => row.session_id === 'ds-from-before')).toBe(true);
    expect(got.out.endState.get('someone-else')).toEqual(prior.get('someone-else'));
    expect(sessionStateToJson(got.out.endState)).toEqual(sessionStateToJson(expected.endState));
  });

  it('writes the Parquet types writeParquet writes (Trino reads bigint columns only from INT64)', async () => {
    const hour = HOURS[0] as string;
    const expected = jsHour(records, hour, new Map());
    const got = await sqlHour(await bronzeFiles(records, 'types', 300), hour, new Map());
    const silverFile = path.join(dir, 'types-silver.parquet');
    const goldFile = path.join(dir, 'types-gold.parquet');
    await writeParquet(SILVER_EVENTS, expected.rows, silverFile);
    await writeParquet(GOLD_CTR_HOURLY, expected.gold, goldFile);
    expect(await parquetColumnTypes(got.silverFile)).toEqual(await parquetColumnTypes(silverFile));
    expect(await parquetColumnTypes(got.goldFile)).toEqual(await parquetColumnTypes(goldFile));
  });

  it('promotes an hour without Bronze objects to empty Silver and Gold', async () => {
    const got = await sqlHour([], HOURS[0] as string, new Map());
    expect(got.out.ledger).toEqual({ rows_in: 0, rows_out: 0, duplicates: 0, rejected: 0, late: 0, erased: 0 });
    expect(got.rows).toEqual([]);
    expect(got.gold).toEqual([]);
  });

  it('fails the hour loudly on a malformed Bronze record, as the JS path does', async () => {
    const event = { ...BASE, event_id: 'torn' };
    const torn = withPositions([event], 3, 0).map((record) => ({ ...record, received_time: record.received_time + 1 }));
    expect(() => classifyHour(torn, HOURS[0] as string)).not.toThrow(); // classifyHour takes parsed records; the reader throws
    await expect(sqlHour(await bronzeFiles(torn, 'torn', 10), HOURS[0] as string, new Map())).rejects.toThrow(/received_time: .* differs from event.received_time/);
  });
});

/**
 * Events the partitioner would never split, split on purpose: copies of event_ids on partition 8 (a
 * shard of its own below), received before or after the first copy, one of them a late first copy;
 * and a user whose events sit on partitions 0 and 8, so that neither shard alone sees one session.
 */
function crossPartitionCases(generated: readonly BronzeRecord[]): BronzeRecord[] {
  const firstHour = generated.filter((r) => hourKey(r.event.event_time) === HOURS[0] && r.partition === 1).slice(0, 40);
  const copies = firstHour.map((r, i) => ({ ...r, event: { ...r.event, received_time: r.received_time + (i % 2 === 0 ? -1 : 1) } }));
  const t = H0 + 15 * MINUTE_MS;
  const late = { ...BASE, event_id: 'x-late', event_time: t, received_time: t + 10, quarantine_reason: 'late' };
  const split = (m: number, i: number): EventRecord => ({ ...BASE, event_id: `split-${i}`, user_id: 'split-walker', event_time: H0 + m * MINUTE_MS, received_time: H0 + m * MINUTE_MS + 500 });
  return [
    ...withPositions(copies.map((r) => ({ ...r.event, received_time: r.event.received_time })), 8, 0).map((r, i) => ({ ...r, received_time: (copies[i] as BronzeRecord).event.received_time })),
    ...withPositions([late], 0, 10_000),
    ...withPositions([{ ...late, received_time: t + 20, quarantine_reason: null }], 8, 500),
    // 0, 45, 70, 110 on partition 0; 25, 90 on partition 8: together one session to 110 in hours 0 and 1.
    ...withPositions([split(0, 0), split(45, 1), split(70, 2), split(110, 3)], 0, 20_000),
    ...withPositions([split(25, 4), split(90, 5)], 8, 1_000),
  ];
}

describe('a sharded hour (docs/sharding.md) equals the whole hour', () => {
  const generated = generatedRecords();
  const records = [...generated, ...withPositions(oddEvents(), 9, 0), ...dedupCases(), ...sessionCases(), ...crossPartitionCases(generated)];
  // Partitions 0-2 hold the generated users, each on all three (those with derived sessions span shards); dup-2 is on 4 and 6.
  const SHARDS = [[0, 4, 7, 9], [1, 5, 8], [2, 6]];

  it('gives the same ledger, Silver rows, quarantine, sessions and Gold, hour after hour, and the global pass decides as core/shardMerge.ts', async () => {
    const whole = await bronzeFiles(records, 'whole', 97);
    const shardFiles = await Promise.all(SHARDS.map((parts, i) => bronzeFiles(records.filter((r) => parts.includes(r.partition)), `shard-${i}`, 53)));
    let prior: SessionState = new Map();
    for (const hour of HOURS) {
      const expected = await sqlHour(whole, hour, prior);
      const shardDir = fs.mkdtempSync(path.join(dir, `sharded-${hour}-`));
      const sharded = await buildShardedHourLocally({ shards: shardFiles, hour, priorState: prior, hmacKey: HMAC_KEY, dir: shardDir });
      expect(sharded.ledger).toEqual(expected.out.ledger);
      const rows = (await Promise.all(sharded.shards.map((s) => readParquetRows(SILVER_EVENTS, s.silverFile)))).flat().sort(byEventId);
      expect(rows).toEqual(expected.rows);
      const quarantine = (await Promise.all(sharded.shards.map((s) => readParquetRows(SILVER_QUARANTINE, s.quarantineFile)))).flat().sort(byEventId);
      expect(quarantine).toEqual(expected.quarantine);
      const gold = mergeGoldHourly((await Promise.all(sharded.shards.map((s) => readParquetRows(GOLD_CTR_HOURLY, s.goldFile)))).flat());
      expect(gold).toEqual(expected.gold);
      expect(sessionStateToJson(sharded.endState)).toEqual(sessionStateToJson(expected.out.endState));
      expect(sharded.shards.map((s) => s.ledger.rows_in).every((n) => n > 0)).toBe(true);

      // The SQL of the global pass against its specification, over the very sidecars.
      const ids = (await Promise.all(SHARDS.map((_, i) => parquetObjects(path.join(shardDir, `shard-${i}-ids.parquet`))))).flatMap((rows, shard) => rows.map((r) => ({ shard, ...(r as Omit<IdSighting, 'shard'>) })));
      const lost = crossShardLosers(ids);
      for (const i of SHARDS.keys()) {
        const file = path.join(shardDir, `shard-${i}-lost.parquet`);
        expect((await parquetObjects(file)).map((r) => r.event_id)).toEqual(lost.get(i));
      }
      const users = (await Promise.all(SHARDS.map((_, i) => parquetObjects(path.join(shardDir, `shard-${i}-users.parquet`))))).flatMap((rows, shard) => rows.map((r) => ({ shard, user_key: String(r.user_key) })));
      expect((await parquetObjects(path.join(shardDir, 'shard-all-multi-users.parquet'))).map((r) => r.user_key)).toEqual(multiShardUsers(users));
      if (hour === HOURS[0]) {
        // The cases meant to cross shards did: ids won elsewhere, and users sessionized together.
        expect(sharded.pass.lost.reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
        expect(sharded.pass.multiUsers).toBeGreaterThan(2);
        expect(multiShardUsers(users)).toContain(userKey(HMAC_KEY, 'split-walker'));
        const walker = rows.filter((r) => r.user_key === userKey(HMAC_KEY, 'split-walker'));
        expect(new Set(walker.map((r) => r.session_id)).size).toBe(1);
      }
      const nextStart = Date.parse(`${hour}:00:00Z`) + HOUR_MS;
      prior = pruneSessionState(expected.out.endState, nextStart);
    }
  }, 60_000);
});

/** Every row of a Parquet file as an object, numbers as numbers. */
async function parquetObjects(file: string): Promise<Array<Record<string, unknown>>> {
  return withConnection(1, async (connection) => {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${file.replace(/'/g, "''")}')`);
    const names = reader.columnNames();
    return reader.getRows().map((values) => Object.fromEntries(names.map((name, i) => [name, typeof values[i] === 'bigint' ? Number(values[i]) : values[i]])));
  });
}

describe('the SQL patterns are never looser than core/addresses.ts', () => {
  // RE2 full match in DuckDB and a JS RegExp agree on these ASCII patterns; what matters is that
  // everything the pattern accepts, the JS rule accepts.
  const full = (pattern: string): RegExp => new RegExp(`^(?:${pattern})$`);
  const ips = ['0.0.0.0', '255.255.255.255', '1.2.3.4', '::', '::1', '1::', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', 'a:b::c:d', 'ABCD:ef01::'];
  const notIps = ['256.1.1.1', '01.1.1.1', '1.2.3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '1::2::3', ':::', '12345::', 'g::1', '::ffff:1.2.3.4'];

  it.each(ips)('accepts %s, as isIpAddress does', (ip) => {
    expect(full(IPV4_PATTERN).test(ip) || full(IPV6_PATTERN).test(ip)).toBe(true);
    expect(isIpAddress(ip)).toBe(true);
  });

  it.each(notIps)('leaves %s to the JS rules', (ip) => {
    expect(full(IPV4_PATTERN).test(ip) || full(IPV6_PATTERN).test(ip)).toBe(false);
  });

  it('accepts only emails isEmailAddress accepts, over many generated strings', () => {
    const alphabet = ['a', 'Z', '0', '@', '.', ' ', '-', '+', '_', 'ü', '\u00a0', '\t', '!', '~'];
    let state = 12345;
    const next = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31);
    let accepted = 0;
    const part = (max: number): string => {
      let text = '';
      for (let j = 1 + (next() % max); j > 0; j--) text += alphabet[next() % alphabet.length];
      return text;
    };
    for (let i = 0; i < 20_000; i++) {
      // Mostly address-shaped (local@label.label), with every character class in every part.
      const text = next() % 4 === 0 ? part(16) : `${part(6)}@${part(4)}.${part(3)}`;
      if (full(EMAIL_PATTERN).test(text)) {
        accepted++;
        expect(isEmailAddress(text)).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(10);
  });
});
