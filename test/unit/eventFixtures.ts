import type { EventRecord } from '../../schemas/eventRecord';

/** An EventRecord with every optional field null, then `fields` on top. */
export function eventRecord(fields: Pick<EventRecord, 'event_id' | 'event_type' | 'event_time' | 'user_id' | 'received_time'> & Partial<EventRecord>): EventRecord {
  return {
    session_id: null,
    campaign_id: null,
    ad_id: null,
    placement: null,
    title_id: null,
    position_ms: null,
    page_url: null,
    referrer: null,
    device_type: null,
    country: null,
    user_agent: null,
    ip: null,
    email: null,
    properties: null,
    quarantine_reason: null,
    extra_json: null,
    ...fields,
  };
}
