/**
 * `clicklake backfill` against Temporal: start the backfill of a range on the backfill task queue
 * (or attach to the one running), follow its `progress` query until it ends, or cancel it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { CancelledFailure, Client, isGrpcDeadlineError, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { connectTemporal } from '../activities/clients';
import { backfillWorkflowId, checkConcurrency, planHours, summarize, type BackfillSummary } from '../core/backfill';
import type { ClicklakeConfig } from '../core/config';
import { BadInputError } from '../core/errors';
import { SEARCH_ATTRIBUTES } from '../core/searchAttributes';
import { parseHourKey } from '../core/time';
import type { BackfillInput, BackfillProgress, backfillRange } from '../workflows/backfillRange';

export interface BackfillRequest extends Omit<BackfillInput, 'carried'> {
  readonly cancel?: boolean;
}

export interface BackfillWatch {
  /** Called with each progress read, and whether this call attached to a backfill already running. */
  readonly onProgress?: (progress: BackfillProgress, attached: boolean) => void;
  readonly pollMs?: number;
}

const INDEXED: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

/**
 * Registers the lake's search attributes the server lacks (a server started before the backfill's
 * counts existed); a new server gets them all at start (infra/services/temporal.ts).
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED[type] as temporal.api.enums.v1.IndexedValueType])) });
}

function cancelledRun(err: unknown): boolean {
  return err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure;
}

/** Reads the progress until the workflow ends; a failed read (worker restarting) keeps the last one. */
async function follow(handle: WorkflowHandle<typeof backfillRange>, attached: boolean, watch: BackfillWatch): Promise<{ summary?: BackfillSummary; cancelled: boolean }> {
  let ended: { summary?: BackfillSummary; cancelled: boolean } | undefined;
  let failure: unknown;
  const result = handle.result().then(
    (summary) => (ended = { summary, cancelled: false }),
    (err: unknown) => {
      if (cancelledRun(err)) ended = { cancelled: true };
      else failure = err;
    },
  );
  for (;;) {
    await Promise.race([result, delay(watch.pollMs ?? 1000)]);
    if (failure !== undefined) throw failure;
    const progress = await handle.query<BackfillProgress>('progress').catch(() => undefined);
    if (progress !== undefined) watch.onProgress?.(progress, attached);
    if (ended !== undefined) return ended;
  }
}

async function cancelBackfill(client: Client, workflowId: string, watch: BackfillWatch): Promise<BackfillSummary> {
  const handle = client.workflow.getHandle<typeof backfillRange>(workflowId);
  const { status } = await handle.describe().catch(() => ({ status: { name: 'NONE' } }));
  if (status.name !== 'RUNNING') throw new BadInputError(`backfill --cancel: no backfill of this range is running (${workflowId})`);
  await handle.cancel();
  const ended = await follow(handle, true, watch);
  return ended.summary ?? cancelledSummary(await queryProgress(handle));
}

function cancelledSummary(progress: BackfillProgress): BackfillSummary {
  return summarize(progress.workflow_id, progress, { reason: progress.reason, cancelled: true });
}

/** Starts the backfill on `taskQueue` (or attaches to the one running, or cancels it) and follows it to its summary. */
export async function backfillWithClient(client: Client, taskQueue: string, request: BackfillRequest, watch: BackfillWatch = {}): Promise<BackfillSummary> {
  const from = parseHourKey(request.from).key;
  const to = parseHourKey(request.to).key;
  const workflowId = backfillWorkflowId(from, to);
  if (request.cancel === true) return cancelBackfill(client, workflowId, watch);
  // The workflow refuses these too; refused here, the message names the reason instead of "execution failed".
  planHours(from, to);
  if (request.concurrency !== undefined) checkConcurrency(request.concurrency);
  const { cancel: _cancel, ...input } = request;
  let handle: WorkflowHandle<typeof backfillRange>;
  let attached = false;
  try {
    handle = await client.workflow.start<typeof backfillRange>('backfillRange', {
      workflowId,
      taskQueue,
      args: [{ ...input, from, to }],
      memo: request.reason === undefined ? {} : { reason: request.reason },
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    handle = client.workflow.getHandle<typeof backfillRange>(workflowId);
    attached = true;
  }
  const ended = await follow(handle, attached, watch);
  return ended.summary ?? cancelledSummary(await queryProgress(handle));
}

/**
 * The progress of a workflow that has closed: answering it means a worker replays the history, which
 * on a loaded machine can outlast the server's query deadline (DEADLINE_EXCEEDED, seen in CI); asked
 * again a few times before the error reaches the user.
 */
async function queryProgress(handle: WorkflowHandle<typeof backfillRange>, attempts = 4): Promise<BackfillProgress> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await handle.query<BackfillProgress>('progress');
    } catch (err) {
      if (attempt >= attempts || !isGrpcDeadlineError(err)) throw err;
      await delay(500 * attempt);
    }
  }
}

/** `clicklake backfill` on the configured server and backfill task queue. */
export async function runBackfill(config: ClicklakeConfig, request: BackfillRequest, watch: BackfillWatch = {}): Promise<BackfillSummary> {
  const connection = await connectTemporal(config.temporal);
  try {
    if (request.cancel !== true) await ensureSearchAttributes(connection, config.temporal.namespace);
    const client = new Client({ connection, namespace: config.temporal.namespace });
    return await backfillWithClient(client, config.backfill.taskQueue, { ...request, concurrency: request.concurrency ?? config.backfill.concurrency }, watch);
  } finally {
    await connection.close();
  }
}
