/**
 * Bronze → Silver → hourly Gold of one event hour inside embedded DuckDB: the Bronze objects (zstd
 * NDJSON, or gzip for objects written before) are read, re-validated, deduplicated, quarantined, pseudonymised and sessionized in SQL and
 * written as Parquet, in one connection, without a JS object per event. The statements come from
 * core/silverSql.ts; the semantics are core/silver.ts's (classifyHour, toSilverRow, sessionize),
 * held equal by test/engine/silverSql.test.ts. Records the SQL fast check cannot vouch for are
 * re-validated by the JS rules themselves (core/silverSql.ts module comment).
 *
 * Why: the JS path manages about 24,000 records per CPU-second (JSON.parse, re-validation and GC);
 * this one about 200,000 (bench/promote, BENCHMARKS.md).
 */
import { type DuckDBConnection } from '@duckdb/node-api';
import { parseBronzeRecord, compareKafkaPosition } from '../core/bronze';
import { ConfigError } from '../core/errors';
import type { ErasureRule } from '../core/erasure';
import { quoteLiteral } from '../core/lake';
import { type Ledger } from '../core/ledger';
import { GOLD_CTR_HOURLY, SILVER_EVENTS, SILVER_QUARANTINE } from '../core/lakeTables';
import { DEFAULT_LATENESS_RULES, SILVER_COLUMNS, revalidate, type LatenessRules, type Rejection, type SessionCursor, type SessionState } from '../core/silver';
import {
  bronzeJsonColumns,
  bronzeSelectList,
  bronzeTableColumns,
  erasedRowsSql,
  fastValidSql,
  hmacPads,
  keptLedgerSql,
  keptRelationSql,
  sessionsSql,
  userKeySql,
  type KeptRelation,
} from '../core/silverSql';
import { crossShardLosersSql, multiShardUsersSql } from '../core/shardMerge';
import { HOUR_MS, parseHourKey } from '../core/time';
import { AD_EVENT_TYPES, EVENT_FIELD_NAMES } from '../schemas/eventRecord';
import { storedColumnsSql, withConnection } from './parquet';

export interface SilverHourInput {
  /**
   * Local Bronze objects, NDJSON lines of core/bronze.ts formatBronzeLine, compressed as their names
   * end (`.ndjson.zst` or `.ndjson.gz`); records of other hours are ignored.
   */
  readonly bronzeFiles: readonly string[];
  readonly hour: string;
  /** Derived-session cursors at the end of the previous hour (already pruned to this hour). */
  readonly priorState: SessionState;
  readonly hmacKey: string;
  readonly rules?: LatenessRules;
  /** Where the Silver and the hourly Gold Parquet files are written (replaced). */
  readonly silverFile: string;
  readonly goldFile: string;
  /** Where the quarantined (too late) events of the hour are written; none written when absent. */
  readonly quarantineFile?: string;
  /** DuckDB threads (default: one per core). */
  readonly threads?: number;
  /** The erasure list's rule (core/erasure.ts): records it erases are dropped and counted `erased`. */
  readonly erasure?: ErasureRule;
  /** A shard of a sharded hour: what the global pass decided (docs/sharding.md); absent for a whole hour. */
  readonly shard?: ShardDecisions;
}

/** What a shard of a sharded hour takes from the global pass (core/shardMerge.ts). */
export interface ShardDecisions {
  /** Parquet (event_id) of the ids whose first received copy is in another shard; absent when there are none. */
  readonly lostIdsFile?: string;
  /**
   * The users with derived-session events in several shards, sessionized by the global pass
   * (globalShardSessions): Parquet (user_key), Parquet (event_id, session_id) of their events, and
   * their end cursors. Absent when there are none.
   */
  readonly multiShard?: { readonly usersFile: string; readonly sessionsFile: string; readonly endState: SessionState };
}

export interface SilverHourOutput {
  readonly hour: string;
  readonly ledger: Ledger;
  /** Records that failed re-validation, in Kafka position order. */
  readonly rejections: Rejection[];
  /** Derived-session cursors at the end of the hour: the prior state plus this hour's. */
  readonly endState: Map<string, SessionCursor>;
  readonly silverRows: number;
  readonly goldRows: number;
  /** Ad events of the Silver file as written (impressions and clicks with a campaign). */
  readonly adEvents: number;
  /** Sum of impressions + clicks over the Gold file as written; equals adEvents when Gold is exact. */
  readonly goldCounted: number;
  /** Rows of the quarantine file as written, when one was asked for (equals the ledger's late). */
  readonly quarantineRows?: number;
  /** Missing key dimensions, for the quality gates (core/quality.ts qualityFigures). */
  readonly nulls: { readonly adEvents: number; readonly adWithoutCampaign: number; readonly kept: number; readonly withoutDeviceType: number; readonly withoutCountry: number };
  /** Records the SQL fast check passed to the JS rules. */
  readonly checkedInJs: number;
}

const n = (value: unknown): number => Number(value ?? 0);

async function scalarRow(connection: DuckDBConnection, sql: string): Promise<unknown[]> {
  const rows = (await connection.runAndReadAll(sql)).getRows();
  return rows[0] ?? [];
}

/**
 * Event fields the Silver columns come from (user_key from user_id; dt and hr are the partition),
 * and quarantine_reason for lateness; the rest serve the fast check and JS only.
 */
const SILVER_SOURCE = [...SILVER_COLUMNS.filter((c) => c !== 'user_key' && c !== 'dt' && c !== 'hr'), 'user_id', 'quarantine_reason'];

/**
 * The Bronze table, written once: per record of the hour its position, the fields Silver needs, the
 * fast check, and (only where the check failed) the whole record as JSON for the JS rules.
 */
async function loadBronze(connection: DuckDBConnection, files: readonly string[], startMs: number, rules: LatenessRules): Promise<void> {
  let source = 'bronze_none';
  if (files.length === 0) await connection.run(`CREATE TEMP TABLE bronze_none (${bronzeTableColumns()})`);
  else {
    source =
      `(SELECT ${bronzeSelectList()} FROM read_json([${files.map(quoteLiteral).join(', ')}], ` +
      `format = 'newline_delimited', compression = 'auto_detect', columns = ${bronzeJsonColumns()}) ` +
      `WHERE event.event_time >= ${startMs} AND event.event_time < ${startMs + HOUR_MS})`;
  }
  const event = EVENT_FIELD_NAMES.map((name) => `${quoteLiteral(name)}: "${name}"`).join(', ');
  const record =
    `CAST(to_json({'topic': topic, 'partition': "partition", 'offset': "offset", 'kafka_timestamp_ms': kafka_timestamp_ms, ` +
    `'schema_id': schema_id, 'received_time': envelope_received_time, 'event': {${event}}}) AS VARCHAR)`;
  await connection.run(
    `CREATE TEMP TABLE bronze AS SELECT rn, topic, "partition", "offset", ${SILVER_SOURCE.map((c) => `"${c}"`).join(', ')}, fast, ` +
      `CASE WHEN fast THEN NULL ELSE ${record} END AS record FROM (SELECT *, ${fastValidSql(rules)} AS fast FROM ${source})`,
  );
}

/** The records the fast check did not vouch for, through the JS rules: verdicts into `verdicts`, rejections out. */
async function checkInJs(connection: DuckDBConnection, hour: string, rules: LatenessRules): Promise<{ rejections: Rejection[]; checked: number }> {
  const reader = await connection.runAndReadAll('SELECT rn, record FROM bronze WHERE NOT fast ORDER BY rn');
  await connection.run('CREATE TEMP TABLE verdicts (rn BIGINT, late BOOLEAN, country VARCHAR)');
  const rejections: Rejection[] = [];
  const appender = await connection.createAppender('verdicts');
  try {
    for (const [rn, json] of reader.getRows()) {
      // The same reading and rules as the JS path: a malformed record fails the hour loudly here too.
      const record = parseBronzeRecord(JSON.parse(String(json)), `bronze ${hour} record`);
      const result = revalidate(record, rules);
      if (!result.ok) {
        rejections.push({ topic: record.topic, partition: record.partition, offset: record.offset, errors: result.errors });
        continue;
      }
      appender.appendBigInt(BigInt(rn as bigint));
      appender.appendBoolean(result.record.late);
      if (result.record.event.country === null) appender.appendNull();
      else appender.appendVarchar(result.record.event.country);
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
  rejections.sort(compareKafkaPosition);
  return { rejections, checked: reader.getRows().length };
}

async function loadPrior(connection: DuckDBConnection, prior: SessionState): Promise<void> {
  await connection.run('CREATE TEMP TABLE prior (user_key VARCHAR, last_ms BIGINT, session_id VARCHAR, start_ms BIGINT)');
  const appender = await connection.createAppender('prior');
  try {
    for (const [userKeyValue, cursor] of prior) {
      appender.appendVarchar(userKeyValue);
      appender.appendBigInt(BigInt(cursor.lastEventMs));
      appender.appendVarchar(cursor.sessionId);
      appender.appendBigInt(BigInt(cursor.sessionStartMs));
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
}

/**
 * user_key once per user, not per event (most users have many events in an hour): every user of the
 * hour's records, a superset of the kept ones, which spares a join; then the rows of erased users.
 */
async function loadUsers(connection: DuckDBConnection, input: Pick<SilverHourInput, 'hmacKey' | 'erasure'>): Promise<void> {
  await connection.run(`CREATE TEMP TABLE users AS SELECT user_id, ${userKeySql('user_id', hmacPads(input.hmacKey))} AS user_key FROM (SELECT DISTINCT user_id FROM bronze)`);
  if ((input.erasure?.size ?? 0) === 0) return;
  await connection.run('CREATE TEMP TABLE erased_users (user_key VARCHAR, until_ms BIGINT)');
  const appender = await connection.createAppender('erased_users');
  try {
    for (const [key, untilMs] of input.erasure ?? new Map<string, number>()) {
      appender.appendVarchar(key);
      // Suppressed (Infinity): every event time is a safe integer, so this bound takes them all.
      appender.appendBigInt(BigInt(Math.min(untilMs, Number.MAX_SAFE_INTEGER)));
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
  await connection.run(erasedRowsSql());
}

/** Loads the prior cursors, derives the sessions of the kept records without one, and writes the Silver file. */
async function writeSilver(connection: DuckDBConnection, kept: KeptRelation, input: SilverHourInput): Promise<void> {
  await loadPrior(connection, input.priorState);
  const multi = input.shard?.multiShard;
  if (multi !== undefined) {
    await connection.run(`CREATE TEMP TABLE multi_users AS SELECT user_key FROM read_parquet(${quoteLiteral(multi.usersFile)})`);
    await connection.run(`CREATE TEMP TABLE multi_sessions AS SELECT event_id, session_id FROM read_parquet(${quoteLiteral(multi.sessionsFile)})`);
  }
  // The global pass sessionized the multi-shard users already: their events take its ids.
  const local = multi === undefined ? '' : ' AND u.user_key NOT IN (SELECT user_key FROM multi_users)';
  const unsessioned = `(SELECT b.rn, u.user_key, b.event_time, b.session_id FROM ${kept.from} JOIN users u ON u.user_id = b.user_id WHERE ${kept.where} AND b.session_id IS NULL${local})`;
  for (const statement of sessionsSql(unsessioned)) await connection.run(statement);

  const silverColumns = storedColumnsSql(SILVER_EVENTS, (column) => {
    switch (column) {
      case 'user_key':
        return 'u.user_key';
      case 'session_id':
        return multi === undefined ? 'coalesce(b.session_id, d.session_id)' : 'coalesce(b.session_id, d.session_id, ms.session_id)';
      case 'country':
        return 'CASE WHEN b.fast THEN b.country ELSE v.country END';
      default:
        return `b."${column}"`;
    }
  });
  // Row order within the file is not specified (sorting a million wide rows cost 0.5 s of 7).
  await connection.run(
    `COPY (SELECT ${silverColumns} FROM ${kept.from} JOIN users u ON u.user_id = b.user_id LEFT JOIN ` +
      `(SELECT p.rn, sp.session_id FROM session_points p JOIN session_spans sp USING (user_key, g) WHERE p.is_event = 1) d ON d.rn = b.rn ` +
      `${multi === undefined ? '' : 'LEFT JOIN multi_sessions ms ON ms.event_id = b.event_id '}WHERE ${kept.where}) TO ${quoteLiteral(input.silverFile)} (FORMAT PARQUET, COMPRESSION ZSTD)`,
  );
}

const AD_EVENT_SQL = `event_type IN (${AD_EVENT_TYPES.map(quoteLiteral).join(', ')}) AND campaign_id IS NOT NULL`;

/** The late winners (valid, first received, past the allowed lateness) with their reason: the quarantine file. */
async function writeQuarantine(connection: DuckDBConnection, kept: KeptRelation, rules: LatenessRules, file: string): Promise<void> {
  const reasonOfLate = quoteLiteral(`late: received more than ${rules.allowedLatenessMs / 3_600_000} h after event_time`);
  const columns = storedColumnsSql(SILVER_QUARANTINE, (column) => {
    switch (column) {
      case 'user_key':
        return 'u.user_key';
      case 'country':
        return 'CASE WHEN b.fast THEN b.country ELSE v.country END';
      case 'reason':
        return `coalesce(b.quarantine_reason, ${reasonOfLate})`;
      default:
        return `b."${column}"`;
    }
  });
  await connection.run(
    `COPY (SELECT ${columns} FROM ${kept.from} JOIN users u ON u.user_id = b.user_id WHERE ${kept.counted} AND coalesce(dc.wins, true) AND ${kept.late}) ` +
      `TO ${quoteLiteral(file)} (FORMAT PARQUET, COMPRESSION ZSTD)`,
  );
}

/** Hourly Gold from the Silver file as written, so Gold counts what Silver holds. */
async function writeGold(connection: DuckDBConnection, silverFile: string, goldFile: string): Promise<void> {
  const impressions = "count_if(event_type = 'ad_impression')";
  const clicks = "count_if(event_type = 'ad_click')";
  const gold: Readonly<Record<string, string>> = {
    campaign_id: 'campaign_id',
    impressions,
    clicks,
    ctr: `CASE WHEN ${impressions} = 0 THEN NULL ELSE CAST(${clicks} AS DOUBLE) / ${impressions} END`,
  };
  await connection.run(
    `COPY (SELECT ${storedColumnsSql(GOLD_CTR_HOURLY, gold)} FROM read_parquet(${quoteLiteral(silverFile)}) WHERE ${AD_EVENT_SQL} GROUP BY campaign_id ORDER BY campaign_id) ` +
      `TO ${quoteLiteral(goldFile)} (FORMAT PARQUET, COMPRESSION ZSTD)`,
  );
}

/**
 * The ledger, in one pass: every record of the hour, the valid ones, the erased ones among them, the
 * losing copies, and the winners that were late; rows_out follows from them (checkLedger then holds
 * rows_in = valid + rejected). And what the files hold, read back: the writes are checked, not the tables they came from.
 */
async function readFigures(connection: DuckDBConnection, kept: KeptRelation, input: SilverHourInput, rejected: number) {
  const [rowsIn, valid, erased, duplicates, lateWinners] = await scalarRow(connection, keptLedgerSql(kept));
  const silverFile = `read_parquet(${quoteLiteral(input.silverFile)})`;
  const goldFile = `read_parquet(${quoteLiteral(input.goldFile)})`;
  const [silverRows, adEvents, goldRows, goldCounted, withoutDeviceType, withoutCountry] = await scalarRow(
    connection,
    `SELECT (SELECT count(*) FROM ${silverFile}), (SELECT count(*) FROM ${silverFile} WHERE ${AD_EVENT_SQL}), ` +
      `(SELECT count(*) FROM ${goldFile}), (SELECT coalesce(sum(impressions + clicks), 0) FROM ${goldFile}), ` +
      `(SELECT count(*) FILTER (WHERE device_type IS NULL) FROM ${silverFile}), (SELECT count(*) FILTER (WHERE country IS NULL) FROM ${silverFile})`,
  );
  // Every ad event of the hour as read (valid or not), and those without a campaign: a quality figure.
  const adTypes = AD_EVENT_TYPES.map(quoteLiteral).join(', ');
  const [adRead, adWithoutCampaign] = await scalarRow(
    connection,
    `SELECT count(*) FILTER (WHERE event_type IN (${adTypes})), count(*) FILTER (WHERE event_type IN (${adTypes}) AND campaign_id IS NULL) FROM bronze`,
  );
  const ledger: Ledger = {
    rows_in: n(rowsIn),
    rows_out: n(valid) - n(erased) - n(duplicates) - n(lateWinners),
    duplicates: n(duplicates),
    rejected,
    late: n(lateWinners),
    erased: n(erased),
  };
  const [quarantineRows] = input.quarantineFile === undefined ? [undefined] : await scalarRow(connection, `SELECT count(*) FROM read_parquet(${quoteLiteral(input.quarantineFile)})`);
  const nulls = { adEvents: n(adRead), adWithoutCampaign: n(adWithoutCampaign), kept: n(silverRows), withoutDeviceType: n(withoutDeviceType), withoutCountry: n(withoutCountry) };
  return { ledger, silverRows: n(silverRows), goldRows: n(goldRows), adEvents: n(adEvents), goldCounted: n(goldCounted), nulls, ...(quarantineRows === undefined ? {} : { quarantineRows: n(quarantineRows) }) };
}

/** The prior cursors with this hour's last session of each user laid over them (then the global pass's, in a shard). */
async function readEndState(connection: DuckDBConnection, prior: SessionState, shard?: ShardDecisions): Promise<Map<string, SessionCursor>> {
  const endState = new Map<string, SessionCursor>(prior);
  for (const [userKeyValue, cursor] of await readSpans(connection)) endState.set(userKeyValue, cursor);
  for (const [userKeyValue, cursor] of shard?.multiShard?.endState ?? []) endState.set(userKeyValue, cursor);
  return endState;
}

/** The last session of each user in `session_spans` as a cursor. */
async function readSpans(connection: DuckDBConnection): Promise<Array<[string, SessionCursor]>> {
  const spans = await connection.runAndReadAll('SELECT user_key, last_ms, session_id, start_ms FROM session_spans WHERE is_last');
  return spans.getRows().map(([userKeyValue, lastMs, sessionId, startMsValue]) => [String(userKeyValue), { lastEventMs: n(lastMs), sessionId: String(sessionId), sessionStartMs: n(startMsValue) }]);
}

/**
 * The hour's records read, re-validated, pseudonymised, erased and deduplicated within the files
 * (and against the global pass's lost ids, in a shard): what every build, scan and point step starts from.
 */
async function prepare(connection: DuckDBConnection, input: Omit<SilverHourInput, 'priorState' | 'silverFile' | 'goldFile'>, rules: LatenessRules) {
  const { key: hour, startMs } = parseHourKey(input.hour);
  await loadBronze(connection, input.bronzeFiles, startMs, rules);
  const { rejections, checked } = await checkInJs(connection, hour, rules);
  await loadUsers(connection, input);
  const lostIdsFile = input.shard?.lostIdsFile;
  if (lostIdsFile !== undefined) await connection.run(`CREATE TEMP TABLE lost_ids AS SELECT DISTINCT event_id FROM read_parquet(${quoteLiteral(lostIdsFile)})`);
  const kept = keptRelationSql(rules, (input.erasure?.size ?? 0) > 0, lostIdsFile !== undefined);
  for (const statement of kept.statements) await connection.run(statement);
  return { hour, kept, rejections, checked };
}

/** Builds Silver and hourly Gold of the hour as local Parquet files; see the module comment. */
export async function buildSilverHour(input: SilverHourInput): Promise<SilverHourOutput> {
  if (input.hmacKey.length === 0) throw new ConfigError('pii.hmacKey: empty; set CLICKLAKE_PII_HMAC_KEY or run stack up');
  const rules = input.rules ?? DEFAULT_LATENESS_RULES;
  return withConnection(input.threads, async (connection) => {
    const { hour, kept, rejections, checked } = await prepare(connection, input, rules);
    await writeSilver(connection, kept, input);
    await writeGold(connection, input.silverFile, input.goldFile);
    if (input.quarantineFile !== undefined) await writeQuarantine(connection, kept, rules, input.quarantineFile);
    const figures = await readFigures(connection, kept, input, rejections.length);
    return { hour, ...figures, rejections, endState: await readEndState(connection, input.priorState, input.shard), checkedInJs: checked };
  });
}

/** A shard's own part of the global pass: its Bronze files and where its sidecars go (docs/sharding.md). */
export type ShardScanInput = Pick<SilverHourInput, 'bronzeFiles' | 'hour' | 'hmacKey' | 'rules' | 'threads' | 'erasure'>;

/**
 * The sidecars of a shard for the global pass: Parquet `idsFile` (event_id, received_time, "partition",
 * "offset", topic) of its local winners, and `usersFile` (user_key) of the users with derived-session
 * events it could keep. Both are what core/shardMerge.ts decides from.
 */
export async function scanSilverShard(input: ShardScanInput & { readonly idsFile: string; readonly usersFile: string }): Promise<{ ids: number; users: number }> {
  if (input.hmacKey.length === 0) throw new ConfigError('pii.hmacKey: empty; set CLICKLAKE_PII_HMAC_KEY or run stack up');
  const rules = input.rules ?? DEFAULT_LATENESS_RULES;
  return withConnection(input.threads, async (connection) => {
    const { kept } = await prepare(connection, input, rules);
    const ids = await connection.run(
      `COPY (SELECT b.event_id, b.received_time, b."partition", b."offset", b.topic FROM ${kept.from} WHERE ${kept.counted} AND coalesce(dc.wins, true)) ` +
        `TO ${quoteLiteral(input.idsFile)} (FORMAT PARQUET, COMPRESSION ZSTD)`,
    );
    const users = await connection.run(
      `COPY (SELECT DISTINCT u.user_key FROM ${kept.from} JOIN users u ON u.user_id = b.user_id WHERE ${kept.where} AND b.session_id IS NULL) ` +
        `TO ${quoteLiteral(input.usersFile)} (FORMAT PARQUET, COMPRESSION ZSTD)`,
    );
    return { ids: ids.rowsChanged, users: users.rowsChanged };
  });
}

/** `read_parquet` of files, each row tagged with the index of its file as `shard`. */
function byShard(files: readonly string[], columns: string): string {
  return `(${files.map((file, shard) => `SELECT ${shard} AS shard, ${columns} FROM read_parquet(${quoteLiteral(file)})`).join(' UNION ALL ')})`;
}

/**
 * The global pass over the shards' sidecars (index i = shard i): writes `lostIdsFiles[i]` (event_id,
 * core/shardMerge.ts crossShardLosers) and `multiUsersFile` (user_key, multiShardUsers); returns
 * how many of each.
 */
export async function globalShardPass(input: {
  readonly idsFiles: readonly string[];
  readonly usersFiles: readonly string[];
  readonly lostIdsFiles: readonly string[];
  readonly multiUsersFile: string;
  readonly threads?: number;
}): Promise<{ lost: number[]; multiUsers: number }> {
  return withConnection(input.threads, async (connection) => {
    await connection.run(`CREATE TEMP TABLE ids AS SELECT * FROM ${byShard(input.idsFiles, 'event_id, received_time, "partition", "offset", topic')}`);
    await connection.run(`CREATE TEMP TABLE lost AS ${crossShardLosersSql('ids')}`);
    const lost: number[] = [];
    for (const [shard, file] of input.lostIdsFiles.entries()) {
      lost.push((await connection.run(`COPY (SELECT event_id FROM lost WHERE shard = ${shard} ORDER BY event_id) TO ${quoteLiteral(file)} (FORMAT PARQUET, COMPRESSION ZSTD)`)).rowsChanged);
    }
    const users = await connection.run(`COPY (${multiShardUsersSql(byShard(input.usersFiles, 'user_key'))} ORDER BY user_key) TO ${quoteLiteral(input.multiUsersFile)} (FORMAT PARQUET, COMPRESSION ZSTD)`);
    return { lost, multiUsers: users.rowsChanged };
  });
}

/**
 * A shard's derived-session events of the multi-shard users (after the global dedup): Parquet
 * `pointsFile` (user_key, event_time, event_id), for globalShardSessions.
 */
export async function shardSessionPoints(input: ShardScanInput & { readonly lostIdsFile?: string; readonly multiUsersFile: string; readonly pointsFile: string }): Promise<number> {
  const rules = input.rules ?? DEFAULT_LATENESS_RULES;
  return withConnection(input.threads, async (connection) => {
    const { kept } = await prepare(connection, { ...input, ...(input.lostIdsFile === undefined ? {} : { shard: { lostIdsFile: input.lostIdsFile } }) }, rules);
    const out = await connection.run(
      `COPY (SELECT u.user_key, b.event_time, b.event_id FROM ${kept.from} JOIN users u ON u.user_id = b.user_id ` +
        `WHERE ${kept.where} AND b.session_id IS NULL AND u.user_key IN (SELECT user_key FROM read_parquet(${quoteLiteral(input.multiUsersFile)}))) ` +
        `TO ${quoteLiteral(input.pointsFile)} (FORMAT PARQUET, COMPRESSION ZSTD)`,
    );
    return out.rowsChanged;
  });
}

/**
 * The sessions of the multi-shard users over all shards' points, from the prior cursors of those
 * users: the same statements as a whole hour (core/silverSql.ts sessionsSql), so the ids are the
 * unsharded ones. Writes `sessionsFile` (event_id, session_id) and returns the users' end cursors.
 */
export async function globalShardSessions(input: {
  readonly pointsFiles: readonly string[];
  readonly priorState: SessionState;
  readonly multiUsersFile: string;
  readonly sessionsFile: string;
  readonly threads?: number;
}): Promise<Map<string, SessionCursor>> {
  return withConnection(input.threads, async (connection) => {
    await connection.run(`CREATE TEMP TABLE multi_users AS SELECT user_key FROM read_parquet(${quoteLiteral(input.multiUsersFile)})`);
    await loadPrior(connection, input.priorState);
    await connection.run('DELETE FROM prior WHERE user_key NOT IN (SELECT user_key FROM multi_users)');
    await connection.run(
      `CREATE TEMP TABLE points_in AS SELECT row_number() OVER (ORDER BY event_id) AS rn, user_key, event_time, event_id, NULL::VARCHAR AS session_id ` +
        `FROM (SELECT user_key, event_time, event_id FROM ${byShard(input.pointsFiles, 'user_key, event_time, event_id')})`,
    );
    for (const statement of sessionsSql('points_in')) await connection.run(statement);
    await connection.run(
      `COPY (SELECT i.event_id, sp.session_id FROM session_points p JOIN session_spans sp USING (user_key, g) JOIN points_in i ON i.rn = p.rn WHERE p.is_event = 1 ORDER BY i.event_id) ` +
        `TO ${quoteLiteral(input.sessionsFile)} (FORMAT PARQUET, COMPRESSION ZSTD)`,
    );
    return new Map(await readSpans(connection));
  });
}
