import type { schema } from 'avsc';
import {
  DEVICE_TYPES,
  EVENT_FIELDS,
  EVENT_SCHEMA_NAME,
  EVENT_TYPES,
  eventAvroType,
  loadEventSchema,
  type AvroFieldType,
  type EventRecord,
} from '../../schemas/event';
import { eventRecord } from './eventFixtures';

type FieldSchema = schema.RecordType['fields'][number]['type'];

/** The Avro type of a field in this module's vocabulary, plus whether it is a union with null. */
function avroTypeOf(type: FieldSchema): { type: AvroFieldType; optional: boolean } {
  if (Array.isArray(type)) {
    const [first, second, ...rest] = type;
    if (first !== 'null' || second === undefined || rest.length > 0) throw new Error(`unexpected union ${JSON.stringify(type)}`);
    return { type: avroTypeOf(second).type, optional: true };
  }
  if (type === 'string' || type === 'long') return { type, optional: false };
  if (typeof type === 'object' && type !== null && 'type' in type) {
    const t = type as { type: string; name?: string; values?: unknown };
    if (t.type === 'long') return { type: 'long', optional: false };
    if (t.type === 'enum') return { type: `enum:${t.name}` as AvroFieldType, optional: false };
    if (t.type === 'map' && t.values === 'string') return { type: 'map<string>', optional: false };
  }
  throw new Error(`unexpected type ${JSON.stringify(type)}`);
}

function enumSymbols(name: string): string[] {
  for (const field of loadEventSchema().fields) {
    const branches = Array.isArray(field.type) ? field.type : [field.type];
    for (const branch of branches) {
      if (typeof branch === 'object' && branch !== null && 'symbols' in branch && branch.name === name) return branch.symbols;
    }
  }
  throw new Error(`enum ${name} not found`);
}

const FULL: EventRecord = {
  event_id: 'e-1',
  event_type: 'video_seek',
  event_time: 1_795_326_060_123,
  user_id: 'u1',
  session_id: 's1',
  campaign_id: 'c1',
  ad_id: 'c1-ad1',
  placement: 'preroll',
  title_id: 't1',
  position_ms: 61_000,
  page_url: 'https://watch.example.com/watch/1',
  referrer: '',
  device_type: 'tv',
  country: 'DE',
  user_agent: 'ClicklakeTV/1.9',
  ip: '2001:db8::1',
  email: 'u1@example.com',
  properties: { app_version: '3.1.0', experiment: 'b' },
  received_time: 1_795_326_061_000,
  quarantine_reason: null,
  extra_json: '{"sdk":{"name":"clicklake-js"}}',
};

const MINIMAL: EventRecord = eventRecord({
  event_id: 'e-2',
  event_type: 'heartbeat',
  event_time: 946_684_800_000,
  user_id: 'u2',
  received_time: 946_684_800_001,
  quarantine_reason: 'event_time: older than the allowed lateness',
});

describe('event schema v1', () => {
  const parsed = loadEventSchema();

  it('is the record dev.clicklake.Event', () => {
    expect(`${parsed.namespace}.${parsed.name}`).toBe(EVENT_SCHEMA_NAME);
  });

  it('has exactly the fields of EventRecord, in order, with the same types and optionality', () => {
    const fromSchema = Object.fromEntries(parsed.fields.map((field) => [field.name, avroTypeOf(field.type)]));
    const fromTypes = Object.fromEntries(Object.entries(EVENT_FIELDS).map(([name, spec]) => [name, { type: spec.type, optional: spec.optional }]));
    expect(fromSchema).toEqual(fromTypes);
    expect(parsed.fields.map((field) => field.name)).toEqual(Object.keys(EVENT_FIELDS));
  });

  it('gives every optional field the default null, and no required one a default', () => {
    const defaults = parsed.fields.map((field) => [field.name, 'default' in field ? field.default : 'none']);
    expect(defaults).toEqual(Object.entries(EVENT_FIELDS).map(([name, spec]) => [name, spec.optional ? null : 'none']));
  });

  it('has the enum symbols of EVENT_TYPES and DEVICE_TYPES', () => {
    expect(enumSymbols('EventType')).toEqual([...EVENT_TYPES]);
    expect(enumSymbols('DeviceType')).toEqual([...DEVICE_TYPES]);
  });

  it.each([
    ['full', FULL],
    ['minimal', MINIMAL],
  ])('round-trips a %s record, times as numbers', (_name, record) => {
    const type = eventAvroType();
    const decoded: unknown = type.fromBuffer(type.toBuffer(record));
    expect(decoded).toEqual(record);
    expect(typeof (decoded as EventRecord).event_time).toBe('number');
  });

  it('refuses a record that breaks the schema', () => {
    const type = eventAvroType();
    expect(type.isValid({ ...MINIMAL, event_type: 'ad_hover' })).toBe(false);
    expect(type.isValid({ ...MINIMAL, event_time: new Date(0) })).toBe(false);
    expect(type.isValid({ ...MINIMAL, properties: { n: 1 } })).toBe(false);
  });

  it('reads a device type unknown to it as other (enum default)', async () => {
    const { Type } = await import('avsc');
    const newer = Type.forSchema({ type: 'enum', name: 'dev.clicklake.DeviceType', symbols: ['web', 'ios', 'android', 'tv', 'stb', 'other', 'car'] });
    const older = Type.forSchema({ type: 'enum', name: 'dev.clicklake.DeviceType', symbols: [...DEVICE_TYPES], default: 'other' });
    expect(older.fromBuffer(newer.toBuffer('car'), older.createResolver(newer))).toBe('other');
  });
});
