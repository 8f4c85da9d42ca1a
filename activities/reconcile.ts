/**
 * The activities of late-data reconciliation (workflows/reconcileLate.ts): the STALE hours of a
 * window, found cheaply (one delimited LIST of the hour index over the window, then per indexed hour
 * the staleness check of activities/staleness.ts: a LIST and a few GETs, never an object read), and
 * waiting for a lake workflow already under way (a promotion of the hour, the day's daily Gold).
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { hourIndexPrefix } from '../core/bronze';
import { indexedHours, type ReconcileWindow, type StaleHour } from '../core/reconcile';
import type { Lake } from './promote/lake';
import { hourStaleness } from './staleness';

/** How many hours' staleness is checked at once. */
const CHECKS_AT_ONCE = 8;
const HEARTBEAT_EVERY_MS = 10_000;

/** The hours of the window the hour index names (one delimited LIST, paged, starting at the window). */
export async function listIndexedHours(lake: Lake, window: ReconcileWindow): Promise<string[]> {
  const base = hourIndexPrefix('');
  const root = base.slice(0, base.length - 'hour=/'.length);
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const out = await lake.s3.send(
      new ListObjectsV2Command({ Bucket: lake.bucket, Prefix: root, Delimiter: '/', StartAfter: token === undefined ? `${root}hour=${window.from}` : undefined, ContinuationToken: token }),
    );
    const page = (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? '');
    prefixes.push(...page);
    // Hours sort as text: past the window's end, the rest is later still.
    if (page.some((p) => p > `${root}hour=${window.to}/`)) break;
    token = out.NextContinuationToken;
  } while (token);
  return indexedHours(prefixes, window);
}

/** The STALE hours of the window, oldest first, with the events waiting and the version that missed them. */
export async function staleHours(lake: Lake, window: ReconcileWindow): Promise<StaleHour[]> {
  const hours = await listIndexedHours(lake, window);
  const stale: StaleHour[] = [];
  for (let i = 0; i < hours.length; i += CHECKS_AT_ONCE) {
    const batch = hours.slice(i, i + CHECKS_AT_ONCE);
    const states = await Promise.all(batch.map((hour) => hourStaleness(lake, hour)));
    states.forEach((s, j) => {
      if (s.state === 'stale') stale.push({ hour: batch[j] as string, waiting_events: s.waiting_events, version: s.version });
    });
    Context.current().heartbeat({ checked: i + batch.length, of: hours.length });
  }
  return stale;
}

export type AwaitedWorkflow = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

/**
 * The result of the latest run of a workflow (following its continuations), waited for while
 * heartbeating; a failed run is a result too (`ok: false` with its cause), not an activity failure.
 */
export async function awaitWorkflow(workflowId: string): Promise<AwaitedWorkflow> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat({ workflowId }), HEARTBEAT_EVERY_MS);
  try {
    return { ok: true, result: await ctx.client.workflow.getHandle(workflowId).result() };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { ok: false, error: err.cause?.message ?? err.message };
    throw err;
  } finally {
    clearInterval(timer);
  }
}

export function createReconcileActivities(deps: { readonly lake: Lake }) {
  return {
    /** The STALE hours of the window, oldest first. */
    listStaleHours(input: ReconcileWindow): Promise<StaleHour[]> {
      return staleHours(deps.lake, input);
    },
    /** Waits for the workflow of this id (its latest run) to close; its result, or why it failed. */
    awaitLakeWorkflow(input: { workflowId: string }): Promise<AwaitedWorkflow> {
      return awaitWorkflow(input.workflowId);
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
