import type { BronzeRecord } from '../../core/bronze';
import type { EventRecord } from '../../schemas/eventRecord';
import { eventRecord } from './eventFixtures';

export const TOPIC = 'clicklake.events';
export const H5 = Date.UTC(2026, 10, 22, 5); // 2026-11-22T05
export const MIN = 60_000;

/** A valid page_view of user u1 at `time`, received a minute later; `fields` on top. */
export function pageView(event_id: string, time: number, fields: Partial<EventRecord> = {}): EventRecord {
  return eventRecord({ event_id, event_type: 'page_view', event_time: time, user_id: 'u1', received_time: time + MIN, ...fields });
}

/** The Bronze record of an event at a partition and offset; received when the event says. */
export function bronzeRecord(event: EventRecord, partition: number, offset: number, changes: Partial<BronzeRecord> = {}): BronzeRecord {
  return { topic: TOPIC, partition, offset, kafka_timestamp_ms: event.received_time, schema_id: 1, received_time: event.received_time, event, ...changes };
}
