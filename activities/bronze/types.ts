/** The shapes Bronze ingestion shares between its steps, its activity and its workflow. */
import type { Logger } from '@temporalio/common';
import type { BronzeManifest } from '../../core/bronze';

export interface IngestInput {
  /** Flush a partition's buffer at this many records... */
  readonly maxRecordsPerObject: number;
  /** ...or when its oldest record has waited this long. */
  readonly maxAgeMs: number;
  /** Return (and let the workflow continue as new) after this long. */
  readonly runForMs: number;
}

export interface IngestProgress {
  objects: number;
  records: number;
  deadLetters: number;
  adopted: number;
  /** Next offset to read, per partition, as committed. */
  committed: Record<string, number>;
}

/** A range written durably: its manifest and how many of its messages went to the dead-letter topic. */
export interface WrittenRange {
  readonly manifest: BronzeManifest;
  readonly deadLetters: number;
}

/**
 * Structured logs of the steps: a message and a fields object (Temporal's activity `log` in the
 * worker, a stand-in in tests). Fields name partitions, offsets and counts, never event contents.
 */
export type StepLog = Pick<Logger, 'info' | 'warn' | 'error'>;
