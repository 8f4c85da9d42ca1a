/**
 * The Spark peer's Bronze -> Silver as Spark SQL text, built from the same constants as core/event.ts
 * and core/silver.ts (limits, type lists, lateness, session gap, derived-session prefix), handed to
 * the Java job (bench/peers/spark/) as a file. Unlike core/silverSql.ts fastValidSql, which may be
 * stricter than the rules and sends what it cannot vouch for to JS, Spark has no JS to fall back on:
 * these are the rules of core/event.ts validateEvent (through core/silver.ts revalidate) themselves.
 *
 * Rule by rule (JS -> Spark SQL):
 * - character limits count code points (codePointLength) -> char_length, which counts code points;
 * - JS regexes `^...$` (no m flag: `$` is the very end) -> Java regexes `^...\z` (Java's `$` also
 *   matches before a final newline); `\d` -> [0-9]; JS `\s` -> its exact set of 25 code points;
 * - email: `{1,64}` and `.length <= 254` count UTF-16 units in JS -> the UTF-16BE byte length / 2;
 * - isIPv6 (groups, one `::`, an IPv4 tail counting two groups) -> one regex enumerating the forms;
 * - extra_json must be a JSON object (clientInputOf) -> json_object_keys is not NULL;
 * - the 32 KiB event size, checked only when there is an unknown field -> the byte length of to_json
 *   of the set client fields plus that of extra_json minus one (the two objects merged).
 * Not exactly the JS rule (none of it occurs in Bronze the collector writes, nor in the bench input):
 * json_object_keys does not look past the object's closing brace (`{} x` passes where JSON.parse
 * throws), and the event size counts extra_json's whole text, also its keys that are client field
 * names (which clientInputOf drops), and assumes its text is as JSON.stringify writes it (it is:
 * canonicalJson). Bronze fields of the wrong JSON type (a string event_time, a number in a map) read as
 * NULL in Spark where parseBronzeRecord fails the hour.
 */
import { ALLOWED_LATENESS_MS, FIELD_LIMITS, MAX_EVENT_BYTES, MAX_FUTURE_MS, MIN_EVENT_TIME_MS } from '../../core/event';
import { MAX_EMAIL_LENGTH } from '../../core/addresses';
import { HOUR_MS } from '../../core/time';
import { DERIVED_SESSION_PREFIX, SESSION_GAP_MS, SILVER_COLUMNS, type LatenessRules } from '../../core/silver';
import { IPV4_PATTERN } from '../../core/silverSql';
import { AD_EVENT_TYPES, CLIENT_FIELD_NAMES, DEVICE_TYPES, EVENT_FIELDS, EVENT_TYPES, VIDEO_EVENT_TYPES, type AvroFieldType } from '../../schemas/eventRecord';

const SPARK_TYPE: Readonly<Record<AvroFieldType, string>> = {
  string: 'STRING',
  long: 'BIGINT',
  'enum:EventType': 'STRING',
  'enum:DeviceType': 'STRING',
  'map<string>': 'MAP<STRING, STRING>',
};

/** The DDL schema of a Bronze NDJSON line (core/bronze.ts formatBronzeLine) for spark.read.schema. */
export function bronzeSchemaDdl(): string {
  const event = Object.entries(EVENT_FIELDS).map(([name, spec]) => `\`${name}\`: ${SPARK_TYPE[spec.type]}`);
  return `topic STRING, \`partition\` BIGINT, \`offset\` BIGINT, kafka_timestamp_ms BIGINT, schema_id BIGINT, received_time BIGINT, event STRUCT<${event.join(', ')}>`;
}

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** A raw literal (Spark 3.5+): backslashes reach the regex engine as written; no pattern here has a quote. */
const raw = (pattern: string): string => {
  if (pattern.includes("'")) throw new Error(`pattern with a quote: ${pattern}`);
  return `r'${pattern}'`;
};
const list = (values: readonly string[]): string => values.map(quote).join(', ');
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const G = '[0-9A-Fa-f]{1,4}';
/**
 * core/addresses.ts isIPv6 as one regex: eight groups; six and an IPv4 tail; or one `::` with L groups
 * on its left and, on its right, groups and perhaps a tail, L + right (a tail counting two) at most 7.
 */
export function ipv6Pattern(): string {
  const forms = [`${G}(?::${G}){7}`, `${G}(?::${G}){5}:${IPV4_PATTERN}`];
  for (let left = 0; left <= 7; left++) {
    const room = 7 - left;
    const head = left === 0 ? '' : `${G}(?::${G}){${left - 1}}`;
    const rights = [];
    if (room >= 2) rights.push(`(?:${G}:){0,${room - 2}}${IPV4_PATTERN}`);
    if (room >= 1) rights.push(`(?:${G}(?::${G}){0,${room - 1}})?`);
    forms.push(rights.length === 0 ? `${head}::` : `${head}::(?:${rights.join('|')})`);
  }
  return forms.map((form) => `(?:${form})`).join('|');
}

/** JavaScript's `\s` (WhiteSpace and LineTerminator), as a Java character-class body. */
const JS_SPACE = '\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
/** core/addresses.ts EMAIL without its `{1,64}` (checked in UTF-16 units beside it). */
const EMAIL_PATTERN = `^[^${JS_SPACE}@]+@[^${JS_SPACE}@.]+(?:\\.[^${JS_SPACE}@.]+)+\\z`;

const utf16Length = (column: string): string => `(octet_length(encode(${column}, 'UTF-16BE')) DIV 2)`;
const optional = (column: string, check: string): string => `(${column} IS NULL OR (${check}))`;
const id = (column: string, max: number): string => `char_length(${column}) BETWEEN 1 AND ${max}`;

/** Client fields of the event (not stamped by the collector): what clientInputOf rebuilds. */
const CLIENT_FIELDS = Object.entries(EVENT_FIELDS)
  .filter(([name]) => CLIENT_FIELD_NAMES.has(name))
  .map(([name]) => name);

/** Unknown fields: extra_json a JSON object, and when a key is not a client field the event's JSON within MAX_EVENT_BYTES. */
function extraJsonSql(): string {
  const ownJson = `to_json(named_struct(${CLIENT_FIELDS.map((name) => `'${name}', \`${name}\``).join(', ')}))`;
  const unknownKey = `exists(json_object_keys(extra_json), k -> NOT array_contains(array(${list(CLIENT_FIELDS)}), k))`;
  return optional(
    'extra_json',
    `json_object_keys(extra_json) IS NOT NULL AND (NOT ${unknownKey} OR octet_length(${ownJson}) + octet_length(extra_json) - 1 <= ${MAX_EVENT_BYTES})`,
  );
}

/** validateEvent over the flattened columns of a Bronze record (envelope received_time as envelope_received_time). */
export function validSparkSql(rules: LatenessRules): string {
  const { id: idMax, url, userAgent, propertiesKeys, propertyKey, propertyValue } = FIELD_LIMITS;
  const conditions = [
    extraJsonSql(),
    `event_id IS NOT NULL AND ${id('event_id', FIELD_LIMITS.eventId)}`,
    `event_type IN (${list(EVENT_TYPES)})`,
    `event_time BETWEEN ${MIN_EVENT_TIME_MS} AND ${MAX_SAFE}`,
    `event_time - envelope_received_time <= ${rules.maxFutureMs}`,
    `user_id IS NOT NULL AND ${id('user_id', FIELD_LIMITS.userId)}`,
    ...['session_id', 'campaign_id', 'ad_id', 'placement', 'title_id'].map((c) => optional(c, id(c, idMax))),
    `(event_type NOT IN (${list(AD_EVENT_TYPES)}) OR (campaign_id IS NOT NULL AND ad_id IS NOT NULL))`,
    `(event_type NOT IN (${list(VIDEO_EVENT_TYPES)}) OR title_id IS NOT NULL)`,
    optional('position_ms', `position_ms BETWEEN 0 AND ${MAX_SAFE}`),
    optional('page_url', `char_length(page_url) <= ${url}`),
    optional('referrer', `char_length(referrer) <= ${url}`),
    optional('user_agent', `char_length(user_agent) <= ${userAgent}`),
    optional('device_type', `device_type IN (${list(DEVICE_TYPES)})`),
    optional('country', `country RLIKE ${raw('^[A-Za-z]{2}\\z')}`),
    optional('ip', `ip RLIKE ${raw(`^(?:${IPV4_PATTERN})\\z`)} OR (char_length(ip) <= 45 AND ip RLIKE ${raw(`^(?:${ipv6Pattern()})\\z`)})`),
    optional(
      'email',
      `${utf16Length('email')} <= ${MAX_EMAIL_LENGTH} AND email RLIKE ${raw(EMAIL_PATTERN)} AND ${utf16Length("substring_index(email, '@', 1)")} <= 64`,
    ),
    optional(
      'properties',
      `size(properties) <= ${propertiesKeys} AND forall(map_keys(properties), k -> char_length(k) BETWEEN 1 AND ${propertyKey}) ` +
        `AND forall(map_values(properties), v -> v IS NOT NULL AND char_length(v) <= ${propertyValue})`,
    ),
  ];
  return `coalesce(${conditions.map((c) => `(${c})`).join('\n    AND ')}, false)`;
}

export interface SilverSparkOptions {
  /** Start of the event hour, epoch ms. */
  readonly startMs: number;
  readonly rules?: LatenessRules;
  readonly gapMs?: number;
}

/**
 * The hour's Silver rows as one Spark SQL query over the view `bronze` (read with bronzeSchemaDdl)
 * and the UDF `user_key` (HMAC-SHA256 hex of a user_id, the Java job registers it). The steps of
 * core/silver.ts classifyHour, toSilverRow and sessionize: the hour's records, valid or not, late or
 * not; among the valid ones the first received of each event_id (a window in receive order); the
 * winners that are not late; user_key; derived sessions for the rows without a client session
 * (windows per user and `unsessioned`, a column rather than an expression so that one shuffle serves
 * all three session windows).
 */
export function silverSparkSql(options: SilverSparkOptions): string {
  const rules = options.rules ?? { allowedLatenessMs: ALLOWED_LATENESS_MS, maxFutureMs: MAX_FUTURE_MS };
  const gapMs = options.gapMs ?? SESSION_GAP_MS;
  const eventFields = Object.keys(EVENT_FIELDS).filter((name) => name !== 'received_time');
  const silver = SILVER_COLUMNS.filter((c) => c !== 'dt' && c !== 'hr').map((c) => {
    switch (c) {
      case 'session_id':
        return `coalesce(session_id, ${quote(DERIVED_SESSION_PREFIX)} || left(sha2(user_key || char(10) || CAST(session_start AS STRING), 256), 32)) AS session_id`;
      case 'country':
        return 'upper(country) AS country';
      case 'received_time':
        return 'envelope_received_time AS received_time';
      default:
        return `\`${c}\``;
    }
  });
  return `WITH records AS (
  SELECT topic, \`partition\`, \`offset\`, received_time AS envelope_received_time, ${eventFields.map((name) => `event.\`${name}\``).join(', ')}
  FROM bronze WHERE event.event_time >= ${options.startMs} AND event.event_time < ${options.startMs + HOUR_MS}
), judged AS (
  SELECT *, ${validSparkSql(rules)} AS valid FROM records
), ranked AS (
  SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY envelope_received_time, \`partition\`, \`offset\`, topic) AS copy
  FROM judged WHERE valid
), kept AS (
  SELECT *, user_key(user_id) AS user_key, session_id IS NULL AS unsessioned FROM ranked
  WHERE copy = 1 AND NOT (quarantine_reason IS NOT NULL OR envelope_received_time - event_time > ${rules.allowedLatenessMs})
), starts AS (
  SELECT *, CASE WHEN unsessioned AND event_time - lag(event_time) OVER w < ${gapMs} THEN 0 ELSE 1 END AS starts
  FROM kept WINDOW w AS (PARTITION BY user_key, unsessioned ORDER BY event_time, event_id)
), sessions AS (
  SELECT *, sum(starts) OVER (PARTITION BY user_key, unsessioned ORDER BY event_time, event_id ROWS UNBOUNDED PRECEDING) AS g FROM starts
), spans AS (
  SELECT *, CASE WHEN unsessioned THEN min(event_time) OVER (PARTITION BY user_key, unsessioned, g) END AS session_start FROM sessions
)
SELECT ${silver.join(', ')} FROM spans`;
}
