/**
 * Gold against a truth file (`clicklake verify`): which rows of each Gold table to read, and the
 * row-by-row difference between what the truth expects and what the lake holds. Pure; the worker
 * only runs the queries.
 */
import { quoteLiteral } from './lake';
import { DAY_MS, hourKey, hoursOfDay } from './time';
import type { GoldTables } from './truth';

export type GoldTableName = keyof GoldTables;

type Row = Readonly<Record<string, unknown>>;

export interface GoldCheckSpec {
  readonly table: GoldTableName;
  /** The columns compared, in a fixed order. */
  readonly columns: readonly string[];
  /** The partition columns: only partitions the truth has rows for are read. */
  readonly partition: readonly string[];
  /** The id column a traffic id scope (TrafficOptions.idScope) restricts; dau_daily has none. */
  readonly key?: string;
}

export const GOLD_CHECKS: readonly GoldCheckSpec[] = [
  { table: 'ctr_hourly', columns: ['campaign_id', 'impressions', 'clicks', 'ctr', 'dt', 'hr'], partition: ['dt', 'hr'], key: 'campaign_id' },
  { table: 'campaign_daily', columns: ['campaign_id', 'impressions', 'clicks', 'ctr', 'unique_users', 'dt'], partition: ['dt'], key: 'campaign_id' },
  { table: 'dau_daily', columns: ['device_type', 'dau', 'dt'], partition: ['dt'] },
  { table: 'title_plays_daily', columns: ['title_id', 'plays', 'unique_viewers', 'dt'], partition: ['dt'], key: 'title_id' },
];

/** The checks of `only` (every table when absent), in GOLD_CHECKS order. */
export function goldChecks(only?: readonly GoldTableName[]): GoldCheckSpec[] {
  return GOLD_CHECKS.filter((spec) => only === undefined || only.includes(spec.table));
}

/** The distinct partition values of the expected rows, in first-seen order (e.g. [['2026-11-22', '05']]). */
export function truthPartitions(spec: GoldCheckSpec, expected: readonly Row[]): string[][] {
  const keys = new Set(expected.map((row) => JSON.stringify(spec.partition.map((c) => row[c]))));
  return [...keys].map((key) => JSON.parse(key) as string[]);
}

/** The SELECT of one partition of a Gold table, restricted to the id scope when the table has an id key. */
export function goldPartitionSql(spec: GoldCheckSpec, values: readonly string[], scope?: string, catalog = 'lake'): string {
  const conditions = spec.partition.map((c, i) => `${c} = ${quoteLiteral(values[i] as string)}`);
  if (scope !== undefined && spec.key !== undefined) conditions.push(`starts_with(${spec.key}, ${quoteLiteral(scope)})`);
  return `SELECT ${spec.columns.join(', ')} FROM ${catalog}.gold.${spec.table} WHERE ${conditions.join(' AND ')}`;
}

/** A row's identity over `columns`; numbers are rounded to nine decimals (ctr is a double). */
export function rowKey(row: Row, columns: readonly string[]): string {
  return JSON.stringify(columns.map((c) => {
    const value = row[c];
    return typeof value === 'number' ? Math.round(value * 1e9) / 1e9 : (value ?? null);
  }));
}

export interface TableDiff {
  readonly table: string;
  /** Expected rows the lake lacks (the first `limit`). */
  readonly missing: Row[];
  /** Rows the lake holds that the truth does not (the first `limit`). */
  readonly unexpected: Row[];
}

/** The difference of one table, or null when both sides hold the same rows. */
export function diffTable(spec: GoldCheckSpec, expected: readonly Row[], found: readonly Row[], limit = 20): TableDiff | null {
  const want = new Map(expected.map((row) => [rowKey(row, spec.columns), row]));
  const have = new Map(found.map((row) => [rowKey(row, spec.columns), row]));
  const missing = [...want].filter(([key]) => !have.has(key)).map(([, row]) => row);
  const unexpected = [...have].filter(([key]) => !want.has(key)).map(([, row]) => row);
  if (missing.length === 0 && unexpected.length === 0) return null;
  return { table: spec.table, missing: missing.slice(0, limit), unexpected: unexpected.slice(0, limit) };
}

export interface GoldVerification {
  readonly ok: boolean;
  readonly tables: Record<string, { expected: number; found: number }>;
  readonly diffs: TableDiff[];
}

/** The verification of every checked table from its expected and found rows. */
export function verifyTables(checked: ReadonlyArray<{ spec: GoldCheckSpec; expected: readonly Row[]; found: readonly Row[] }>): GoldVerification {
  const tables: Record<string, { expected: number; found: number }> = {};
  const diffs: TableDiff[] = [];
  for (const { spec, expected, found } of checked) {
    tables[spec.table] = { expected: expected.length, found: found.length };
    const diff = diffTable(spec, expected, found);
    if (diff !== null) diffs.push(diff);
  }
  return { ok: diffs.length === 0, tables, diffs };
}

/** Where replayed traffic can land alone: a quiet day (every table comparable) or only quiet hours. */
export interface QuietWindow {
  /** Event times are moved to about this instant. */
  readonly targetMs: number;
  /** True when the whole day (and the day before) is empty: dau_daily is comparable too. */
  readonly wholeDay: boolean;
}

/**
 * The days to try for replayed traffic, 2 to 6 days back, nearest first: a day is quiet when its hours
 * and the day before's (late events reach back hours) hold no events; its traffic lands at 12:30.
 * When none is quiet, the fallback is 3 days back, where the tables keyed by campaign or title are
 * compared over the traffic's own id scope.
 */
export function quietDayCandidates(nowMs: number): { candidates: Array<{ hours: string[]; window: QuietWindow }>; fallback: QuietWindow } {
  const candidates = [];
  for (let back = 2; back <= 6; back++) {
    const day = hourKey(nowMs - back * DAY_MS).slice(0, 10);
    const before = hourKey(nowMs - (back + 1) * DAY_MS).slice(0, 10);
    candidates.push({ hours: [...hoursOfDay(before), ...hoursOfDay(day)], window: { targetMs: Date.parse(`${day}T12:30:00Z`), wholeDay: true } });
  }
  return { candidates, fallback: { targetMs: nowMs - 3 * DAY_MS, wholeDay: false } };
}

/** Gold tables a run can be checked on where it landed: all on a quiet day, else those its id scope isolates. */
export function comparableTables(window: QuietWindow): readonly GoldTableName[] | undefined {
  return window.wholeDay ? undefined : ['ctr_hourly', 'campaign_daily', 'title_plays_daily'];
}
