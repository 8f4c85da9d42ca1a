/**
 * TypeScript side of `event-v1.avsc`: the record type and the runtime lists it is built from.
 * Pure (no fs, no avsc), so core/ and workflows can import it; the Avro loader lives in ./event.ts.
 * `EVENT_FIELDS` is tied to `EventRecord` by the compiler, and test/unit/eventSchema.test.ts ties it
 * to the .avsc file, so the three cannot drift apart.
 */

export const EVENT_TYPES = ['ad_impression', 'ad_click', 'page_view', 'video_play', 'video_pause', 'video_seek', 'heartbeat'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const DEVICE_TYPES = ['web', 'ios', 'android', 'tv', 'stb', 'other'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** Types whose events must name the campaign and the ad. */
export const AD_EVENT_TYPES: readonly EventType[] = ['ad_impression', 'ad_click'];
/** Types whose events must name the title (`video_*`). */
export const VIDEO_EVENT_TYPES: readonly EventType[] = ['video_play', 'video_pause', 'video_seek'];

/**
 * One accepted event, exactly as Avro encodes it (field order of the schema). Absent optional fields
 * are `null`, never `undefined`, because that is what avsc reads back. Times are epoch milliseconds.
 */
export interface EventRecord {
  readonly event_id: string;
  readonly event_type: EventType;
  readonly event_time: number;
  readonly user_id: string;
  readonly session_id: string | null;
  readonly campaign_id: string | null;
  readonly ad_id: string | null;
  readonly placement: string | null;
  readonly title_id: string | null;
  readonly position_ms: number | null;
  readonly page_url: string | null;
  readonly referrer: string | null;
  readonly device_type: DeviceType | null;
  readonly country: string | null;
  readonly user_agent: string | null;
  readonly ip: string | null;
  readonly email: string | null;
  readonly properties: Readonly<Record<string, string>> | null;
  readonly received_time: number;
  readonly quarantine_reason: string | null;
  readonly extra_json: string | null;
}

/** The Avro type of a field as this module names it; `enum:X` is the named enum X. */
export type AvroFieldType = 'string' | 'long' | 'enum:EventType' | 'enum:DeviceType' | 'map<string>';

type AvroTypeOf<V> = [V] extends [EventType]
  ? 'enum:EventType'
  : [V] extends [DeviceType]
    ? 'enum:DeviceType'
    : [V] extends [string]
      ? 'string'
      : [V] extends [number]
        ? 'long'
        : [V] extends [Readonly<Record<string, string>>]
          ? 'map<string>'
          : never;

export interface FieldSpec<V> {
  readonly type: AvroTypeOf<NonNullable<V>>;
  /** Union with null, default null. */
  readonly optional: null extends V ? true : false;
  /** Stamped by the collector; a client sending this name sends an unknown field. */
  readonly stamped: boolean;
}

/**
 * Every field of `EventRecord`, in schema order. `satisfies` makes a field added to (or removed from)
 * the interface, or a changed type or optionality, a compile error here.
 */
export const EVENT_FIELDS = {
  event_id: { type: 'string', optional: false, stamped: false },
  event_type: { type: 'enum:EventType', optional: false, stamped: false },
  event_time: { type: 'long', optional: false, stamped: false },
  user_id: { type: 'string', optional: false, stamped: false },
  session_id: { type: 'string', optional: true, stamped: false },
  campaign_id: { type: 'string', optional: true, stamped: false },
  ad_id: { type: 'string', optional: true, stamped: false },
  placement: { type: 'string', optional: true, stamped: false },
  title_id: { type: 'string', optional: true, stamped: false },
  position_ms: { type: 'long', optional: true, stamped: false },
  page_url: { type: 'string', optional: true, stamped: false },
  referrer: { type: 'string', optional: true, stamped: false },
  device_type: { type: 'enum:DeviceType', optional: true, stamped: false },
  country: { type: 'string', optional: true, stamped: false },
  user_agent: { type: 'string', optional: true, stamped: false },
  ip: { type: 'string', optional: true, stamped: false },
  email: { type: 'string', optional: true, stamped: false },
  properties: { type: 'map<string>', optional: true, stamped: false },
  received_time: { type: 'long', optional: false, stamped: true },
  quarantine_reason: { type: 'string', optional: true, stamped: true },
  extra_json: { type: 'string', optional: true, stamped: true },
} as const satisfies { readonly [K in keyof EventRecord]-?: FieldSpec<EventRecord[K]> };

export type EventField = keyof typeof EVENT_FIELDS;

/** Field names in schema order. */
export const EVENT_FIELD_NAMES = Object.keys(EVENT_FIELDS) as EventField[];

/** Top-level names a client may send (CONTRACT §1); any other name is an unknown field. */
export const CLIENT_FIELD_NAMES: ReadonlySet<string> = new Set(EVENT_FIELD_NAMES.filter((name) => !EVENT_FIELDS[name].stamped));
