/**
 * Late-data reconciliation (workflows/reconcileLate.ts): which hours to look at, and the result it
 * reports (CONTRACT §4 `reconcile --json`). Pure.
 */
import { BadInputError } from './errors';
import type { Ledger } from './ledger';
import { DAY_MS, hourKey, parseHourKey } from './time';

export interface ReconcileWindow {
  /** First and last hour looked at, both included (`YYYY-MM-DDTHH`). */
  readonly from: string;
  readonly to: string;
}

/**
 * The hours to look at: the given range, or the `lookbackDays` before `nowMs` up to its hour. A
 * range that ends before it starts is a BadInputError.
 */
export function reconcileWindow(nowMs: number, lookbackDays: number, range: { from?: string; to?: string } = {}): ReconcileWindow {
  const to = range.to === undefined ? hourKey(nowMs) : parseHourKey(range.to).key;
  const from = range.from === undefined ? hourKey(parseHourKey(to).startMs - lookbackDays * DAY_MS) : parseHourKey(range.from).key;
  if (from > to) throw new BadInputError(`reconcile: from ${from} is after to ${to}`);
  return { from, to };
}

/**
 * The hours of the window an hour-index listing names: the listing's common prefixes
 * (`.../hour=YYYY-MM-DDTHH/`), oldest first, each once.
 */
export function indexedHours(prefixes: readonly string[], window: ReconcileWindow): string[] {
  const hours = prefixes.map((p) => /hour=(\d{4}-\d{2}-\d{2}T\d{2})\/$/.exec(p)?.[1]).filter((h): h is string => h !== undefined && h >= window.from && h <= window.to);
  return [...new Set(hours)].sort();
}

export interface StaleHour {
  readonly hour: string;
  readonly waiting_events: number;
  /** The published version that missed them. */
  readonly version: string | null;
}

export interface RestatedHour {
  readonly hour: string;
  readonly version: string;
  readonly ledger: Ledger;
}

export interface ReconcileResult {
  readonly window: ReconcileWindow;
  readonly restated: readonly RestatedHour[];
  /** Days whose daily Gold was recomputed after their hours. */
  readonly days: readonly string[];
  /** Hours or days that failed, with `Type: message`. */
  readonly failed: ReadonlyArray<{ readonly hour?: string; readonly dt?: string; readonly error: string }>;
}

/** The days of some hours, sorted, each once. */
export function daysOf(hours: readonly string[]): string[] {
  return [...new Set(hours.map((h) => parseHourKey(h).dt))].sort();
}
