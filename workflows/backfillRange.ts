/**
 * A backfill: every hour of a range promoted again (`promote-hour-<hour>` children with reason
 * `backfill`) at most `concurrency` at once, then the touched days' daily Gold waited for. It runs,
 * with its children, on its own task queue (the one it was started on, `clicklake-backfill`), so the
 * hourly schedule and the reconciler on `clicklake` never queue behind it.
 *
 * - The per-hour state (core/backfill.ts) is workflow state: the `progress` query and the search
 *   attributes show it, it survives worker and server restarts, and it is carried through
 *   continueAsNew (after `hoursPerRun` hours settle, once the running children finished).
 * - An hour whose promotion is already running (the schedule, the reconciler) is joined: the
 *   backfill waits for that run and takes its outcome (`by: 'other'`) instead of running it again.
 * - Cancelled: nothing new starts, the running children are left to finish (a promotion publishes
 *   atomically, so an hour is either published or not), the pending hours are skipped, and the
 *   workflow ends Cancelled with its `progress` still answering.
 * - `--failed-only` re-runs the hours that failed in the last closed backfill of the same range,
 *   read through its `progress` query; `--stale-only` only the hours that are STALE now.
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  defineQuery,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { BackfillActivities } from '../activities/backfill';
import {
  checkConcurrency,
  countHours,
  failedHours,
  initialState,
  nextToStart,
  planHours,
  progressKeyword,
  skipPending,
  summarize,
  touchedDays,
  transition,
  withDay,
  type BackfillCounts,
  type BackfillEvent,
  type BackfillState,
  type BackfillSummary,
} from '../core/backfill';
import { SHORT } from './activityOptions';
import { failureReason, formatFailure } from './failures';
import { promoteDayWorkflowId } from './promoteDay';
import { closedOutcome } from './outcome';
import { promoteHour, promoteHourWorkflowId } from './promoteHour';

const lookups = proxyActivities<BackfillActivities>(SHORT);

export interface BackfillInput {
  readonly from: string;
  readonly to: string;
  /** Hours promoted at once (default 4). */
  readonly concurrency?: number;
  readonly failedOnly?: boolean;
  readonly staleOnly?: boolean;
  readonly dryRun?: boolean;
  /** A free-text note (`--reason`), kept in the memo and the result; audit rows say `backfill`. */
  readonly reason?: string;
  /** Hours settled per run before continueAsNew (default 200). */
  readonly hoursPerRun?: number;
  /** The state carried from the previous run of the chain. */
  readonly carried?: BackfillState;
}

export type BackfillPhase = 'hours' | 'days' | 'done' | 'cancelled';

export interface BackfillProgress extends BackfillState {
  readonly workflow_id: string;
  readonly from: string;
  readonly to: string;
  readonly phase: BackfillPhase;
  readonly counts: BackfillCounts;
  readonly reason?: string;
}

export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');

export const DEFAULT_BACKFILL_CONCURRENCY = 4;
const DEFAULT_HOURS_PER_RUN = 200;

function badInput(err: unknown): never {
  throw ApplicationFailure.nonRetryable((err as Error).message, 'BadInputError');
}

/** The hours this backfill selects: all, the failed ones of the last backfill, or the STALE ones. */
async function firstState(input: BackfillInput, planned: string[]): Promise<BackfillState> {
  if (input.failedOnly === true) {
    const previous = await lookups.previousBackfillHours({ workflowId: workflowInfo().workflowId });
    if (previous === null) badInput(new Error(`--failed-only: no earlier backfill of ${input.from}..${input.to} to take the failed hours from`));
    return initialState(planned, new Set(failedHours(previous)), 'did not fail in the last backfill');
  }
  if (input.staleOnly === true) return initialState(planned, new Set(await lookups.staleHours({ hours: planned })), 'not stale');
  return initialState(planned);
}

/**
 * Promotes one hour as a child on the backfill's task queue, or, when a run of it is under way,
 * waits for that run; the hour's next event, never a throw (a failure is the hour's, not the backfill's).
 */
async function promoteOnce(hour: string, taskQueue: string): Promise<BackfillEvent> {
  const workflowId = promoteHourWorkflowId(hour);
  try {
    const child = await startChild(promoteHour, {
      workflowId,
      taskQueue,
      args: [{ hour, reason: 'backfill' }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    await child.result();
    return { type: 'done', by: 'backfill' };
  } catch (err) {
    if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') return { type: 'fail', error: formatFailure(failureReason(err)) };
  }
  // The schedule or the reconciler is promoting the hour right now: take that run's outcome.
  try {
    const joined = await closedOutcome(workflowId);
    return joined.ok ? { type: 'done', by: 'other' } : { type: 'fail', error: joined.error };
  } catch (err) {
    return { type: 'fail', error: formatFailure(failureReason(err)) };
  }
}

/** Waits for the `promote-day` run of every touched day, recording each outcome through `update`. */
async function awaitDays(state: BackfillState, update: (state: BackfillState) => BackfillState): Promise<void> {
  const days = touchedDays(state);
  let current = state;
  for (const dt of days) current = update(withDay(current, { dt, state: 'pending' }));
  await Promise.all(
    days.map(async (dt) => {
      let outcome: { ok: true } | { ok: false; error: string };
      try {
        outcome = await closedOutcome(promoteDayWorkflowId(dt));
      } catch (err) {
        outcome = { ok: false, error: formatFailure(failureReason(err)) };
      }
      current = update(withDay(current, outcome.ok ? { dt, state: 'done' } : { dt, state: 'failed', error: outcome.error }));
    }),
  );
}

export async function backfillRange(input: BackfillInput): Promise<BackfillSummary> {
  let planned: string[] = [];
  let concurrency = DEFAULT_BACKFILL_CONCURRENCY;
  try {
    planned = planHours(input.from, input.to);
    concurrency = checkConcurrency(input.concurrency ?? DEFAULT_BACKFILL_CONCURRENCY);
  } catch (err) {
    badInput(err);
  }
  const info = workflowInfo();
  let phase: BackfillPhase = 'hours';
  let state: BackfillState = input.carried ?? initialState([]);
  setHandler(backfillProgressQuery, () => ({ workflow_id: info.workflowId, from: input.from, to: input.to, phase, counts: countHours(state), ...(input.reason === undefined ? {} : { reason: input.reason }), ...state }));
  if (input.carried === undefined) state = await firstState(input, planned);
  const report = (status: string): void => {
    upsertSearchAttributes({ LakeDataset: ['backfill'], LakeStatus: [status], LakeProgress: [progressKeyword(countHours(state))] });
  };
  const extra = { reason: input.reason };
  if (input.dryRun === true) {
    phase = 'done';
    return summarize(info.workflowId, state, { ...extra, dryRun: true });
  }
  report('RUNNING');

  let cancelled = false;
  CancellationScope.current().cancelRequested.catch(() => {
    cancelled = true;
  });
  const hoursPerRun = input.hoursPerRun ?? DEFAULT_HOURS_PER_RUN;
  const settle = (hour: string, event: BackfillEvent): void => {
    state = transition(state, hour, event);
    report('RUNNING');
  };
  // Never cancelled from outside: a cancel request only stops new starts (the flag above).
  const settledAll = await CancellationScope.nonCancellable(async () => {
    let settledHere = 0;
    let running = 0;
    for (;;) {
      const startNow = cancelled || settledHere >= hoursPerRun ? [] : nextToStart(state, concurrency).slice(0, Math.max(0, hoursPerRun - settledHere - running));
      for (const hour of startNow) {
        settle(hour, { type: 'start' });
        running++;
        void promoteOnce(hour, info.taskQueue).then((event) => {
          settle(hour, event);
          running--;
          settledHere++;
        });
      }
      if (running === 0) return countHours(state).pending === 0;
      const before = settledHere;
      await condition(() => settledHere !== before || (cancelled && running === 0));
    }
  });

  if (cancelled) {
    state = skipPending(state, 'backfill cancelled');
    phase = 'cancelled';
    report('CANCELLED');
    throw new CancelledFailure('backfill cancelled');
  }
  if (!settledAll) await continueAsNew<typeof backfillRange>({ ...input, carried: state });

  phase = 'days';
  await awaitDays(state, (next) => (state = next));
  phase = 'done';
  const summary = summarize(info.workflowId, state, extra);
  report(summary.hours.failed > 0 || summary.days.failed > 0 ? 'FAILED' : 'READY');
  return summary;
}
