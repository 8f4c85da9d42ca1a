/**
 * The event schema, version 1: its record types (re-exported from ./eventRecord) and its Avro form.
 * This module reads `event-v1.avsc` and builds an avsc Type, so it is for activities, workers and
 * infra (schema registration); core/ and workflows import ./eventRecord instead.
 *
 * Times: the schema annotates event_time and received_time as `timestamp-millis`, so the registry and
 * other readers know they are instants, but no logical-type implementation is registered with avsc:
 * they encode and decode as plain longs, i.e. JS numbers of epoch milliseconds, the same numbers the
 * validator produces and the hour math takes. No Date objects cross a module boundary.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Type, type schema } from 'avsc';

export * from './eventRecord';

export const EVENT_SCHEMA_FILE = 'event-v1.avsc';
/** Fully qualified record name, the basis of the registry subject's record name strategy. */
export const EVENT_SCHEMA_NAME = 'dev.clicklake.Event';

/** The .avsc is not copied by tsc: from dist/schemas, look in the source tree's schemas/ as well. */
function schemaPath(): string {
  const candidates = [path.join(__dirname, EVENT_SCHEMA_FILE), path.join(__dirname, '..', '..', 'schemas', EVENT_SCHEMA_FILE)];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (found === undefined) throw new Error(`${EVENT_SCHEMA_FILE} not found; looked in ${candidates.join(', ')}`);
  return found;
}

const schemaText = fs.readFileSync(schemaPath(), 'utf8');

/** The parsed schema JSON (a fresh copy, so callers may not alter the shared one). */
export function loadEventSchema(): schema.RecordType {
  return JSON.parse(schemaText) as schema.RecordType;
}

/** The schema's canonical text, what the schema registry stores. */
export function eventSchemaText(): string {
  return schemaText;
}

let cachedType: Type | undefined;

/**
 * The avsc Type of an `EventRecord`. Unions of null and one type are unwrapped (a value or null,
 * never `{string: "..."}`); timestamps stay numbers (see the module comment).
 */
export function eventAvroType(): Type {
  cachedType ??= Type.forSchema(loadEventSchema(), { wrapUnions: 'auto' });
  return cachedType;
}
