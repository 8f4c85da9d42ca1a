/**
 * The run loop of Bronze ingestion: joins the consumer group, feeds fetched batches to the session
 * (activities/bronze/session.ts), flushes what is due every tick, and stops at its deadline or on
 * cancellation. A failed step fails the run with its error on the next tick.
 */
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { errorMessage } from '../../core/errors';
import { IngestSession } from './session';
import type { IngestInput, IngestProgress, StepLog } from './types';
import type { RangeWriterDeps } from './writeRange';
import { writeRange } from './writeRange';
import { existingManifestFrom } from './objects';

export const BRONZE_GROUP = 'clicklake-bronze';

export interface IngestRunDeps extends Omit<RangeWriterDeps, 'producer'> {
  readonly kafka: Kafka;
  /** Consumer group; default BRONZE_GROUP (bench/ingest runs in a group of its own, off the real lake's offsets). */
  readonly group?: string;
}

/** What the run needs from its activity context. */
export interface IngestRunContext {
  readonly heartbeat: (details: IngestProgress) => void;
  readonly cancellationSignal: AbortSignal;
  readonly log: StepLog;
}

function sessionOf(deps: IngestRunDeps, input: IngestInput, ctx: IngestRunContext, consumer: Consumer, producer: Producer): IngestSession {
  return new IngestSession({
    input,
    existingManifestFrom: (partition, firstOffset) => existingManifestFrom(deps.s3, deps.bucket, deps.topic, partition, firstOffset),
    writeRange: (partition, messages) => writeRange({ ...deps, producer }, partition, messages),
    commitOffset: (partition, nextOffset) => consumer.commitOffsets([{ topic: deps.topic, partition, offset: String(nextOffset) }]),
    heartbeat: ctx.heartbeat,
    log: ctx.log,
  });
}

async function startConsuming(consumer: Consumer, session: IngestSession, topic: string): Promise<void> {
  await consumer.subscribe({ topic, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, () => session.onRebalance());
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, heartbeat, resolveOffset }) => {
      await session.accept(batch.partition, batch.messages);
      // Local read position only (autoCommit is off): the group offset moves in flush, once durable.
      const lastOffset = batch.messages[batch.messages.length - 1]?.offset;
      if (lastOffset !== undefined) resolveOffset(lastOffset);
      await session.flushDue(false);
      await heartbeat();
    },
  });
}

/** Ticks until the deadline or cancellation, flushing what is due; throws the first failed step's error. */
async function tickUntilDone(session: IngestSession, input: IngestInput, ctx: IngestRunContext): Promise<void> {
  const deadline = Date.now() + input.runForMs;
  while (Date.now() < deadline && !ctx.cancellationSignal.aborted) {
    await new Promise((r) => setTimeout(r, Math.min(1000, input.maxAgeMs)));
    session.throwIfFailed();
    await session.flushDue(false);
    ctx.heartbeat(session.progress);
  }
  session.throwIfFailed();
  if (!ctx.cancellationSignal.aborted) await session.flushDue(true);
}

/** Disconnects a client; a failure to leave cleanly is logged (the broker times the member out). */
async function disconnect(client: { disconnect(): Promise<void> }, what: string, log: StepLog): Promise<void> {
  try {
    await client.disconnect();
  } catch (err) {
    log.warn('bronze ingest: disconnect failed', { client: what, error: errorMessage(err) });
  }
}

/** Consumes until `runForMs` passes or the activity is cancelled; returns what it wrote. */
export async function runIngest(deps: IngestRunDeps, input: IngestInput, ctx: IngestRunContext): Promise<IngestProgress> {
  const started = Date.now();
  const group = deps.group ?? BRONZE_GROUP;
  ctx.log.info('bronze ingest: start', { topic: deps.topic, group, ...input });
  const consumer = deps.kafka.consumer({ groupId: group, sessionTimeout: 30_000, heartbeatInterval: 3000, maxWaitTimeInMs: 500 });
  const producer = deps.kafka.producer({ idempotent: true, retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5000 } });
  const session = sessionOf(deps, input, ctx, consumer, producer);
  try {
    await producer.connect();
    await consumer.connect();
    await startConsuming(consumer, session, deps.topic);
    await tickUntilDone(session, input, ctx);
  } finally {
    await disconnect(consumer, 'consumer', ctx.log);
    await disconnect(producer, 'producer', ctx.log);
    const { objects, records, deadLetters, adopted, committed } = session.progress;
    ctx.log.info('bronze ingest: stop', { objects, records, deadLetters, adopted, partitions: Object.keys(committed).length, ms: Date.now() - started, failed: session.failed !== undefined });
  }
  return session.progress;
}
