/**
 * Run-versioned output prefixes for atomic publish: a promotion run writes under its own version of a
 * partition, checks it, then points the Presto partition at it in one step. Readers see the old version
 * or the new one, never half; old versions stay for rollback until compaction removes them.
 *
 * A version is `<created, UTC, YYYYMMDDTHHMMSSmmmZ>-<run id>`, e.g. `20261122T054107123Z-3f2a...`:
 * the time is fixed width, so versions sort as text in creation order, and the run id (the Temporal
 * run id) tells apart two runs of the same millisecond and names the run that wrote the files. The
 * creation time is an input (workflow time), never read from a clock here.
 *
 * Layout: `silver/events/dt=YYYY-MM-DD/hr=HH/v=<version>/`, `gold/ctr_hourly/dt=.../hr=.../v=.../`,
 * `gold/<daily table>/dt=.../v=.../`.
 */
import { BadInputError } from './errors';
import { zonePrefix } from './lake';
import { compareText } from './text';
import { formatRfc3339, parseDay, parseHourKey, parseRfc3339 } from './time';

export const SILVER_TABLE = 'events';
export const GOLD_HOURLY_TABLES = ['ctr_hourly'] as const;
export const GOLD_DAILY_TABLES = ['campaign_daily', 'dau_daily', 'title_plays_daily'] as const;
export type GoldHourlyTable = (typeof GOLD_HOURLY_TABLES)[number];
export type GoldDailyTable = (typeof GOLD_DAILY_TABLES)[number];

/** Creation times from 1970 to 9999, so the timestamp is always 4-digit-year fixed width. */
const MAX_CREATED_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const VERSION = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-(.+)$/;

export interface RunVersion {
  readonly createdAtMs: number;
  readonly runId: string;
}

/** The version of a run created at `createdAtMs` (epoch ms) with this run id. */
export function runVersion(createdAtMs: number, runId: string): string {
  if (!Number.isSafeInteger(createdAtMs) || createdAtMs < 0 || createdAtMs > MAX_CREATED_MS) {
    throw new BadInputError(`version: creation time must be epoch ms from 1970 to 9999, got ${createdAtMs}`);
  }
  if (!RUN_ID.test(runId)) throw new BadInputError(`version: run id must be 1-64 of A-Z a-z 0-9 _ -, got "${runId}"`);
  return `${formatRfc3339(createdAtMs).replace(/[-:.]/g, '')}-${runId}`;
}

/** Parses a version; BadInputError for anything runVersion would not write. */
export function parseRunVersion(version: string): RunVersion {
  const m = VERSION.exec(version);
  const createdAtMs = m ? parseRfc3339(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`) : undefined;
  const runId = m?.[8] ?? '';
  if (createdAtMs === undefined || !RUN_ID.test(runId)) throw new BadInputError(`version: expected YYYYMMDDTHHMMSSmmmZ-<run id>, got "${version}"`);
  return { createdAtMs, runId };
}

/** The newest of some versions (creation time, then run id), or undefined for none. */
export function latestVersion(versions: readonly string[]): string | undefined {
  versions.forEach(parseRunVersion);
  return [...versions].sort(compareText).at(-1);
}

function hourPath(dt: string, hr: string): string {
  const hour = parseHourKey(`${dt}T${hr}`);
  return `dt=${hour.dt}/hr=${hour.hr}/`;
}

function dayPath(dt: string): string {
  parseDay(dt);
  return `dt=${dt}/`;
}

function versioned(partitionPrefix: string, version: string): string {
  parseRunVersion(version);
  return `${partitionPrefix}v=${version}/`;
}

/** `silver/events/dt=YYYY-MM-DD/hr=HH/`: the partition whose versions are listed. */
export function silverPartitionPrefix(dt: string, hr: string): string {
  return `${zonePrefix('silver')}${SILVER_TABLE}/${hourPath(dt, hr)}`;
}

export function silverPrefix(dt: string, hr: string, version: string): string {
  return versioned(silverPartitionPrefix(dt, hr), version);
}

export function goldHourPartitionPrefix(table: GoldHourlyTable, dt: string, hr: string): string {
  return `${zonePrefix('gold')}${table}/${hourPath(dt, hr)}`;
}

export function goldHourPrefix(table: GoldHourlyTable, dt: string, hr: string, version: string): string {
  return versioned(goldHourPartitionPrefix(table, dt, hr), version);
}

export function goldDayPartitionPrefix(table: GoldDailyTable, dt: string): string {
  return `${zonePrefix('gold')}${table}/${dayPath(dt)}`;
}

export function goldDayPrefix(table: GoldDailyTable, dt: string, version: string): string {
  return versioned(goldDayPartitionPrefix(table, dt), version);
}

/**
 * The version of a key below a partition prefix (`<partition>v=<version>/...`), or undefined when the
 * key is not inside a version folder; BadInputError when the folder's name is not a version.
 */
export function versionOfKey(partitionPrefix: string, key: string): string | undefined {
  if (!key.startsWith(`${partitionPrefix}v=`)) return undefined;
  const rest = key.slice(partitionPrefix.length + 2);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const version = rest.slice(0, slash);
  parseRunVersion(version);
  return version;
}
