/**
 * The state of a backfill (workflows/backfillRange.ts) as pure data: which hours it covers, which
 * to start next under the concurrency bound, how an hour moves from pending to done or failed, and
 * the summary the CLI prints (CONTRACT §4). The workflow holds this state, so it is Temporal state:
 * it survives worker and server restarts and is carried across continueAsNew.
 */
import { BadInputError, InvariantViolationError } from './errors';
import { dayOf, hourRange, parseHourKey } from './time';

/** pending → running → done | failed; pending → skipped (not selected, or the backfill was cancelled). */
export type BackfillHourState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface BackfillHour {
  readonly hour: string;
  readonly state: BackfillHourState;
  /** Why it failed (`Type: message`), or why it was skipped. */
  readonly error?: string;
  /** `other` when a promotion of the hour was already running and the backfill waited for it instead. */
  readonly by?: 'backfill' | 'other';
}

export type BackfillDayState = 'pending' | 'done' | 'failed';

export interface BackfillDay {
  readonly dt: string;
  readonly state: BackfillDayState;
  readonly error?: string;
}

export interface BackfillState {
  readonly hours: readonly BackfillHour[];
  readonly days: readonly BackfillDay[];
}

export type BackfillEvent =
  | { readonly type: 'start' }
  | { readonly type: 'done'; readonly by: 'backfill' | 'other' }
  | { readonly type: 'fail'; readonly error: string }
  | { readonly type: 'skip'; readonly reason: string };

export interface BackfillCounts {
  readonly total: number;
  readonly pending: number;
  readonly running: number;
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
}

/** What `clicklake backfill --json` prints (CONTRACT §4), plus the days and, on a dry run, the plan. */
export interface BackfillSummary {
  readonly workflow_id: string;
  readonly hours: { readonly done: number; readonly failed: number; readonly skipped: number };
  readonly failed: ReadonlyArray<{ readonly hour: string; readonly error: string }>;
  readonly days: { readonly done: number; readonly failed: number };
  readonly failed_days: ReadonlyArray<{ readonly dt: string; readonly error: string }>;
  readonly reason?: string;
  readonly cancelled?: boolean;
  /** On a dry run: the hours it would promote again, in order. */
  readonly would_run?: readonly string[];
}

/** The longest range one backfill takes (about 14 months of hours). */
export const MAX_BACKFILL_HOURS = 10_000;

export function backfillWorkflowId(from: string, to: string): string {
  return `backfill-${from}-${to}`;
}

/** Every hour from `from` to `to`, both included; a bad or too long range is bad input. */
export function planHours(from: string, to: string, maxHours = MAX_BACKFILL_HOURS): string[] {
  const hours = hourRange(from, to);
  if (hours.length > maxHours) throw new BadInputError(`backfill: ${hours.length} hours from ${from} to ${to}, at most ${maxHours}`);
  return hours;
}

export function checkConcurrency(concurrency: number): number {
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new BadInputError(`concurrency: ${concurrency} is not an integer from 1 to 64`);
  return concurrency;
}

/**
 * The first state: every planned hour pending when `selected` is absent, else only the selected
 * ones, the others skipped with `skipReason` (`--failed-only`, `--stale-only`).
 */
export function initialState(planned: readonly string[], selected?: ReadonlySet<string>, skipReason = 'not selected'): BackfillState {
  const hours = planned.map((hour): BackfillHour => (selected === undefined || selected.has(hour) ? { hour, state: 'pending' } : { hour, state: 'skipped', error: skipReason }));
  return { hours, days: [] };
}

/** The pending hours to start now, oldest first, so that at most `concurrency` run at once. */
export function nextToStart(state: BackfillState, concurrency: number): string[] {
  const running = state.hours.filter((h) => h.state === 'running').length;
  const free = Math.max(0, concurrency - running);
  return state.hours.filter((h) => h.state === 'pending').slice(0, free).map((h) => h.hour);
}

const ALLOWED: Record<BackfillEvent['type'], BackfillHourState> = { start: 'pending', done: 'running', fail: 'running', skip: 'pending' };

function applied(entry: BackfillHour, event: BackfillEvent): BackfillHour {
  switch (event.type) {
    case 'start':
      return { hour: entry.hour, state: 'running' };
    case 'done':
      return { hour: entry.hour, state: 'done', by: event.by };
    case 'fail':
      return { hour: entry.hour, state: 'failed', error: event.error };
    case 'skip':
      return { hour: entry.hour, state: 'skipped', error: event.reason };
  }
}

/** The state after `event` on `hour`; an event the hour's state does not allow is an invariant broken. */
export function transition(state: BackfillState, hour: string, event: BackfillEvent): BackfillState {
  const index = state.hours.findIndex((h) => h.hour === hour);
  if (index < 0) throw new InvariantViolationError(`backfill: ${hour} is not in the range`);
  const entry = state.hours[index] as BackfillHour;
  if (entry.state !== ALLOWED[event.type]) throw new InvariantViolationError(`backfill: ${hour} cannot ${event.type} when ${entry.state}`);
  const hours = [...state.hours];
  hours[index] = applied(entry, event);
  return { ...state, hours };
}

/** Every hour still pending skipped (a cancelled backfill starts nothing more). */
export function skipPending(state: BackfillState, reason: string): BackfillState {
  return state.hours.filter((h) => h.state === 'pending').reduce((s, h) => transition(s, h.hour, { type: 'skip', reason }), state);
}

/** The days of the hours it published (or saw published by a run it joined), in order. */
export function touchedDays(state: BackfillState): string[] {
  return [...new Set(state.hours.filter((h) => h.state === 'done').map((h) => dayOf(parseHourKey(h.hour).startMs)))].sort();
}

/** The state with a day's outcome recorded (pending, then done or failed). */
export function withDay(state: BackfillState, day: BackfillDay): BackfillState {
  return { ...state, days: [...state.days.filter((d) => d.dt !== day.dt), day].sort((a, b) => a.dt.localeCompare(b.dt)) };
}

export function countHours(state: BackfillState): BackfillCounts {
  const count = (s: BackfillHourState) => state.hours.filter((h) => h.state === s).length;
  return { total: state.hours.length, pending: count('pending'), running: count('running'), done: count('done'), failed: count('failed'), skipped: count('skipped') };
}

/** The backfill's counts as its LakeProgress search attribute shows them. */
export function progressKeyword(counts: BackfillCounts): string {
  return `done ${counts.done} failed ${counts.failed} pending ${counts.pending + counts.running} of ${counts.total}`;
}

/** The hours that failed, as `--failed-only` reads them from the previous backfill's state. */
export function failedHours(hours: readonly BackfillHour[]): string[] {
  return hours.filter((h) => h.state === 'failed').map((h) => h.hour);
}

/** What the backfill reports when it ends (CONTRACT §4 shape first). */
export function summarize(workflowId: string, state: BackfillState, extra: { reason?: string; cancelled?: boolean; dryRun?: boolean } = {}): BackfillSummary {
  const counts = countHours(state);
  const wouldRun = state.hours.filter((h) => h.state === 'pending').map((h) => h.hour);
  return {
    workflow_id: workflowId,
    hours: { done: counts.done, failed: counts.failed, skipped: counts.skipped + (extra.dryRun === true ? counts.pending : 0) },
    failed: state.hours.filter((h) => h.state === 'failed').map((h) => ({ hour: h.hour, error: h.error ?? '' })),
    days: { done: state.days.filter((d) => d.state === 'done').length, failed: state.days.filter((d) => d.state === 'failed').length },
    failed_days: state.days.filter((d) => d.state === 'failed').map((d) => ({ dt: d.dt, error: d.error ?? '' })),
    ...(extra.reason === undefined ? {} : { reason: extra.reason }),
    ...(extra.cancelled === true ? { cancelled: true } : {}),
    ...(extra.dryRun === true ? { would_run: wouldRun } : {}),
  };
}

/** Exit status of `clicklake backfill`: 1 when an hour or a day failed. */
export function backfillFailed(summary: BackfillSummary): boolean {
  return summary.hours.failed > 0 || summary.days.failed > 0;
}

/** Hours per minute and the time left, from what the CLI saw between two polls of the progress. */
export function eta(doneThen: number, msThen: number, doneNow: number, msNow: number, remaining: number): { perMinute: number; remainingMs: number | undefined } {
  const elapsed = msNow - msThen;
  const settled = doneNow - doneThen;
  if (elapsed <= 0 || settled <= 0) return { perMinute: 0, remainingMs: undefined };
  const perMinute = (settled / elapsed) * 60_000;
  return { perMinute, remainingMs: Math.round((remaining / settled) * elapsed) };
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** One line of the CLI's progress bar: `[####......] 4/10 done, 1 failed, 5 remaining, ETA 1m20s`. */
export function progressBar(counts: BackfillCounts, remainingMs: number | undefined, width = 20): string {
  const selected = counts.total - counts.skipped;
  const settled = counts.done + counts.failed;
  const filled = selected === 0 ? width : Math.round((settled / selected) * width);
  const remaining = counts.pending + counts.running;
  const etaText = remaining === 0 ? '' : `, ETA ${remainingMs === undefined ? '?' : duration(remainingMs)}`;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${counts.done}/${selected} done, ${counts.failed} failed, ${remaining} remaining${etaText}`;
}
