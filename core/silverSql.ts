/**
 * Bronze → Silver of an event hour as DuckDB SQL: the text of each statement, built from the same
 * rules and constants as the JS definition in ./silver.ts (classifyHour, toSilverRow, sessionize),
 * which stays the executable specification: test/engine/silverSql.test.ts holds the two equal, row for
 * row, over records made to break every rule.
 *
 * Re-validation is split so that SQL never has to be as clever as core/event.ts:
 * - `fastValidSql` is a conservative predicate: a record it accepts is valid under validateEvent
 *   (every check here is as strict as the JS rule or stricter), and is taken as is. It covers what
 *   the collector writes almost always: no unknown fields, ASCII email, dotted-quad or plain IPv6.
 * - Every other record (it is NOT thereby invalid) goes back to JS and through the very functions the
 *   JS path uses (parseBronzeRecord, then validateEvent), which decide valid, late or rejected.
 * So SQL only has to be sound, not complete; a rule SQL cannot express exactly costs speed, never
 * correctness.
 */
import { createHash } from 'node:crypto';
import { EVENT_FIELDS, AD_EVENT_TYPES, DEVICE_TYPES, EVENT_TYPES, VIDEO_EVENT_TYPES, type AvroFieldType } from '../schemas/eventRecord';
import { MAX_EMAIL_LENGTH } from './addresses';
import { quoteLiteral } from './lake';
import { FIELD_LIMITS, MAX_EVENT_BYTES, MIN_EVENT_TIME_MS } from './event';
import { type LatenessRules, SESSION_GAP_MS, DERIVED_SESSION_PREFIX } from './silver';

const SQL_TYPE: Readonly<Record<AvroFieldType, string>> = {
  string: 'VARCHAR',
  long: 'BIGINT',
  'enum:EventType': 'VARCHAR',
  'enum:DeviceType': 'VARCHAR',
  'map<string>': 'MAP(VARCHAR, VARCHAR)',
};

/** Name and DuckDB type of each event field, in schema order. */
export const EVENT_SQL_COLUMNS: ReadonlyArray<readonly [name: string, type: string]> = Object.entries(EVENT_FIELDS).map(([name, spec]) => [name, SQL_TYPE[spec.type]]);

/** The envelope of a Bronze line (core/bronze.ts formatBronzeLine) around `event`. */
const ENVELOPE_SQL_COLUMNS: ReadonlyArray<readonly [name: string, type: string]> = [
  ['topic', 'VARCHAR'],
  ['partition', 'BIGINT'],
  ['offset', 'BIGINT'],
  ['kafka_timestamp_ms', 'BIGINT'],
  ['schema_id', 'BIGINT'],
  ['received_time', 'BIGINT'],
];

/** The `columns` argument of read_json for Bronze NDJSON lines. */
export function bronzeJsonColumns(): string {
  const event = EVENT_SQL_COLUMNS.map(([name, type]) => `"${name}" ${type}`).join(', ');
  return `{${[...ENVELOPE_SQL_COLUMNS.map(([name, type]) => `"${name}": '${type}'`), `event: 'STRUCT(${event})'`].join(', ')}}`;
}

/**
 * Columns of the flattened Bronze table: rn (read order), the envelope (its received_time as
 * envelope_received_time) and the event's fields by name.
 */
export function bronzeTableColumns(): string {
  const envelope = ENVELOPE_SQL_COLUMNS.map(([name, type]) => [name === 'received_time' ? 'envelope_received_time' : name, type] as const);
  return [['rn', 'BIGINT'] as const, ...envelope, ...EVENT_SQL_COLUMNS].map(([name, type]) => `"${name}" ${type}`).join(', ');
}

/** SELECT list of read_json rows as bronzeTableColumns (rn from row_number). */
export function bronzeSelectList(): string {
  const envelope = ENVELOPE_SQL_COLUMNS.map(([name]) => `"${name}" AS "${name === 'received_time' ? 'envelope_received_time' : name}"`);
  return ['row_number() OVER () AS rn', ...envelope, ...EVENT_SQL_COLUMNS.map(([name]) => `event."${name}" AS "${name}"`)].join(', ');
}

const list = (values: readonly string[]): string => values.map(quoteLiteral).join(', ');
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * True for NULL, else the check. A CASE rather than `IS NULL OR`: DuckDB then evaluates the check only
 * for the rows that have a value (measured: the unknown-fields check alone took 0.3 s per million
 * records as an OR, though 97% of them have none).
 */
const optional = (column: string, check: string): string => `CASE WHEN ${column} IS NULL THEN true ELSE ${check} END`;
/**
 * Character limits are checked on the UTF-8 byte length (strlen, stored with the string, O(1)): a
 * text of at most max bytes has at most max code points, so the check is never looser than
 * codePointLength's; a longer multi-byte text within the limit goes to JS.
 */
const optionalId = (column: string, max: number): string => optional(column, `strlen(${column}) BETWEEN 1 AND ${max}`);
const optionalText = (column: string, max: number): string => optional(column, `strlen(${column}) <= ${max}`);

const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** Dotted quad exactly as core/addresses.ts IPV4. */
export const IPV4_PATTERN = `${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}`;

const H = '[0-9A-Fa-f]{1,4}';
/**
 * IPv6 without an IPv4 tail: eight groups, or `::` with at most seven groups around it, enumerated
 * by the count on the left (RE2 has no lookahead). Each form is one isIPv6 accepts.
 */
export const IPV6_PATTERN = [
  `${H}(?::${H}){7}`,
  `::(?:${H}(?::${H}){0,6})?`,
  ...[1, 2, 3, 4, 5, 6, 7].map((left) => `${H}(?::${H}){${left - 1}}::${left === 7 ? '' : `(?:${H}(?::${H}){0,${6 - left}})?`}`),
].join('|');

/**
 * Email in printable ASCII only: JS `[^\s@]` admits any non-space character; this admits its ASCII
 * part (0x21-0x7E), so anything it accepts the JS rule accepts too. `{1,64}` counts UTF-16 units in
 * JS and bytes here, the same for ASCII.
 */
export const EMAIL_PATTERN = '[!-?A-~]{1,64}@[!-\\-/-?A-~]+(?:\\.[!-\\-/-?A-~]+)+';

/** Client fields whose values are text (ids, URLs, ...) or numbers, for the size bound below. */
const TEXT_FIELDS = Object.entries(EVENT_FIELDS).filter(([, spec]) => !spec.stamped && spec.type !== 'long' && spec.type !== 'map<string>').map(([name]) => name);
const FIELD_COUNT = Object.values(EVENT_FIELDS).filter((spec) => !spec.stamped).length;

/**
 * Unknown fields (extra_json) the JS rules would accept, conservatively:
 * - a JSON object DuckDB can read, with nothing DuckDB's reader admits and JSON.parse refuses
 *   (trailing commas, NaN, Infinity: any `,]`, `,}`, `nan`, `inf` in any case sends it to JS);
 * - an upper bound of the event's size as JSON.stringify writes it within MAX_EVENT_BYTES. The
 *   bound: every character of text or property at most 6 bytes (a \u escape), the unknown fields
 *   at most 6 times their text (a number can grow when re-serialised: 1e20 becomes 21 digits), and
 *   64 bytes of names, quotes and numbers per field and 8 per property.
 */
function unknownFieldsSql(): string {
  const text = [...TEXT_FIELDS.map((name) => `coalesce(strlen("${name}"), 0)`), 'coalesce(strlen(extra_json), 0)'].join(' + ');
  const properties =
    'coalesce(list_sum(list_transform(map_entries(properties), e -> strlen(e.key) + strlen(e.value) + 8)), 0)';
  return (
    optional(
      'extra_json',
      // A valid JSON text that starts with '{' is an object.
      `(json_valid(extra_json) AND starts_with(ltrim(extra_json, ' ' || chr(9) || chr(10) || chr(13)), '{')` +
        ` AND NOT regexp_matches(extra_json, ',[ \\t\\n\\r]*[\\]}]|[nN][aA][nN]|[iI][nN][fF]')` +
        ` AND 6 * (${text}) + ${properties} * 6 + ${64 * FIELD_COUNT} <= ${MAX_EVENT_BYTES})`,
    )
  );
}

/**
 * The conservative re-validation (module comment), over the columns of one Bronze record flattened:
 * the envelope's `received_time` as `envelope_received_time`, the event's fields by name. NULL-safe:
 * a missing value fails it (COALESCE to false), so odd records always reach the JS rules.
 */
export function fastValidSql(rules: LatenessRules): string {
  const { id, url, userAgent, propertiesKeys, propertyKey, propertyValue } = FIELD_LIMITS;
  const conditions = [
    unknownFieldsSql(),
    'received_time = envelope_received_time',
    '"partition" >= 0 AND "offset" >= 0',
    `strlen(event_id) BETWEEN 1 AND ${FIELD_LIMITS.eventId}`,
    `event_type IN (${list(EVENT_TYPES)})`,
    `event_time BETWEEN ${MIN_EVENT_TIME_MS} AND ${MAX_SAFE}`,
    `event_time - received_time <= ${rules.maxFutureMs}`,
    `strlen(user_id) BETWEEN 1 AND ${FIELD_LIMITS.userId}`,
    ...['session_id', 'campaign_id', 'ad_id', 'placement', 'title_id'].map((c) => optionalId(c, id)),
    `(event_type NOT IN (${list(AD_EVENT_TYPES)}) OR (campaign_id IS NOT NULL AND ad_id IS NOT NULL))`,
    `(event_type NOT IN (${list(VIDEO_EVENT_TYPES)}) OR title_id IS NOT NULL)`,
    optional('position_ms', `position_ms BETWEEN 0 AND ${MAX_SAFE}`),
    optionalText('page_url', url),
    optionalText('referrer', url),
    optionalText('user_agent', userAgent),
    optional('device_type', `device_type IN (${list(DEVICE_TYPES)})`),
    // Upper case only: a lower-case code is valid but JS stores it upper-cased, so JS decides it.
    optional('country', `regexp_full_match(country, '[A-Z]{2}')`),
    optional('ip', `CASE WHEN contains(ip, ':') THEN regexp_full_match(ip, ${quoteLiteral(IPV6_PATTERN)}) ELSE regexp_full_match(ip, ${quoteLiteral(IPV4_PATTERN)}) END`),
    optional('email', `(strlen(email) <= ${MAX_EMAIL_LENGTH} AND regexp_full_match(email, ${quoteLiteral(EMAIL_PATTERN)}))`),
    optional(
      'properties',
      `(cardinality(properties) <= ${propertiesKeys}` +
        ` AND coalesce(list_bool_and(list_transform(map_keys(properties), k -> strlen(k) BETWEEN 1 AND ${propertyKey})), true)` +
        ` AND coalesce(list_bool_and(list_transform(map_values(properties), v -> v IS NOT NULL AND strlen(v) <= ${propertyValue})), true))`,
    ),
  ];
  return `coalesce(${conditions.join('\n    AND ')}, false)`;
}

/** Whether a valid record was late on arrival: quarantined in Bronze, or by the current rules. */
export function lateSql(rules: LatenessRules, alias: string): string {
  return `(${alias}.quarantine_reason IS NOT NULL OR ${alias}.received_time - ${alias}.event_time > ${rules.allowedLatenessMs})`;
}

/** Receive order (core/silver.ts compareReceiveOrder) as ORDER BY columns of a relation `alias`. */
export function receiveOrderSql(alias: string): string {
  return ['received_time', '"partition"', '"offset"', 'topic'].map((column) => `${alias}.${column}`).join(', ');
}

/** HMAC-SHA256 pads of a key, hex (RFC 2104): HMAC(k, m) = sha256(opad || sha256(ipad || m)). */
export function hmacPads(key: string): { ipad: string; opad: string } {
  const bytes = Buffer.from(key, 'utf8');
  const block = Buffer.alloc(64);
  (bytes.length > 64 ? createHash('sha256').update(bytes).digest() : bytes).copy(block);
  return { ipad: Buffer.from(block.map((b) => b ^ 0x36)).toString('hex'), opad: Buffer.from(block.map((b) => b ^ 0x5c)).toString('hex') };
}

/** core/silver.ts userKey in SQL over a VARCHAR column, given the key's pads. */
export function userKeySql(column: string, pads: { ipad: string; opad: string }): string {
  return `sha256(unhex('${pads.opad}') || unhex(sha256(unhex('${pads.ipad}') || encode(${column}))))`;
}

/** core/silver.ts derivedSessionId in SQL. */
export function derivedSessionIdSql(userKeyColumn: string, startColumn: string): string {
  return `${quoteLiteral(DERIVED_SESSION_PREFIX)} || left(sha256(${userKeyColumn} || chr(10) || CAST(${startColumn} AS VARCHAR)), 32)`;
}

/**
 * Derived sessions (core/silver.ts sessionize) over `source` (a relation of the hour's Silver rows:
 * rn, user_key, event_time, session_id) and `prior` (user_key, last_ms, session_id, start_ms). The
 * prior cursor of a user is a point before the hour's events that already carries its session. Both
 * windows use one total order per user (time, the prior point first, rn), so ties cannot split a
 * session. Creates `session_points` (rn, user_key, g: the rows without a client session and the
 * session they are in) and `session_spans` (user_key, g, last_ms, start_ms, session_id, is_last: the
 * end cursor).
 */
export function sessionsSql(source: string, gapMs: number = SESSION_GAP_MS): string[] {
  return [
    `CREATE TEMP TABLE session_points AS
WITH points AS (
  SELECT user_key, last_ms AS t, session_id AS prior_id, start_ms AS prior_start, NULL::BIGINT AS rn, 0 AS is_event FROM prior
  UNION ALL
  SELECT user_key, event_time, NULL, NULL, rn, 1 FROM ${source} WHERE session_id IS NULL
), starts AS (
  SELECT *, CASE WHEN t - lag(t) OVER w < ${gapMs} THEN 0 ELSE 1 END AS starts
  FROM points WINDOW w AS (PARTITION BY user_key ORDER BY t, is_event, rn)
)
SELECT *, sum(starts) OVER (PARTITION BY user_key ORDER BY t, is_event, rn ROWS UNBOUNDED PRECEDING) AS g FROM starts`,
    `CREATE TEMP TABLE session_spans AS
WITH spans AS (
  SELECT user_key, g, max(t) AS last_ms,
    coalesce(any_value(prior_start) FILTER (WHERE is_event = 0), min(t)) AS start_ms,
    any_value(prior_id) FILTER (WHERE is_event = 0) AS prior_id
  FROM session_points GROUP BY user_key, g
)
SELECT user_key, g, last_ms, start_ms, coalesce(prior_id, ${derivedSessionIdSql('user_key', 'start_ms')}) AS session_id,
  g = max(g) OVER (PARTITION BY user_key) AS is_last
FROM spans`,
  ];
}

/**
 * The records Silver keeps, as SQL over the `bronze` table (alias b), the JS `verdicts` (alias v) and
 * the `erased_rows` of erased users (alias er, core/erasure.ts): `statements` create the duplicate
 * tables; `from` and `where` then select the kept records. An erased record is as if never received:
 * it takes no part in deduplication. Deduplication: most event_ids have one copy, so only the ids with
 * several counted copies (valid, not erased) are looked at closely, and there the first received wins.
 */
export interface KeptRelation {
  readonly statements: readonly string[];
  /** Valid (the fast check passed, or JS accepted it). */
  readonly isValid: string;
  /** Valid and not erased: what deduplication, lateness and Silver see. */
  readonly counted: string;
  /** Late beyond the allowed lateness (quarantined). */
  readonly late: string;
  /** A relation over bronze b, verdicts v, erased rows er and the duplicate copies dc (not a table). */
  readonly from: string;
  /** Counted, not a losing copy, not late. */
  readonly where: string;
}

/**
 * `erasures`: whether the erasure list names anyone; without, the relation has no `erased_rows` join
 * and costs what it did before erasure existed (the list is empty almost always).
 * `lostIds`: a shard of a sharded hour (core/shardMerge.ts) with a table `lost_ids` (event_id) of the
 * ids whose first received copy is in another shard: every counted copy of them loses. Without, the
 * statements are the unsharded ones, unchanged.
 */
export function keptRelationSql(rules: LatenessRules, erasures = true, lostIds = false): KeptRelation {
  const late = `CASE WHEN b.fast THEN ${lateSql(rules, 'b')} ELSE v.late END`;
  const judged = `bronze b LEFT JOIN verdicts v ON v.rn = b.rn${erasures ? ' LEFT JOIN erased_rows er ON er.rn = b.rn' : ''}`;
  const isValid = '(b.fast OR v.rn IS NOT NULL)';
  const counted = erasures ? `${isValid} AND er.rn IS NULL` : isValid;
  return {
    statements: [
      `CREATE TEMP TABLE dup_ids AS SELECT b.event_id FROM ${judged} WHERE ${counted} GROUP BY b.event_id HAVING count(*) > 1${lostIds ? ' UNION SELECT event_id FROM lost_ids' : ''}`,
      `CREATE TEMP TABLE dup_copies AS SELECT b.rn, row_number() OVER (PARTITION BY b.event_id ORDER BY ${receiveOrderSql('b')}) = 1${lostIds ? ' AND b.event_id NOT IN (SELECT event_id FROM lost_ids)' : ''} AS wins ` +
        `FROM ${judged} SEMI JOIN dup_ids d ON d.event_id = b.event_id WHERE ${counted}`,
    ],
    isValid,
    counted,
    late,
    from: `${judged} LEFT JOIN dup_copies dc ON dc.rn = b.rn`,
    where: `${counted} AND coalesce(dc.wins, true) AND NOT ${late}`,
  };
}

/**
 * The rows of `bronze` (by rn) of erased users: joined to their user_key (table `users`) and the
 * erased users with the instant up to which their events go (`erased_users`: user_key, until_ms).
 */
export function erasedRowsSql(): string {
  return 'CREATE TEMP TABLE erased_rows AS SELECT b.rn FROM bronze b JOIN users u ON u.user_id = b.user_id JOIN erased_users e ON e.user_key = u.user_key WHERE b.event_time <= e.until_ms';
}

/** One row: records of the hour, valid ones, erased valid ones, losing copies among the counted, and late winners. */
export function keptLedgerSql(kept: KeptRelation): string {
  return (
    `SELECT count(*), count(*) FILTER (WHERE ${kept.isValid}), count(*) FILTER (WHERE ${kept.isValid} AND NOT (${kept.counted})), ` +
    `count(*) FILTER (WHERE ${kept.counted} AND NOT coalesce(dc.wins, true)), ` +
    `count(*) FILTER (WHERE ${kept.counted} AND coalesce(dc.wins, true) AND ${kept.late}) FROM ${kept.from}`
  );
}
