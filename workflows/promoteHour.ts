/**
 * Promotion of one event hour: make sure Bronze holds every event acknowledged before the run began,
 * build Silver and hourly Gold under this run's version, publish both in one step each, append the
 * ledger, then have the day's daily Gold recomputed. The workflow id is the business key
 * `promote-hour-<hour>`, so the same hour never runs twice at once.
 */
import {
  ApplicationFailure,
  defineQuery,
  defineSignal,
  proxyActivities,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { BronzeActivities } from '../activities/bronze';
import type { DriftActivities } from '../activities/drift';
import type { HourResult, PromoteActivities } from '../activities/promote';
import type { CtrDrift } from '../core/drift';
import type { RunReason } from '../core/lakeTables';
import { HOUR_MS, hourKey, parseHourKey } from '../core/time';
import { runVersion } from '../core/versions';
import { PROMOTION_STEP, REPORT_ONLY, SHORT } from './activityOptions';
import { failureReason, formatFailure } from './failures';
import { DAY_RESTATED_SIGNAL, promoteDay, promoteDayWorkflowId } from './promoteDay';

const bronze = proxyActivities<BronzeActivities>({ ...PROMOTION_STEP, heartbeatTimeout: '30 seconds' });
const promote = proxyActivities<PromoteActivities>(PROMOTION_STEP);
const drift = proxyActivities<DriftActivities>(REPORT_ONLY);
const audit = proxyActivities<PromoteActivities>(SHORT);

/** Patch id of re-promoting the next hour after a restatement (histories before it replay unchanged). */
export const RESESSIONIZE_NEXT_HOUR = 'resessionize-next-hour';
/** Patch id of recording a failed run (audit row, LakeStatus FAILED) before the workflow fails. */
export const RECORD_FAILED_RUN = 'record-failed-run';
/** Patch ids of telling a running next hour that this one was restated, and of building again when told. */
export const SIGNAL_RUNNING_NEXT_HOUR = 'signal-running-next-hour';
export const REBUILD_AFTER_PREVIOUS_RESTATED = 'rebuild-after-previous-restated';

/** Sent to a running promote-hour-<H+1> by a restatement of H: build again from H's new end state. */
export const previousHourRestatedSignal = defineSignal('previousHourRestated');

export interface PromoteHourInput {
  /** `YYYY-MM-DDTHH`, UTC hour of event_time. */
  readonly hour: string;
  /** Why it runs, recorded in the audit rows; `manual` when absent. A cascade run inherits it. */
  readonly reason?: RunReason;
  /** Publish even when the quality gate blocks (core/quality.ts); recorded as quality `accepted`. */
  readonly acceptQuality?: boolean;
}

export type PromoteHourStatus = 'WAITING_FOR_BRONZE' | 'BUILDING' | 'PUBLISHING' | 'READY' | 'FAILED';

export interface PromoteHourState {
  readonly status: PromoteHourStatus;
  readonly result?: HourResult;
  /** Real-time (Redis) against Gold for the hour; expected 0. Absent when the check could not run. */
  readonly drift?: CtrDrift;
  /** Why the run failed (`Type: message`), when FAILED. */
  readonly error?: string;
}

/** The run's progress and ledgers, for the Web UI and `clicklake status`. */
export const promoteHourStateQuery = defineQuery<PromoteHourState>('state');

export function promoteHourWorkflowId(hour: string): string {
  return `promote-hour-${hour}`;
}

export async function promoteHour(input: PromoteHourInput): Promise<HourResult> {
  let hour: string;
  let dt: string;
  try {
    ({ key: hour, dt } = parseHourKey(input.hour));
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`hour: ${(err as Error).message}`, 'BadInputError');
  }
  let state: PromoteHourState = { status: 'WAITING_FOR_BRONZE' };
  setHandler(promoteHourStateQuery, () => state);
  let previousHourRestated = false;
  setHandler(previousHourRestatedSignal, () => {
    previousHourRestated = true;
  });
  upsertSearchAttributes({ LakeHour: [hour], LakeDay: [dt], LakeDataset: ['events'], LakeLayer: ['silver'], LakeStatus: ['RUNNING'] });

  const info = workflowInfo();
  const reason = input.reason ?? 'manual';
  const identity = { workflowId: info.workflowId, runId: info.runId, version: runVersion(info.runStartTime.getTime(), info.runId), reason };

  let built: HourResult | undefined;
  try {
    // Every event acknowledged before this run began is in Kafka below these offsets; Bronze must pass them.
    const endOffsets = await bronze.captureEndOffsets();
    await bronze.waitForBronze({ endOffsets });

    // Build and publish; build again when the previous hour was restated meanwhile (its new end
    // state was published after this build may have read the old one): before publishing when it
    // came during the build, after when it came during the publish.
    const restatedMeanwhile = (): boolean => previousHourRestated && patched(REBUILD_AFTER_PREVIOUS_RESTATED);
    for (;;) {
      previousHourRestated = false;
      state = { status: 'BUILDING' };
      built = await promote.buildHour({ hour, ...identity, ...(input.acceptQuality === true ? { acceptQuality: true } : {}) });
      if (restatedMeanwhile()) continue;
      state = { status: 'PUBLISHING', result: built };
      await promote.publishHour({ result: built, ...identity });
      if (!restatedMeanwhile()) break;
    }
  } catch (err) {
    // An invariant broken, or an outage outlasting the bounded retries: the hour ends FAILED with
    // its reason, in the audit table and the Web UI, and nothing of this run is published.
    if (isCancellation(err) || !patched(RECORD_FAILED_RUN)) throw err;
    const reason = failureReason(err);
    const error = formatFailure(reason);
    state = { status: 'FAILED', result: built, error };
    upsertSearchAttributes({ LakeStatus: ['FAILED'] });
    try {
      await audit.recordFailedRun({ hour, error, silver: built?.silver, ...identity });
    } catch (auditErr) {
      log.error('the failed run could not be recorded in lake.audit.hour_runs', { hour, error, auditError: formatFailure(failureReason(auditErr)) });
    }
    throw ApplicationFailure.create({ message: `promote ${hour}: ${error}`, type: reason.type, nonRetryable: true, cause: err as Error });
  }
  const result = built;
  state = { status: 'READY', result };
  upsertSearchAttributes({ LakeStatus: ['READY'], LakeRowsIn: [result.silver.rows_in], LakeRowsOut: [result.silver.rows_out] });
  try {
    state = { ...state, drift: await drift.checkCtrDrift({ hour }) };
  } catch (err) {
    // The drift check reports; it never fails a published hour. Its failure is logged, never dropped.
    log.warn('real-time vs Gold drift check failed; the hour stays published', { hour, error: formatFailure(failureReason(err)) });
  }

  // The day's daily Gold must include this hour: start its recomputation, or tell the running one.
  // The running one may finish between the two calls (the signal then finds nothing): start again.
  for (let attempt = 1; ; attempt++) {
    try {
      await startChild(promoteDay, {
        workflowId: promoteDayWorkflowId(dt),
        args: [{ dt }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      });
      break;
    } catch (err) {
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
    try {
      await getExternalWorkflowHandle(promoteDayWorkflowId(dt)).signal(DAY_RESTATED_SIGNAL, hour);
      break;
    } catch (err) {
      if (attempt >= 10) throw err;
    }
  }

  // This version changed the derived sessions the next (published) hour starts from: promote that
  // hour again, which cascades only as far as its own end state changes. A run of it already under
  // way is told (it builds again if it had already begun), or started anew if it finished meanwhile.
  if (result.nextHourStale === true && patched(RESESSIONIZE_NEXT_HOUR)) await restateNextHour(hourKey(parseHourKey(hour).startMs + HOUR_MS), reason);
  return result;
}

async function restateNextHour(next: string, reason: RunReason): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await startChild(promoteHour, {
        workflowId: promoteHourWorkflowId(next),
        args: [{ hour: next, reason }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      });
      return;
    } catch (err) {
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
    // Histories recorded before the signal existed ended here, the running run left as it was.
    if (!patched(SIGNAL_RUNNING_NEXT_HOUR)) return;
    try {
      await getExternalWorkflowHandle(promoteHourWorkflowId(next)).signal(previousHourRestatedSignal);
      return;
    } catch (err) {
      if (attempt >= 10) throw err;
    }
  }
}
