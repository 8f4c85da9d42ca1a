/**
 * Gold rows of Silver rows (CONTRACT §3): `ctr_hourly` of an event hour, and `campaign_daily`,
 * `dau_daily`, `title_plays_daily` of a day. The arithmetic is computeGoldTables of core/truth.ts, the
 * executable statement of what Gold must contain, so promotion and the ground truth cannot disagree.
 * Silver rows are already counted (deduplicated, on time, valid) and carry user_key where the truth
 * has user_id: distinct users are counted by user_key, which is one-to-one with user_id under a key.
 */
import type { EventRecord } from '../schemas/eventRecord';
import { BadInputError } from './errors';
import type { SilverRow } from './silver';
import { hourOf, parseDay, parseHourKey } from './time';
import { computeGoldTables, type CampaignDailyRow, type CtrHourlyRow, type DauDailyRow, type GoldTables, type TitlePlaysDailyRow } from './truth';

/** What Gold reads of a Silver row. */
export type GoldInput = Pick<SilverRow, 'event_id' | 'event_type' | 'event_time' | 'received_time' | 'user_key' | 'campaign_id' | 'title_id' | 'device_type'>;

/** A Silver row in the shape computeGoldTables counts; its user_id slot holds the user_key. */
function asCounted(row: GoldInput): EventRecord {
  return {
    event_id: row.event_id,
    event_type: row.event_type,
    event_time: row.event_time,
    user_id: row.user_key,
    session_id: null,
    campaign_id: row.campaign_id,
    ad_id: null,
    placement: null,
    title_id: row.title_id,
    position_ms: null,
    page_url: null,
    referrer: null,
    device_type: row.device_type,
    country: null,
    user_agent: null,
    ip: null,
    email: null,
    properties: null,
    received_time: row.received_time,
    quarantine_reason: null,
    extra_json: null,
  };
}

/** All four Gold tables of Silver rows, whatever hours and days they span. */
export function goldTables(rows: readonly GoldInput[]): GoldTables {
  return computeGoldTables(rows.map(asCounted));
}

/** `ctr_hourly` of one event hour; BadInputError if a row is of another hour (the wrong partition was read). */
export function goldHour(rows: readonly GoldInput[], hour: string): CtrHourlyRow[] {
  const { key, dt, hr } = parseHourKey(hour);
  const stray = rows.find((row) => {
    const partition = hourOf(row.event_time);
    return partition.dt !== dt || partition.hr !== hr;
  });
  if (stray !== undefined) throw new BadInputError(`gold hour ${key}: event ${stray.event_id} is of another hour`);
  return goldTables(rows).ctr_hourly;
}

export interface GoldDay {
  readonly campaign_daily: CampaignDailyRow[];
  readonly dau_daily: DauDailyRow[];
  readonly title_plays_daily: TitlePlaysDailyRow[];
}

/** The daily tables of one day from all its Silver rows; BadInputError if a row is of another day. */
export function goldDay(rows: readonly GoldInput[], dt: string): GoldDay {
  parseDay(dt);
  const stray = rows.find((row) => hourOf(row.event_time).dt !== dt);
  if (stray !== undefined) throw new BadInputError(`gold day ${dt}: event ${stray.event_id} is of another day`);
  const { campaign_daily, dau_daily, title_plays_daily } = goldTables(rows);
  return { campaign_daily, dau_daily, title_plays_daily };
}
