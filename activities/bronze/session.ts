/**
 * The buffering and flushing of one Bronze ingestion run, with its dependencies passed in (Kafka's
 * offset commit, the S3 steps, the heartbeat), so its failure paths are testable without services.
 *
 * Every step (a batch joining its partition's buffer, a flush) runs one at a time, in arrival order.
 * The first step that fails poisons the session: its error is kept in the `failure` slot, every
 * later step fails with it, and the run loop throws it (`throwIfFailed`), so the activity fails with
 * that error and Temporal retries it from the committed offsets. Nothing runs in the background
 * without a handler: the flush a rebalance starts records its error in the slot instead of becoming
 * an unhandled rejection, and no later flush can write past a range that was lost.
 */
import type { KafkaMessage } from 'kafkajs';
import { parseOffset, type BronzeManifest } from '../../core/bronze';
import { errorMessage } from '../../core/errors';
import type { IngestInput, IngestProgress, StepLog, WrittenRange } from './types';

export interface IngestSessionDeps {
  readonly input: IngestInput;
  /** The manifest of a range an earlier attempt wrote from this offset, if any. */
  readonly existingManifestFrom: (partition: number, firstOffset: number) => Promise<BronzeManifest | undefined>;
  readonly writeRange: (partition: number, messages: readonly KafkaMessage[]) => Promise<WrittenRange>;
  /** Commits the group offset of a partition (the next offset to read). */
  readonly commitOffset: (partition: number, nextOffset: number) => Promise<void>;
  readonly heartbeat: (progress: IngestProgress) => void;
  readonly log: StepLog;
  readonly now?: () => number;
}

interface Buffered {
  readonly messages: KafkaMessage[];
  readonly since: number;
}

export class IngestSession {
  readonly progress: IngestProgress = { objects: 0, records: 0, deadLetters: 0, adopted: 0, committed: {} };
  private readonly buffers = new Map<number, Buffered>();
  private chain: Promise<void> = Promise.resolve();
  private rebalancing = false;
  private failure: { readonly error: unknown } | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: IngestSessionDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The error of the first failed step, if one failed. */
  get failed(): { readonly error: unknown } | undefined {
    return this.failure;
  }

  /** Throws the error of the first failed step: the run loop calls it on every tick. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private fail(err: unknown): void {
    if (this.failure) return;
    this.failure = { error: err };
    this.deps.log.error('bronze ingest: a step failed; the activity fails with its error', { error: errorMessage(err), errorName: err instanceof Error ? err.name : typeof err });
  }

  /**
   * Runs a step after the ones before it. Its error reaches the caller through the returned promise
   * and poisons the session; the chain itself only orders the steps and always settles.
   */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(() => {
      this.throwIfFailed();
      return fn();
    });
    this.chain = next.then(
      () => undefined,
      (err: unknown) => this.fail(err),
    );
    return next;
  }

  /**
   * Adds a fetched batch to its partition's buffer. A batch can overlap what is buffered (kafkajs
   * re-fetches from the committed offset after a rebalance): each offset is kept once.
   */
  accept(partition: number, messages: readonly KafkaMessage[]): Promise<void> {
    return this.serial(async () => {
      const buffered = this.buffers.get(partition) ?? { messages: [], since: this.now() };
      const lastMessage = buffered.messages[buffered.messages.length - 1];
      const last = lastMessage === undefined ? -1 : parseOffset(lastMessage.offset);
      const done = this.progress.committed[String(partition)] ?? 0;
      for (const m of messages) {
        const offset = parseOffset(m.offset);
        if (offset > last && offset >= done) buffered.messages.push(m);
      }
      if (buffered.messages.length > 0) this.buffers.set(partition, buffered);
    });
  }

  /** Flushes every buffer that is full or old enough (every buffer when `force`). */
  flushDue(force: boolean): Promise<void> {
    return this.serial(async () => {
      const now = this.now();
      for (const [partition, buffered] of [...this.buffers]) {
        if (force || buffered.messages.length >= this.deps.input.maxRecordsPerObject || now - buffered.since >= this.deps.input.maxAgeMs) await this.flush(partition);
      }
    });
  }

  /**
   * After a rebalance kafkajs keeps reading kept partitions from its position, not from the committed
   * offset, so nothing buffered may be dropped: everything is written out now. The flush runs in the
   * background of kafkajs's GROUP_JOIN event; its error lands in the failure slot.
   */
  onRebalance(): void {
    this.rebalancing = true;
    this.flushDue(true)
      .then(
        () => undefined,
        (err: unknown) => this.fail(err),
      )
      .finally(() => {
        this.rebalancing = false;
      });
  }

  private async commit(partition: number, nextOffset: number): Promise<void> {
    try {
      await this.deps.commitOffset(partition, nextOffset);
      this.progress.committed[String(partition)] = nextOffset;
    } catch (err) {
      // During a rebalance the partition may now belong to another member: its range is durable
      // with a manifest, and the new owner adopts it instead of writing it again.
      if (!this.rebalancing) throw err;
      this.deps.log.warn('bronze ingest: offset commit failed during a rebalance; the next owner adopts the range', { partition, nextOffset, error: errorMessage(err) });
    }
  }

  /** Writes a partition's buffer out: ranges an earlier attempt wrote are adopted, the rest written. */
  private async flush(partition: number): Promise<void> {
    let pending = this.buffers.get(partition)?.messages ?? [];
    this.buffers.delete(partition);
    while (pending.length > 0) {
      const first = parseOffset((pending[0] as KafkaMessage).offset);
      const adopted = await this.deps.existingManifestFrom(partition, first);
      if (adopted) {
        // Written by an earlier attempt whose offset commit was lost: keep that range as it is.
        this.progress.adopted++;
        this.deps.log.info('bronze ingest: adopted a range written earlier', { partition, firstOffset: adopted.firstOffset, lastOffset: adopted.lastOffset, records: adopted.rowCount });
        await this.commit(partition, adopted.lastOffset + 1);
        pending = pending.filter((m) => parseOffset(m.offset) > adopted.lastOffset);
        continue;
      }
      const { manifest, deadLetters } = await this.deps.writeRange(partition, pending);
      await this.commit(partition, manifest.lastOffset + 1);
      this.progress.objects++;
      this.progress.records += manifest.rowCount;
      this.progress.deadLetters += deadLetters;
      this.deps.log.info('bronze ingest: object written', {
        partition,
        firstOffset: manifest.firstOffset,
        lastOffset: manifest.lastOffset,
        records: manifest.rowCount,
        bytes: manifest.bytes,
        deadLetters,
      });
      pending = [];
    }
    this.deps.heartbeat(this.progress);
  }
}
