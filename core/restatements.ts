/**
 * The restatement record (`lake.audit.restatements`, CONTRACT §3): when a publish replaces a
 * published Gold version, one row per Gold row that changed, appeared or disappeared between the
 * two, keyed by the table's key column, with the value columns of each side as JSON text. Pure: the
 * activity reads the two versions' rows, this decides what changed.
 */
import type { RunReason } from './lakeTables';

export type RestatementReason = 'late_events' | 'backfill' | 'erasure' | 'manual';

/** Why a restatement happened, from why the run that published it ran. */
export function restatementReason(run: RunReason | undefined): RestatementReason {
  switch (run) {
    case 'reconcile':
      return 'late_events';
    case 'backfill':
      return 'backfill';
    case 'erasure':
      return 'erasure';
    default:
      return 'manual';
  }
}

export type RestatedTable = 'ctr_hourly' | 'campaign_daily' | 'dau_daily' | 'title_plays_daily';

/** Each Gold table's key column and its value columns (in table order). */
export const RESTATED_TABLES: Readonly<Record<RestatedTable, { readonly key: string; readonly values: readonly string[] }>> = {
  ctr_hourly: { key: 'campaign_id', values: ['impressions', 'clicks', 'ctr'] },
  campaign_daily: { key: 'campaign_id', values: ['impressions', 'clicks', 'ctr', 'unique_users'] },
  dau_daily: { key: 'device_type', values: ['dau'] },
  title_plays_daily: { key: 'title_id', values: ['plays', 'unique_viewers'] },
};

/** One row of `lake.audit.restatements`. */
export interface RestatementRow {
  readonly table_name: RestatedTable;
  readonly row_key: string;
  readonly old_version: string;
  readonly new_version: string;
  /** JSON of the old row's value columns; null for a new row. */
  readonly old_values: string | null;
  /** JSON of the new row's value columns; null for a removed row. */
  readonly new_values: string | null;
  readonly reason: RestatementReason;
  readonly workflow_id: string;
  /** Epoch ms. */
  readonly finished_at: number;
  readonly dt: string;
  /** `''` for daily tables. */
  readonly hr: string;
}

type GoldRow = Readonly<Record<string, unknown>>;

export interface RestatementContext {
  readonly table: RestatedTable;
  readonly oldVersion: string;
  readonly newVersion: string;
  readonly reason: RestatementReason;
  readonly workflowId: string;
  readonly finishedAt: number;
  readonly dt: string;
  readonly hr?: string;
}

/** The value columns of a row as JSON text, in table order (a missing value is null). */
export function valuesJson(table: RestatedTable, row: GoldRow): string {
  return JSON.stringify(Object.fromEntries(RESTATED_TABLES[table].values.map((column) => [column, row[column] ?? null])));
}

function byKey(table: RestatedTable, rows: readonly GoldRow[]): Map<string, string> {
  const key = RESTATED_TABLES[table].key;
  return new Map(rows.map((row) => [String(row[key] ?? ''), valuesJson(table, row)]));
}

/**
 * The restatement rows between two versions' rows of one partition, sorted by key: a changed row
 * (both values), a new one (old_values null), a removed one (new_values null); unchanged rows give
 * nothing.
 */
export function restatementRows(context: RestatementContext, oldRows: readonly GoldRow[], newRows: readonly GoldRow[]): RestatementRow[] {
  const before = byKey(context.table, oldRows);
  const after = byKey(context.table, newRows);
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys
    .filter((key) => before.get(key) !== after.get(key))
    .map((key) => ({
      table_name: context.table,
      row_key: key,
      old_version: context.oldVersion,
      new_version: context.newVersion,
      old_values: before.get(key) ?? null,
      new_values: after.get(key) ?? null,
      reason: context.reason,
      workflow_id: context.workflowId,
      finished_at: context.finishedAt,
      dt: context.dt,
      hr: context.hr ?? '',
    }));
}
