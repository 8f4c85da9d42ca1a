/**
 * The traffic model behind `clicklake generate`: synthetic client events with known intent, so a run
 * can be checked against its ground truth. Pure and deterministic: a seeded PRNG, the send time as an
 * argument, no I/O. Sending, retries and progress belong to the caller.
 *
 * The model: campaigns with Zipf-skewed popularity and a CTR drawn between 0.5% and 5% (a click follows
 * its impression a few seconds later with that probability); users with one to three devices, a home
 * country and a session per device that ends after 30 minutes of silence; titles with Zipf-skewed
 * popularity. On top of that, fractions of the stream are late (hours, still counted), too late (older
 * than the allowed lateness: quarantined), duplicates (an earlier event re-sent verbatim) or malformed
 * (one contract rule broken). Fractions are of the dice rolls; clicks follow their impression without
 * a roll, so realised shares are close to, not exactly, the options.
 *
 * Event ids embed the seed: two runs with the same seed send the same ids and the second counts for
 * nothing, so a new run wants a new seed.
 *
 * Each campaign belongs to an advertiser: campaigns are dealt out CAMPAIGNS_PER_ADVERTISER at a time in
 * id order (`c00001`-`c00003` to `a0001`, ...), under the run's id scope, and named from the two; the
 * seed plays no part, so every run of a scope and campaign count describes the same campaigns
 * (campaignCatalog, the rows of lake.gold.dim_campaign).
 */
import { BadInputError } from './errors';
import { createRng, createZipf, type Rng } from './random';
import { HOUR_MS, MINUTE_MS, formatRfc3339 } from './time';
import { ALLOWED_LATENESS_MS, FIELD_LIMITS } from './event';
import type { DeviceType, EventType } from '../schemas/eventRecord';

export interface TrafficOptions {
  readonly seed: number;
  readonly campaigns: number;
  readonly users: number;
  readonly titles: number;
  /** Share of events a few hours late (1-6 h): counted, and they make `reconcile` re-promote hours. */
  readonly lateFraction?: number;
  /** Share of events older than the allowed lateness (by 1-48 h): accepted but quarantined. */
  readonly tooLateFraction?: number;
  /** Share of events that re-send an earlier accepted event verbatim. */
  readonly duplicateFraction?: number;
  /** Share of events that break exactly one rule and are rejected. */
  readonly malformedFraction?: number;
  /** The collector's allowed lateness, so too-late events are safely beyond it. */
  readonly allowedLatenessMs?: number;
  /** Zipf exponent of campaign and title popularity (default 1.1). */
  readonly popularitySkew?: number;
  /** Zipf exponent of user activity (default 0.6): some heavy users, most light. */
  readonly userSkew?: number;
  /**
   * Prefix of campaign, title and user ids (and so of ad ids): 1-24 of a-z 0-9 -. A run with a scope of its
   * own owns its users (erasing one touches no other run) and its rows of ctr_hourly, campaign_daily and title_plays_daily in any partition, so Gold
   * can be checked against its truth even where other traffic landed (see verifyGold). Default none.
   */
  readonly idScope?: string;
}

const ID_SCOPE = /^[a-z0-9-]{1,24}$/;

/** Campaigns per advertiser: a few, so a campaign manager's advertiser has several and others have some too. */
export const CAMPAIGNS_PER_ADVERTISER = 3;

/** One campaign of the model and its advertiser: a row of `lake.gold.dim_campaign` (CONTRACT §3). */
export interface CampaignDimRow {
  readonly campaign_id: string;
  readonly advertiser_id: string;
  readonly name: string;
}

const BRANDS = ['Northwind', 'Contoso', 'Fabrikam', 'Tailspin', 'Litware', 'Adatum', 'Proseware', 'Wingtip'] as const;
const THEMES = ['launch', 'summer sale', 'brand awareness', 'retargeting', 'holiday', 'app install'] as const;

/** The id of campaign `index` (0-based) of a scope: `<scope>c00001`, ... */
export function campaignIdOf(scope: string, index: number): string {
  return `${scope}c${pad(index + 1, 5)}`;
}

/** The advertiser of campaign `index` (0-based): `<scope>a0001` for the first CAMPAIGNS_PER_ADVERTISER, ... */
export function advertiserIdOf(scope: string, index: number): string {
  return `${scope}a${pad(Math.floor(index / CAMPAIGNS_PER_ADVERTISER) + 1, 4)}`;
}

/** An event as a client sends it: a JSON-ready object. Malformed events may break any rule. */
export type WireEvent = { readonly [field: string]: unknown };

export type Timeliness = 'on_time' | 'late' | 'too_late';

/** Each rule a malformed event breaks, with the field its one error names. */
export const MALFORMED_RULES = {
  event_id_missing: 'event_id',
  event_id_too_long: 'event_id',
  event_type_unknown: 'event_type',
  event_time_unparseable: 'event_time',
  event_time_in_future: 'event_time',
  event_time_in_seconds: 'event_time',
  user_id_missing: 'user_id',
  user_id_not_string: 'user_id',
  campaign_id_missing: 'campaign_id',
  title_id_missing: 'title_id',
  position_ms_negative: 'position_ms',
  device_type_unknown: 'device_type',
  country_invalid: 'country',
  ip_invalid: 'ip',
  email_invalid: 'email',
  page_url_too_long: 'page_url',
  properties_too_many: 'properties',
  properties_not_strings: 'properties',
} as const;
export type MalformedRule = keyof typeof MALFORMED_RULES;
const RULES = Object.keys(MALFORMED_RULES) as MalformedRule[];

/** What the model meant by an event, so a run knows what the collector and Gold should do with it. */
export type EventIntent =
  | { readonly kind: 'good'; readonly timeliness: Timeliness; readonly duplicate: boolean }
  | { readonly kind: 'malformed'; readonly rule: MalformedRule; readonly field: (typeof MALFORMED_RULES)[MalformedRule] };

export interface TrafficBatch {
  readonly events: WireEvent[];
  /** intents[i] describes events[i]. */
  readonly intents: EventIntent[];
}

export interface TrafficModel {
  /** The next n events, as sent at nowMs (epoch ms of the sending clock). */
  nextBatch(n: number, nowMs: number): TrafficBatch;
}

/** A correct client event; the model builds these and breaks copies of them. */
interface ClientEvent {
  event_id: string;
  event_type: EventType;
  event_time: string | number;
  user_id: string;
  session_id?: string;
  campaign_id?: string;
  ad_id?: string;
  placement?: string;
  title_id?: string;
  position_ms?: number;
  page_url?: string;
  referrer?: string;
  device_type?: DeviceType;
  country?: string;
  user_agent?: string;
  ip?: string;
  email?: string;
  properties?: Record<string, string>;
  [unknownField: string]: unknown;
}

interface Campaign {
  readonly id: string;
  readonly ctr: number;
  readonly ads: readonly string[];
}

interface Device {
  readonly type: DeviceType;
  readonly userAgent: string;
  readonly ip: string;
}

interface UserProfile {
  readonly id: string;
  readonly country: string;
  /** Offset of the device clocks' local time, for RFC 3339 times with an offset. */
  readonly utcOffsetMinutes: number;
  readonly email: string;
  readonly devices: readonly Device[];
}

const USER_AGENTS: Readonly<Record<DeviceType, string>> = {
  web: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  ios: 'ClicklakePlayer/3.2 (iPhone; iOS 17.4)',
  android: 'ClicklakePlayer/3.2 (Linux; Android 14; Pixel 8)',
  tv: 'ClicklakeTV/1.9 (webOS 6.0)',
  stb: 'ClicklakeSTB/2.0 (RDK)',
  other: 'curl/8.4.0',
};
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'BR', 'IN', 'JP', 'CA', 'ES', 'NL', 'SE', 'PL'] as const;
const UTC_OFFSETS = [-300, -240, 0, 60, 120, 330, 540] as const;
const PLACEMENTS = ['preroll', 'midroll', 'banner_top', 'sidebar'] as const;
const SESSION_GAP_MS = 30 * MINUTE_MS;
const HISTORY_SIZE = 1000;
/** Roll weights of event types an action starts with; ad_click only follows an impression. */
const ACTION_WEIGHTS: ReadonlyArray<readonly [EventType, number]> = [
  ['page_view', 0.3],
  ['ad_impression', 0.3],
  ['heartbeat', 0.2],
  ['video_play', 0.1],
  ['video_pause', 0.05],
  ['video_seek', 0.05],
];

/** Types a rule needs its event to have, so that breaking it is the event's only fault. */
const RULE_EVENT_TYPES: Partial<Record<MalformedRule, EventType>> = {
  campaign_id_missing: 'ad_click',
  title_id_missing: 'video_play',
  position_ms_negative: 'video_seek',
};

/** How each rule is broken, on a copy of a correct event of the right type. */
const BREAK_RULE: Readonly<Record<MalformedRule, (event: Record<string, unknown>, nowMs: number) => void>> = {
  event_id_missing: (e) => delete e.event_id,
  event_id_too_long: (e) => (e.event_id = `${String(e.event_id)}-`.padEnd(FIELD_LIMITS.eventId + 16, 'x')),
  event_type_unknown: (e) => (e.event_type = 'ad_hover'),
  event_time_unparseable: (e) => (e.event_time = '22/11/2026 05:41'),
  // An hour ahead, so a collector clock up to 45 minutes off still sees it in the future.
  event_time_in_future: (e, nowMs) => (e.event_time = formatRfc3339(nowMs + HOUR_MS)),
  event_time_in_seconds: (e, nowMs) => (e.event_time = Math.floor(nowMs / 1000)),
  user_id_missing: (e) => delete e.user_id,
  user_id_not_string: (e) => (e.user_id = 12345),
  campaign_id_missing: (e) => delete e.campaign_id,
  title_id_missing: (e) => delete e.title_id,
  position_ms_negative: (e) => (e.position_ms = -1000),
  device_type_unknown: (e) => (e.device_type = 'fridge'),
  country_invalid: (e) => (e.country = 'USA'),
  ip_invalid: (e) => (e.ip = '300.1.2.3'),
  email_invalid: (e) => (e.email = 'someone.example.com'),
  page_url_too_long: (e) => (e.page_url = `https://watch.example.com/${'a'.repeat(FIELD_LIMITS.url)}`),
  properties_too_many: (e) => (e.properties = Object.fromEntries(Array.from({ length: FIELD_LIMITS.propertiesKeys + 1 }, (_, i) => [`p${i}`, 'v']))),
  properties_not_strings: (e) => (e.properties = { count: 3 }),
};

function checkCount(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new BadInputError(`${name}: must be a whole number from 1 to ${max}, got ${value}`);
}

function checkFraction(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new BadInputError(`${name}: must be between 0 and 1, got ${value}`);
  return value;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function weighted<T>(rng: Rng, items: ReadonlyArray<readonly [T, number]>): T {
  let roll = rng.next() * items.reduce((sum, [, w]) => sum + w, 0);
  for (const [item, w] of items) {
    roll -= w;
    if (roll < 0) return item;
  }
  return (items[items.length - 1] as readonly [T, number])[0];
}

/** A 32-bit mix of the seed and an index, so each user's profile has its own stream. */
function mix(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

function randomIp(rng: Rng): string {
  if (rng.chance(0.2)) return `2001:db8:${rng.int(0, 0xffff).toString(16)}::${rng.int(1, 0xffff).toString(16)}`;
  return `${rng.int(1, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

function createProfile(seed: number, index: number, scope: string): UserProfile {
  const rng = createRng(mix(seed, index));
  // Scoped like campaigns and titles: a run's users are its own, so erasing one (delete-user) touches no other run.
  const id = `${scope}u${pad(index, 7)}`;
  const deviceTypes = new Set<DeviceType>();
  const deviceCount = rng.int(1, 3);
  while (deviceTypes.size < deviceCount) deviceTypes.add(weighted(rng, [['web', 4], ['ios', 3], ['android', 3], ['tv', 1], ['stb', 1], ['other', 0.2]]));
  return {
    id,
    country: rng.pick(COUNTRIES),
    utcOffsetMinutes: rng.pick(UTC_OFFSETS),
    email: `${id}@example.com`,
    devices: [...deviceTypes].map((type) => ({ type, userAgent: USER_AGENTS[type], ip: randomIp(rng) })),
  };
}

/**
 * The campaigns of a run of `campaigns` campaigns under `idScope`, in id order, with their advertiser
 * and name: what `clicklake generate` writes to lake.gold.dim_campaign. Deterministic (no seed).
 */
export function campaignCatalog(options: Pick<TrafficOptions, 'campaigns' | 'idScope'>): CampaignDimRow[] {
  checkCount('campaigns', options.campaigns, 100_000);
  const scope = options.idScope ?? '';
  if (options.idScope !== undefined && !ID_SCOPE.test(scope)) throw new BadInputError('idScope: must be 1-24 of a-z 0-9 -');
  return Array.from({ length: options.campaigns }, (_, index) => {
    const advertiser = Math.floor(index / CAMPAIGNS_PER_ADVERTISER);
    const brand = BRANDS[advertiser % BRANDS.length] as string;
    const theme = THEMES[index % THEMES.length] as string;
    return { campaign_id: campaignIdOf(scope, index), advertiser_id: advertiserIdOf(scope, index), name: `${brand} ${theme} ${pad(index + 1, 5)}` };
  });
}

/** The options, checked, with defaults filled in. */
interface TrafficSettings {
  readonly seed: number;
  readonly scope: string;
  readonly malformed: number;
  readonly duplicate: number;
  readonly tooLate: number;
  readonly late: number;
  readonly allowedLatenessMs: number;
}

function trafficSettings(options: TrafficOptions): TrafficSettings {
  if (!Number.isInteger(options.seed)) throw new BadInputError(`seed: must be an integer, got ${options.seed}`);
  checkCount('campaigns', options.campaigns, 100_000);
  checkCount('users', options.users, 1_000_000);
  checkCount('titles', options.titles, 100_000);
  const malformed = checkFraction('malformedFraction', options.malformedFraction ?? 0);
  const scope = options.idScope ?? '';
  if (options.idScope !== undefined && !ID_SCOPE.test(scope)) throw new BadInputError('idScope: must be 1-24 of a-z 0-9 -');
  const duplicate = checkFraction('duplicateFraction', options.duplicateFraction ?? 0);
  const tooLate = checkFraction('tooLateFraction', options.tooLateFraction ?? 0);
  const late = checkFraction('lateFraction', options.lateFraction ?? 0);
  if (malformed + duplicate + tooLate + late > 1) throw new BadInputError('fractions: late, too late, duplicate and malformed must add up to at most 1');
  return { seed: options.seed >>> 0, scope, malformed, duplicate, tooLate, late, allowedLatenessMs: options.allowedLatenessMs ?? ALLOWED_LATENESS_MS };
}

/** The model's fixed world (campaigns, popularity) and its running state (users met, sessions, history). */
interface TrafficWorld {
  readonly settings: TrafficSettings;
  readonly rng: Rng;
  readonly campaigns: readonly Campaign[];
  readonly campaignRank: (rng: Rng) => number;
  readonly titleRank: (rng: Rng) => number;
  readonly userRank: (rng: Rng) => number;
  readonly pendingClicks: Array<{ event: ClientEvent; timeliness: Timeliness }>;
  readonly history: Array<{ event: ClientEvent; timeliness: Timeliness }>;
}

function createWorld(options: TrafficOptions, settings: TrafficSettings): TrafficWorld {
  const rng = createRng(settings.seed);
  const campaigns: Campaign[] = Array.from({ length: options.campaigns }, (_, i) => {
    const id = campaignIdOf(settings.scope, i);
    return { id, ctr: 0.005 + rng.next() * 0.045, ads: Array.from({ length: rng.int(1, 4) }, (_, a) => `${id}-ad${a + 1}`) };
  });
  return {
    settings,
    rng,
    campaigns,
    campaignRank: createZipf(options.campaigns, options.popularitySkew ?? 1.1),
    titleRank: createZipf(options.titles, options.popularitySkew ?? 1.1),
    userRank: createZipf(options.users, options.userSkew ?? 0.6),
    pendingClicks: [],
    history: [],
  };
}

/** Users (built on first use), event ids and device sessions. */
function createIdentities(world: TrafficWorld) {
  const { seed } = world.settings;
  const idPrefix = `g${seed.toString(16).padStart(8, '0')}`;
  const profiles = new Map<number, UserProfile>();
  const sessions = new Map<string, { id: string; lastMs: number }>();
  let eventCount = 0;
  let sessionCount = 0;
  return {
    profileOf(index: number): UserProfile {
      let profile = profiles.get(index);
      if (profile === undefined) {
        profile = createProfile(seed, index, world.settings.scope);
        profiles.set(index, profile);
      }
      return profile;
    },
    nextEventId: (): string => `${idPrefix}-${pad(++eventCount, 9)}`,
    /** The device's session at send time: a new one after 30 minutes of silence. */
    sessionOf(user: UserProfile, device: Device, nowMs: number): string {
      const key = `${user.id}/${device.type}`;
      const current = sessions.get(key);
      if (current !== undefined && nowMs - current.lastMs < SESSION_GAP_MS) {
        current.lastMs = nowMs;
        return current.id;
      }
      const id = `s${pad(++sessionCount, 8)}`;
      sessions.set(key, { id, lastMs: nowMs });
      return id;
    },
  };
}

type Identities = ReturnType<typeof createIdentities>;

/** Builds correct events: times, the fields of each type, the optional fields some clients send. */
function createEventBuilder(world: TrafficWorld, ids: Identities) {
  const { rng, settings } = world;

  const eventTimeOf = (timeliness: Timeliness, nowMs: number): number => {
    if (timeliness === 'late') return nowMs - rng.int(HOUR_MS, 6 * HOUR_MS);
    if (timeliness === 'too_late') return nowMs - settings.allowedLatenessMs - rng.int(HOUR_MS, 48 * HOUR_MS);
    return nowMs - rng.int(0, 5000);
  };

  /** Half the clients send RFC 3339 text (some with the device's offset), the others epoch ms. */
  const wireTime = (ms: number, user: UserProfile): string | number => {
    const roll = rng.next();
    if (roll < 0.4) return ms;
    if (roll < 0.8) return formatRfc3339(ms);
    return formatRfc3339(ms, user.utcOffsetMinutes);
  };

  /** A correct event of the given (or a rolled) type; an impression's campaign is returned for its click. */
  const buildEvent = (timeliness: Timeliness, nowMs: number, type: EventType = weighted(rng, ACTION_WEIGHTS)) => {
    const user = ids.profileOf(world.userRank(rng));
    const device = rng.pick(user.devices);
    const eventTime = eventTimeOf(timeliness, nowMs);
    const event: ClientEvent = { event_id: ids.nextEventId(), event_type: type, event_time: wireTime(eventTime, user), user_id: user.id };
    if (rng.chance(0.95)) event.session_id = ids.sessionOf(user, device, nowMs);
    let campaign: Campaign | undefined;
    if (type === 'ad_impression' || type === 'ad_click') {
      campaign = world.campaigns[world.campaignRank(rng)] as Campaign;
      event.campaign_id = campaign.id;
      event.ad_id = rng.pick(campaign.ads);
      event.placement = rng.pick(PLACEMENTS);
    } else if (type !== 'page_view') {
      event.title_id = `${settings.scope}t${pad(world.titleRank(rng) + 1, 5)}`;
      if (type !== 'video_play') event.position_ms = rng.int(0, 2 * HOUR_MS);
    }
    addClientFields(rng, event, type, user, device);
    return { event, eventTime, campaign, user };
  };

  return { buildEvent, wireTime };
}

/** The fields a client adds beside the type's own (URLs, device, country, IP, email, properties). */
function addClientFields(rng: Rng, event: ClientEvent, type: EventType, user: UserProfile, device: Device): void {
  if (type === 'page_view' || (device.type === 'web' && rng.chance(0.3))) event.page_url = `https://watch.example.com/${type === 'page_view' ? 'browse' : 'watch'}/${rng.int(1, 500)}`;
  if (type === 'page_view' && rng.chance(0.5)) event.referrer = rng.chance(0.5) ? 'https://search.example.org/' : '';
  if (rng.chance(0.95)) event.device_type = device.type;
  if (rng.chance(0.9)) event.country = rng.chance(0.05) ? user.country.toLowerCase() : user.country;
  event.user_agent = device.userAgent;
  if (rng.chance(0.7)) event.ip = device.ip;
  if (rng.chance(0.02)) event.email = user.email;
  if (rng.chance(0.15)) event.properties = { app_version: `3.${rng.int(0, 9)}.${rng.int(0, 20)}`, experiment: rng.pick(['a', 'b']) };
  if (rng.chance(0.03)) event.sdk = { name: 'clicklake-js', version: '1.4.0' };
}

/** Copies, so a caller that alters a sent event cannot alter the model's history. */
function copy(event: object): WireEvent {
  return JSON.parse(JSON.stringify(event)) as WireEvent;
}

/** The stream of events: pending clicks first, then a roll for malformed, duplicate, too late, late or on time. */
function createEventStream(world: TrafficWorld, builder: ReturnType<typeof createEventBuilder>, ids: Identities) {
  const { rng, settings, pendingClicks, history } = world;
  const { malformed, duplicate, tooLate, late } = settings;

  const remember = (event: ClientEvent, timeliness: Timeliness): void => {
    history.push({ event, timeliness });
    if (history.length > HISTORY_SIZE) history.shift();
  };

  const original = (timeliness: Timeliness, nowMs: number): ClientEvent => {
    const { event, eventTime, campaign, user } = builder.buildEvent(timeliness, nowMs);
    if (event.event_type === 'ad_impression' && campaign !== undefined && rng.chance(campaign.ctr)) {
      const clickTime = eventTime + rng.int(1000, 30_000);
      pendingClicks.push({
        event: { ...event, event_id: ids.nextEventId(), event_type: 'ad_click', event_time: builder.wireTime(clickTime, user) },
        timeliness,
      });
    }
    remember(event, timeliness);
    return event;
  };

  const breakRule = (rule: MalformedRule, nowMs: number): Record<string, unknown> => {
    const type = RULE_EVENT_TYPES[rule] ?? rng.pick(['page_view', 'heartbeat', 'video_play'] as const);
    const event: Record<string, unknown> = { ...builder.buildEvent('on_time', nowMs, type).event };
    BREAK_RULE[rule](event, nowMs);
    return event;
  };

  return (nowMs: number): { event: WireEvent; intent: EventIntent } => {
    const click = pendingClicks.shift();
    if (click !== undefined) {
      remember(click.event, click.timeliness);
      return { event: copy(click.event), intent: { kind: 'good', timeliness: click.timeliness, duplicate: false } };
    }
    const roll = rng.next();
    if (roll < malformed) {
      const rule = rng.pick(RULES);
      return { event: copy(breakRule(rule, nowMs)), intent: { kind: 'malformed', rule, field: MALFORMED_RULES[rule] } };
    }
    if (roll < malformed + duplicate && history.length > 0) {
      const earlier = rng.pick(history);
      return { event: copy(earlier.event), intent: { kind: 'good', timeliness: earlier.timeliness, duplicate: true } };
    }
    // A duplicate roll before anything was sent becomes an ordinary event.
    const timeliness: Timeliness =
      roll < malformed + duplicate ? 'on_time' : roll < malformed + duplicate + tooLate ? 'too_late' : roll < malformed + duplicate + tooLate + late ? 'late' : 'on_time';
    return { event: copy(original(timeliness, nowMs)), intent: { kind: 'good', timeliness, duplicate: false } };
  };
}

/** The model: checked options, its world, identities, event builder and stream (each a step above). */
export function createTrafficModel(options: TrafficOptions): TrafficModel {
  const world = createWorld(options, trafficSettings(options));
  const ids = createIdentities(world);
  const nextEvent = createEventStream(world, createEventBuilder(world, ids), ids);
  return {
    nextBatch(n, nowMs) {
      checkCount('n', n, 1_000_000);
      if (!Number.isSafeInteger(nowMs)) throw new BadInputError(`nowMs: must be epoch milliseconds, got ${nowMs}`);
      const events: WireEvent[] = [];
      const intents: EventIntent[] = [];
      for (let i = 0; i < n; i++) {
        const { event, intent } = nextEvent(nowMs);
        events.push(event);
        intents.push(intent);
      }
      return { events, intents };
    },
  };
}
