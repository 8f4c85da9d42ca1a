/** The shapes the CTR consumer's steps share with its activity and its callers. */
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { ClicklakeConfig } from '../../core/config';
import type { SchemaRegistryClient } from '../schemaRegistry';

export interface CtrDeps {
  readonly config: ClicklakeConfig;
  readonly kafka: Kafka;
  readonly redis: Redis;
  readonly registry: SchemaRegistryClient;
}

/** What a consumer run has done so far; the activity's heartbeat details. */
export interface CtrProgress {
  records: number;
  counted: number;
  duplicates: number;
  /** Countable events older than the bucket retention, left out. */
  expired: number;
  deadLetters: number;
  batches: number;
  /** Last offset applied, per partition this run applied to. */
  offsets: Record<string, number>;
}

export interface CtrConsumerTuning {
  readonly sessionTimeoutMs: number;
  readonly maxWaitTimeInMs: number;
  readonly partitionsConsumedConcurrently: number;
  readonly maxBytesPerPartition: number;
}

export const DEFAULT_TUNING: CtrConsumerTuning = {
  sessionTimeoutMs: 30_000,
  // An idle partition answers within 100 ms, so a new event waits at most that long for its fetch.
  maxWaitTimeInMs: 100,
  partitionsConsumedConcurrently: 4,
  maxBytesPerPartition: 1024 * 1024,
};

export interface CtrConsumeControl {
  /** Aborting stops the consumer cleanly (it leaves the group and disconnects). */
  readonly signal: AbortSignal;
  /** Return after this long. */
  readonly runForMs?: number;
  readonly onProgress?: (progress: CtrProgress) => void;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
  readonly tuning?: Partial<CtrConsumerTuning>;
}

/** A structured log line: a message and a fields object (partitions, offsets, counts; never event contents). */
export type CtrLog = (message: string, fields: Record<string, unknown>) => void;
