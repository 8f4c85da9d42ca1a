/**
 * The state of one CTR consumer run that its steps share (offsets.ts, apply.ts, batch.ts): the
 * clients, what is known of each partition's applied offset and earliest offset, and the progress.
 */
import type Redis from 'ioredis';
import type { Admin, Consumer, Producer } from 'kafkajs';
import type { ctrSettings } from '../../core/ctr';
import type { CtrDecoder } from './decode';
import type { CtrLog, CtrProgress } from './types';

export interface CtrRun {
  readonly settings: ReturnType<typeof ctrSettings>;
  readonly redis: Redis;
  readonly consumer: Consumer;
  readonly producer: Producer;
  readonly admin: Admin;
  readonly decoder: CtrDecoder;
  readonly progress: CtrProgress;
  readonly log: CtrLog;
  /** Earliest offset each partition still has (Kafka's retention deletes older records). */
  readonly floors: Map<number, number>;
  /**
   * Last offset applied per partition as far as this consumer knows: read from Redis before joining
   * and on every assignment, then kept by the script's answers. Records at or below it are dropped
   * before decoding (a fetch that started before its seek landed). It may lag Redis (another member
   * applied more: the script then answers overlap) or lead it (Redis lost writes: the next batch,
   * which starts after it, meets the script's gap answer, which sets it back).
   */
  readonly applied: Map<number, number>;
}

export function newProgress(): CtrProgress {
  return { records: 0, counted: 0, duplicates: 0, expired: 0, deadLetters: 0, batches: 0, offsets: {} };
}
