/**
 * What a backfill asks of the outside world: the state of another workflow (a promotion of an hour
 * it joins, a day's recomputation it waits for), the hours that failed in the last closed backfill of
 * the same range (`--failed-only`), and which hours are STALE (`--stale-only`). Each is one short
 * call; the backfill polls with timers in between, so no activity slot is held while it waits.
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { BackfillHour } from '../core/backfill';
import type { ClicklakeConfig } from '../core/config';
import { hourStaleness } from './staleness';
import type { Lake } from './promote/lake';

export type WorkflowOutcome =
  | { readonly status: 'running' }
  | { readonly status: 'completed' }
  | { readonly status: 'failed'; readonly error: string }
  | { readonly status: 'not_found' };

/** The query every backfill answers (workflows/backfillRange.ts) and what it returns, hours included. */
export const BACKFILL_PROGRESS_QUERY = 'progress';

export interface BackfillActivities {
  /** The latest run of `workflowId`: running, completed, or failed with why. */
  workflowOutcome(input: { workflowId: string }): Promise<WorkflowOutcome>;
  /** The hours of the last closed (not continued-as-new) run of the backfill `workflowId`, or null. */
  previousBackfillHours(input: { workflowId: string }): Promise<BackfillHour[] | null>;
  /** The subset of `hours` whose published version misses Bronze events (STALE). */
  staleHours(input: { hours: string[] }): Promise<string[]>;
}

export interface BackfillDeps {
  /** The Temporal client the lookups use (built lazily by the worker's deps). */
  readonly client: () => Client;
  readonly lake?: Lake;
}

const CLOSED_FAILED = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);

export function createBackfillActivities(deps: BackfillDeps): BackfillActivities {
  return {
    async workflowOutcome({ workflowId }) {
      const handle = deps.client().workflow.getHandle(workflowId);
      try {
        const { status } = await handle.describe();
        if (status.name === 'RUNNING' || status.name === 'CONTINUED_AS_NEW') return { status: 'running' };
        if (status.name === 'COMPLETED') return { status: 'completed' };
        if (!CLOSED_FAILED.has(status.name)) return { status: 'running' };
        const error = await handle.result().then(
          () => status.name,
          (err: unknown) => (err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err)),
        );
        return { status: 'failed', error };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { status: 'not_found' };
        throw err;
      }
    },
    async previousBackfillHours({ workflowId }) {
      const client = deps.client();
      const closed: Array<{ runId: string; closeTime: number }> = [];
      for await (const run of client.workflow.list({ query: `WorkflowId = "${workflowId.replace(/"/g, '')}"` })) {
        if (run.status.name === 'RUNNING' || run.status.name === 'CONTINUED_AS_NEW') continue;
        closed.push({ runId: run.runId, closeTime: run.closeTime?.getTime() ?? 0 });
      }
      const last = closed.sort((a, b) => b.closeTime - a.closeTime)[0];
      if (last === undefined) return null;
      const progress = await client.workflow.getHandle(workflowId, last.runId).query<{ hours: BackfillHour[] }>(BACKFILL_PROGRESS_QUERY);
      return progress.hours;
    },
    async staleHours({ hours }) {
      const lake = deps.lake;
      if (lake === undefined) throw new Error('staleHours: no lake configured');
      const states = await Promise.all(hours.map(async (hour) => ({ hour, state: (await hourStaleness(lake, hour)).state })));
      return states.filter((s) => s.state === 'stale').map((s) => s.hour);
    },
  };
}

/** The backfill activities of a worker process: a lazily connected client to its Temporal server. */
export function workerBackfillDeps(config: ClicklakeConfig, lake: Lake): BackfillDeps {
  let client: Client | undefined;
  return {
    lake,
    client: () => (client ??= new Client({ connection: Connection.lazy({ address: config.temporal.address }), namespace: config.temporal.namespace })),
  };
}
