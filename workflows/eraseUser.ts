/**
 * Erasure of one user (`clicklake delete-user`), workflow `erase-user-<request id>`. Its input holds
 * the user_key, never the raw user_id, so its history names nobody.
 *
 * 1. The request goes into the erasure list (and `lake.audit.erasures`, status `pending`): from then
 *    on every Bronze ingestion and every promotion drops the user's events (core/erasure.ts).
 * 2. After ERASURE_LIST_GRACE_MS, when every ingestion has read the list again, the planner finds the
 *    user's hours (core/erasure.ts planErasureWork): their Bronze objects are rewritten without the
 *    user; each published hour is promoted again with reason `erasure` as the child
 *    `promote-hour-<hour>`, and its day follows.
 * 3. Races: a promotion of the hour already under way (scheduled, reconciliation, backfill) may have
 *    read the list before the request. It is waited for, then this erasure's own promotion runs, which
 *    read the list after the request: the hour's last published version is one built without the user.
 * 4. Every version older than the published one of those partitions is deleted (no rollback brings
 *    the user back); the record says until when Kafka's retention keeps its own copies (status `done`).
 * 5. Verification scans the Bronze of the hours and every Silver version still present; when it
 *    finds something (an ingestion that had not yet read the list), steps 2-5 run again, at most
 *    MAX_ROUNDS times. Only a clean pass sets `verified_at` (status `verified`).
 * A failure ends the workflow FAILED with its reason, and the record says `failed` with the error.
 */
import { ApplicationFailure, defineQuery, executeChild, isCancellation, log, proxyActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { ErasureActivities } from '../activities/erasure';
import { ERASURE_LIST_GRACE_MS, pendingErasureRow, planErasureWork, type ErasureEntry, type ErasureRow } from '../core/erasure';
import { PROMOTION_STEP, SHORT } from './activityOptions';
import { failureReason, formatFailure } from './failures';
import { closedOutcome } from './outcome';
import { promoteDayWorkflowId } from './promoteDay';
import { promoteHour, promoteHourWorkflowId } from './promoteHour';

const erasure = proxyActivities<ErasureActivities>(PROMOTION_STEP);
const record = proxyActivities<ErasureActivities>(SHORT);

/** Rounds of rewrite, restate and verify before the erasure fails as incomplete. */
export const MAX_ROUNDS = 3;
/** How often a running promotion of an hour is waited for before this erasure gives up on the hour. */
const MAX_JOINS = 20;

export type EraseUserInput = ErasureEntry;

/** The erasure record as it stands, for the Web UI and `delete-user --wait`. */
export const eraseUserStateQuery = defineQuery<ErasureRow>('state');

/**
 * Promotes the hour again, reason `erasure`, as the business-keyed child; when a run of it is under
 * way, waits for that run to close and then runs its own (that run may predate the request).
 */
async function restateHour(hour: string): Promise<void> {
  const workflowId = promoteHourWorkflowId(hour);
  for (let join = 1; ; join++) {
    try {
      // The gate's block is a judgement on the data, which an erasure must not be held up by.
      await executeChild(promoteHour, { workflowId, args: [{ hour, reason: 'erasure', acceptQuality: true }] });
      return;
    } catch (err) {
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError' || join >= MAX_JOINS) throw err;
    }
    await closedOutcome(workflowId);
  }
}

/** Every day's daily Gold, which the restated hours started or signalled, has closed; its failure is the erasure's. */
async function awaitDays(days: readonly string[]): Promise<void> {
  for (const dt of days) {
    const outcome = await closedOutcome(promoteDayWorkflowId(dt));
    if (!outcome.ok) throw ApplicationFailure.nonRetryable(`daily Gold of ${dt}: ${outcome.error}`, 'DayFailedError');
  }
}

interface Totals {
  objects: number;
  records: number;
  silverRows: number;
  readonly bronzeHours: Set<string>;
  readonly restated: Set<string>;
  readonly days: Set<string>;
}

/** One round of steps 2-4; adds what it did to `totals`. */
async function eraseRound(entry: ErasureEntry, totals: Totals): Promise<void> {
  const work = planErasureWork(await erasure.planErasure({ entry }));
  totals.silverRows += work.silverRows;
  for (const hour of work.bronzeHours) {
    const rewritten = await erasure.rewriteBronzeForErasure({ hour, entry });
    totals.objects += rewritten.objects.length;
    totals.records += rewritten.recordsRemoved;
    totals.bronzeHours.add(hour);
  }
  for (const hour of work.restateHours) {
    await restateHour(hour);
    totals.restated.add(hour);
  }
  await awaitDays(work.days);
  for (const dt of work.days) totals.days.add(dt);
  await erasure.purgeErasedVersions({ hours: [...totals.restated].sort(), days: [...totals.days].sort(), entry });
}

export async function eraseUser(input: EraseUserInput): Promise<ErasureRow> {
  const entry: ErasureEntry = { request_id: input.request_id, user_key: input.user_key, requested_at: input.requested_at, suppress: input.suppress };
  let row: ErasureRow = pendingErasureRow(entry);
  setHandler(eraseUserStateQuery, () => row);
  upsertSearchAttributes({ LakeDataset: ['erasure'], LakeStatus: ['RUNNING'] });
  const totals: Totals = { objects: 0, records: 0, silverRows: 0, bronzeHours: new Set(), restated: new Set(), days: new Set() };
  try {
    await record.recordErasure({ entry, row });
    await sleep(ERASURE_LIST_GRACE_MS);
    const kafka = await record.kafkaCopiesExpiry({ requestedAt: entry.requested_at });
    for (let round = 1; ; round++) {
      await eraseRound(entry, totals);
      const hours = [...totals.bronzeHours].sort();
      row = {
        ...row,
        status: 'done',
        bronze_objects_rewritten: totals.objects,
        bronze_records_removed: totals.records,
        silver_rows_removed: totals.silverRows,
        hours_restated: totals.restated.size,
        days_restated: totals.days.size,
        kafka_expiry: kafka.kafkaExpiry,
        details: JSON.stringify({
          rounds: round,
          bronze_hours: hours,
          hours_restated: [...totals.restated].sort(),
          days_restated: [...totals.days].sort(),
          kafka: { topics: kafka.topics, note: 'records cannot be deleted one by one; retention deletes every copy by kafka_expiry, and the erasure list keeps them out of the lake until then and after' },
          redis: 'real-time counters hold per-campaign minute counts and event ids, no user identity: nothing to erase',
          dead_letters: 'the dead-letter topic ages out by its retention (in kafka_expiry); nothing copies it into the lake',
          versions: 'every partition version older than the published one deleted',
        }),
      };
      row = await record.recordErasure({ entry, row, stamp: 'completed_at' });
      const { findings } = await erasure.verifyErasure({ entry, hours, days: [...totals.days].sort() });
      if (findings.length === 0) break;
      log.warn('erasure: the user is still present; another round', { request_id: entry.request_id, round, findings: findings.slice(0, 10) });
      if (round >= MAX_ROUNDS) {
        throw ApplicationFailure.nonRetryable(`still present after ${round} rounds: ${findings.slice(0, 5).join('; ')}`, 'ErasureIncompleteError');
      }
    }
  } catch (err) {
    if (isCancellation(err)) throw err;
    const error = formatFailure(failureReason(err));
    row = { ...row, status: 'failed', error };
    upsertSearchAttributes({ LakeStatus: ['FAILED'] });
    try {
      await record.recordErasure({ entry, row });
    } catch (recordErr) {
      log.error('the failed erasure could not be recorded in lake.audit.erasures', { request_id: entry.request_id, error, recordError: formatFailure(failureReason(recordErr)) });
    }
    throw ApplicationFailure.create({ message: `erase ${entry.request_id}: ${error}`, type: failureReason(err).type, nonRetryable: true, cause: err as Error });
  }
  row = await record.recordErasure({ entry, row: { ...row, status: 'verified' }, stamp: 'verified_at' });
  upsertSearchAttributes({ LakeStatus: ['READY'] });
  return row;
}
