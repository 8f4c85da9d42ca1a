/**
 * `clicklake delete-user`: the user's user_key is computed here, at once, and only it leaves this
 * process. The request's entry is written to the erasure list first (it applies to every ingestion
 * and promotion from that moment, even while no worker runs), then workflow `erase-user-<request id>`
 * starts with the key; `--wait` waits for it and returns its final record.
 */
import { randomBytes } from 'node:crypto';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { connectTemporal, createS3 } from '../activities/clients';
import { putErasureEntry } from '../activities/erasure/list';
import type { ClicklakeConfig } from '../core/config';
import { erasureRequestId, erasureWorkflowId, pendingErasureRow, type ErasureEntry, type ErasureRow } from '../core/erasure';
import { BadInputError } from '../core/errors';
import { FIELD_LIMITS } from '../core/event';
import { codePointLength } from '../core/text';
import { userKey } from '../core/silver';
import { eraseUser } from '../workflows';
import { eraseUserStateQuery } from '../workflows/eraseUser';
import { ensureSearchAttributes } from './backfill';

/** A user_id as the event contract allows it (CONTRACT §1): 1-128 characters. */
export function checkUserId(userId: string): void {
  const length = codePointLength(userId);
  if (length < 1 || length > FIELD_LIMITS.userId) throw new BadInputError(`--user-id: must be 1-${FIELD_LIMITS.userId} characters, got ${length}`);
}

export interface ErasureRequest {
  readonly userId: string;
  readonly suppress: boolean;
  readonly wait: boolean;
}

export async function requestErasure(config: ClicklakeConfig, request: ErasureRequest, nowMs: number, progress: (message: string) => void): Promise<ErasureRow> {
  checkUserId(request.userId);
  const entry: ErasureEntry = {
    request_id: erasureRequestId(nowMs, randomBytes(4).toString('hex')),
    user_key: userKey(config.pii.hmacKey, request.userId),
    requested_at: nowMs,
    suppress: request.suppress,
  };
  const s3 = createS3(config.s3);
  try {
    await putErasureEntry(s3, config.s3.bucket, entry);
  } finally {
    s3.destroy();
  }
  const connection = await connectTemporal(config.temporal);
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    await ensureSearchAttributes(connection, config.temporal.namespace);
    const workflowId = erasureWorkflowId(entry.request_id);
    const handle = await client.workflow.start(eraseUser, { workflowId, taskQueue: config.temporal.taskQueue, args: [entry] });
    progress(`started ${workflowId} (user_key ${entry.user_key.slice(0, 12)}…)`);
    if (!request.wait) return pendingErasureRow(entry);
    try {
      return await handle.result();
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      // The record as the failed run left it (status failed, with the error).
      return await handle.query(eraseUserStateQuery);
    }
  } finally {
    await connection.close();
  }
}
